"""pytest: a throwaway var/ per run, a fast password hasher except where Argon2 is the subject."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import database_from_env

VAR_DIR = Path(os.environ.get("JIANGUAN_TEST_VAR") or tempfile.mkdtemp(prefix="jianguan-test-"))
os.environ["JIANGUAN_TEST_VAR"] = str(VAR_DIR)  # xdist workers and subprocesses share it
SECRET_KEY = "test-only-secret-key-not-for-production-0123456789"  # noqa: S105
DATABASES = {"default": database_from_env(VAR_DIR / "test.sqlite3")}
# D-19: fast hasher in tests except those about Argon2 parameters, which override it.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
JIANGUAN_KEYS_AUTO_CREATE = True  # each test's own key files appear on first use
JIANGUAN_KEY_FILE = VAR_DIR / "keys" / "keyfile.json"
JIANGUAN_KEYSTORE = VAR_DIR / "keystore.sqlite3"
JIANGUAN_AUDIT_HEADS = VAR_DIR / "audit-heads.jsonl"
JIANGUAN_DEMO_CUSTOMERS = 0  # `demo` tests that need customers ask for a few (--customers)
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
Q_CLUSTER = {**Q_CLUSTER, "sync": True}  # noqa: F405
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
