"""Checks production settings apply before the site starts."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured


def require_verified_tls(database: dict[str, object]) -> None:
    """D-26 / TR-04: a PostgreSQL server reached over TCP must be verified (sslmode=verify-full)."""
    if database.get("ENGINE") != "django.db.backends.postgresql":
        return
    host = str(database.get("HOST") or "")
    if not host or host.startswith("/"):
        return  # Unix socket: never leaves the machine
    options = database.get("OPTIONS") or {}
    assert isinstance(options, dict)
    if options.get("sslmode") != "verify-full":
        raise ImproperlyConfigured(
            "DATABASE_URL must use sslmode=verify-full for PostgreSQL over TCP (decision D-26)"
        )
