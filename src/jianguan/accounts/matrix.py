"""The role × capability matrix, loaded from `matrix.toml` — the one place permissions live."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from functools import cache
from pathlib import Path

MATRIX_FILE = Path(__file__).with_name("matrix.toml")


class MatrixError(ValueError):
    pass


@cache
def load() -> dict[str, object]:
    data = tomllib.loads(MATRIX_FILE.read_text(encoding="utf-8"))
    validate(data)
    return data


def validate(data: dict[str, object]) -> None:
    """Every capability has an explicit true/false for every role; nothing else is accepted."""
    roles = data.get("roles")
    caps = data.get("capabilities")
    if not isinstance(roles, dict) or not isinstance(caps, dict):
        raise MatrixError("matrix needs [roles] and [capabilities.*]")
    for cap, row in caps.items():
        if not isinstance(row, dict):
            raise MatrixError(f"capability {cap} is not a table")
        cells = {k: v for k, v in row.items() if k != "label"}
        missing = set(roles) - set(cells)
        unknown = set(cells) - set(roles)
        if missing:
            raise MatrixError(f"capability {cap} has no cell for role(s) {sorted(missing)}")
        if unknown:
            raise MatrixError(f"capability {cap} names unknown role(s) {sorted(unknown)}")
        for role, value in cells.items():
            if not isinstance(value, bool):
                raise MatrixError(f"cell {cap} × {role} must be true or false")


def roles() -> dict[str, str]:
    """Role code → Chinese label (translated in the UI through gettext)."""
    return dict(load()["roles"])  # type: ignore[call-overload]


def capabilities() -> dict[str, dict[str, object]]:
    return dict(load()["capabilities"])  # type: ignore[call-overload]


def exclusive_roles() -> set[str]:
    excl = load().get("exclusive", {})
    assert isinstance(excl, dict)
    return set(excl.get("admin_roles", []))


def allowed(user_roles: Iterable[str], capability: str) -> bool:
    row = capabilities().get(capability)
    if row is None:
        raise MatrixError(f"unknown capability {capability}")
    return any(row.get(role) is True for role in user_roles)


def check_role_combination(user_roles: Iterable[str]) -> str | None:
    """The reason a set of roles may not be held together, or None."""
    held = set(user_roles)
    unknown = held - set(roles())
    if unknown:
        return f"unknown role(s): {', '.join(sorted(unknown))}"
    clash = held & exclusive_roles()
    if len(clash) > 1:
        return "institution_admin, security_admin and auditor are held by different people"
    return None
