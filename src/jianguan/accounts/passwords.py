"""Placeholder: replaced by the authentication work."""
from typing import Any


class LengthValidator:
    def validate(self, password: str, user: Any = None) -> None: ...
    def get_help_text(self) -> str: return ""


BlocklistValidator = LengthValidator
UserAttributeValidator = LengthValidator
