"""Settings shared by every environment; everything site-specific comes from the environment."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("JIANGUAN_VAR", Path.cwd() / "var")).resolve()

SECRET_KEY = os.environ.get("JIANGUAN_SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = [
    h for h in os.environ.get("JIANGUAN_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h
]

INSTALLED_APPS = [
    # Admin is installed (not routed) so that every app's admin.py is autodiscovered and the
    # D-14 test can prove no personal-data model is registered.
    "django.contrib.admin",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_htmx",
    "django_q",
    "jianguan.core",
    "jianguan.accounts",
    "jianguan.audit",
    "jianguan.records",
    "jianguan.risk",
    "jianguan.care",
    "jianguan.questionnaires",
    "jianguan.web",
]

MIDDLEWARE = [
    "jianguan.core.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "jianguan.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "jianguan.web.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "jianguan.accounts.middleware.SessionPolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "jianguan.audit.middleware.AuditFlushMiddleware",
]

ROOT_URLCONF = "jianguan.urls"
WSGI_APPLICATION = "jianguan.wsgi.application"
ASGI_APPLICATION = "jianguan.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jianguan.web.context.navigation",
            ],
        },
    },
]


def database_from_env(default_sqlite: Path) -> dict[str, object]:
    """SQLite in WAL mode by default; DATABASE_URL=postgres://… selects PostgreSQL."""
    url = os.environ.get("DATABASE_URL", "")
    if url:
        db: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60))
    else:
        db = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(default_sqlite)}
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # IMMEDIATE transactions: writers queue instead of failing with "database is locked",
        # and the audit seq lock (D-08) is the write lock itself. The WAL is checkpointed by a
        # job every minute (core.maintenance) rather than by whichever request crosses 1,000
        # pages; the raised threshold is only a backstop when no worker runs.
        db["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                "PRAGMA wal_autocheckpoint=20000;"
            ),
        }
    return db


DATABASES = {"default": database_from_env(VAR_DIR / "jianguan.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["jianguan.accounts.backends.InstitutionUserBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:dashboard"

# AUTHN-01: Argon2id at or above OWASP's m=19 MiB, t=2, p=1.
PASSWORD_HASHERS = ["jianguan.accounts.hashers.Argon2idHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "jianguan.accounts.passwords.LengthValidator"},
    {"NAME": "jianguan.accounts.passwords.BlocklistValidator"},
    {"NAME": "jianguan.accounts.passwords.UserAttributeValidator"},
    {"NAME": "jianguan.accounts.passwords.InstitutionCompositionValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"

# Sessions (SES-01/02): server-side, random 32-char ids from `secrets`; the idle and absolute
# limits are enforced by SessionPolicyMiddleware, not by cookie expiry alone.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "jg_session"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
JIANGUAN_SESSION_IDLE_SECONDS = int(os.environ.get("JIANGUAN_SESSION_IDLE_SECONDS", 15 * 60))
JIANGUAN_SESSION_ABSOLUTE_SECONDS = int(
    os.environ.get("JIANGUAN_SESSION_ABSOLUTE_SECONDS", 10 * 3600)
)
JIANGUAN_REAUTH_SECONDS = 5 * 60
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Strict"
CSRF_FAILURE_VIEW = "jianguan.web.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Lockout (AUTHN-10)
JIANGUAN_LOCKOUT_ACCOUNT_FAILURES = 5
JIANGUAN_LOCKOUT_IP_FAILURES = 20
JIANGUAN_LOCKOUT_WINDOW_SECONDS = 15 * 60
JIANGUAN_LOCKOUT_COOLOFF_SECONDS = 15 * 60

# Keys (D-02): the key file holds KEKs, the audit MAC key, the head-signing key and the
# blind-index root key; wrapped DEKs live in a key store outside the main database.
# Keys are created only by `jianguan keys init` (make run calls it); a missing key file is an
# error, never silently replaced.
JIANGUAN_KEYS_AUTO_CREATE = False
JIANGUAN_KEY_FILE = Path(os.environ.get("JIANGUAN_KEY_FILE", VAR_DIR / "keys" / "keyfile.json"))
JIANGUAN_KEYSTORE = Path(os.environ.get("JIANGUAN_KEYSTORE", VAR_DIR / "keystore.sqlite3"))
JIANGUAN_AUDIT_HEADS = Path(os.environ.get("JIANGUAN_AUDIT_HEADS", VAR_DIR / "audit-heads.jsonl"))
# AU-08: retention is a floor of at least 183 days, not a constant of 180.
JIANGUAN_AUDIT_RETENTION_DAYS = int(os.environ.get("JIANGUAN_AUDIT_RETENTION_DAYS", 400))

# The address staff reach the site at, for links in e-mails and CLI output (no trailing slash).
JIANGUAN_SITE_URL = os.environ.get("JIANGUAN_SITE_URL", "http://127.0.0.1:8000")
# How many demo customers `jianguan demo` creates when the demo institution has none.
JIANGUAN_DEMO_CUSTOMERS = int(os.environ.get("JIANGUAN_DEMO_CUSTOMERS", 500))

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ.get("JIANGUAN_SMTP_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("JIANGUAN_SMTP_PORT", 25))
DEFAULT_FROM_EMAIL = os.environ.get("JIANGUAN_MAIL_FROM", "jianguan@localhost")

# D-22: one job library, django-q2 with its ORM broker.
Q_CLUSTER = {
    "name": "jianguan",
    "orm": "default",
    "workers": 1,
    "timeout": 300,
    "retry": 360,
    "max_attempts": 3,
    "catch_up": False,
    "save_limit": 1000,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.request": {"level": "ERROR"}},
}

# Static files are served by WhiteNoise from STATIC_ROOT (collected at install): no CDN (D-27).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Addresses of reverse proxies whose X-Forwarded-For is believed (client address in the ledger).
JIANGUAN_TRUSTED_PROXIES = tuple(
    a for a in os.environ.get("JIANGUAN_TRUSTED_PROXIES", "").split(",") if a
)
