"""Production: every secret from the environment; PostgreSQL over TCP only with verify-full."""

from __future__ import annotations

import os

from .base import *  # noqa: F403
from .base import DATABASES
from .safety import require_verified_tls

SECRET_KEY = os.environ["JIANGUAN_SECRET_KEY"]
DEBUG = False


require_verified_tls(DATABASES["default"])

SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_SSL_REDIRECT = os.environ.get("JIANGUAN_SSL_REDIRECT", "1") == "1"
