"""Audit fixtures: every test gets its own heads file, so signed heads never leak between tests."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jianguan.audit.ledger import record
from jianguan.core.actors import Actor


@pytest.fixture(autouse=True)
def heads_file(tmp_path: Path, settings: Any) -> Path:
    path = tmp_path / "audit-heads.jsonl"
    settings.JIANGUAN_AUDIT_HEADS = path
    return path


@pytest.fixture
def doctor_actor() -> Actor:
    return Actor("staff", uuid.uuid4(), uuid.uuid4(), frozenset({"doctor"}))


@pytest.fixture
def add_entries(db: None, doctor_actor: Actor) -> Callable[[int], None]:
    """Append n plain read entries, one customer each."""

    def add(n: int) -> None:
        for i in range(n):
            record(
                "customer.view",
                actor=doctor_actor,
                resource_type="customer",
                resource_id=str(i),
                customer_id=uuid.uuid4(),
            )

    return add
