"""Production: every secret from the environment; PostgreSQL over TCP only with verify-full."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASES
from .safety import require_verified_tls

SECRET_KEY = os.environ.get("JIANGUAN_SECRET_KEY", "")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("JIANGUAN_SECRET_KEY must be set to 50 or more random characters")
DEBUG = False


require_verified_tls(DATABASES["default"])

SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_SSL_REDIRECT = os.environ.get("JIANGUAN_SSL_REDIRECT", "1") == "1"
