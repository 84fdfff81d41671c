"""Placeholder: replaced by the ledger work."""
from typing import Any


def record(action: str, **kwargs: Any) -> None:
    pass
