"""Production: every secret from the environment; PostgreSQL over TCP only with verify-full."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASES

SECRET_KEY = os.environ["JIANGUAN_SECRET_KEY"]
DEBUG = False


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


require_verified_tls(DATABASES["default"])

SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_SSL_REDIRECT = os.environ.get("JIANGUAN_SSL_REDIRECT", "1") == "1"
