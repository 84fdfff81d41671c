"""Shared fixtures: real database rows made through the project's own models and services."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from jianguan.accounts.models import Institution, RoleGrant, User

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def pytest_sessionstart(session: pytest.Session) -> None:
    """On CI the PostgreSQL run must really run on PostgreSQL: fail early, never skip (.ci/run)."""
    if os.environ.get("JIANGUAN_REQUIRE_POSTGRES") != "1":
        return
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.Error as exc:
        raise pytest.UsageError(f"PostgreSQL is required here but does not answer: {exc}") from exc


def pytest_report_header(config: pytest.Config) -> str:
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return f"jianguan: database={engine} var={settings.VAR_DIR}"


@pytest.fixture
def isolated_keys(tmp_path: Path, settings: Any) -> Iterator[Path]:
    """A key file and key store of this test's own, for tests that rotate, retire or erase."""
    settings.JIANGUAN_KEY_FILE = tmp_path / "keys" / "keyfile.json"
    settings.JIANGUAN_KEYSTORE = tmp_path / "keystore.sqlite3"
    yield tmp_path
    from jianguan.core.crypto import keyring

    keyring().store.close()


@pytest.fixture
def institution(db: None) -> Institution:
    return Institution.objects.create(code=f"inst-{uuid.uuid4().hex[:8]}", name="第一体检中心")


@pytest.fixture
def other_institution(db: None) -> Institution:
    return Institution.objects.create(code=f"other-{uuid.uuid4().hex[:8]}", name="第二体检中心")


@pytest.fixture
def make_user(db: None, institution: Institution) -> Callable[..., User]:
    def make(
        *roles: str,
        username: str | None = None,
        password: str = "correct horse battery 9",
        inst: Institution | None = None,
        full_name: str = "李医生",
        mobile: str = "13900001111",
    ) -> User:
        user = User(
            institution=inst or institution,
            username=username or f"u-{uuid.uuid4().hex[:10]}",
            full_name=full_name,
            mobile=mobile,
        )
        user.set_password(password)
        user.save()
        for role in roles:
            RoleGrant.objects.create(user=user, role=role)
        return user

    return make


def login_as(client: Client, user: User) -> Client:
    """A fully signed-in session (password and second factor done), as the login flow leaves it."""
    client.force_login(user, backend="jianguan.accounts.backends.InstitutionUserBackend")
    session = client.session
    now = timezone.now().timestamp()
    session["mfa_at"] = now
    session["auth_at"] = now
    session["last_seen"] = now
    session["epoch"] = user.session_epoch
    session.save()
    return client


@pytest.fixture
def staff_client(make_user: Callable[..., User]) -> Callable[..., tuple[Client, User]]:
    def make(*roles: str, **kwargs: Any) -> tuple[Client, User]:
        user = make_user(*roles, **kwargs)
        return login_as(Client(), user), user

    return make


def chromium_path() -> str | None:
    return shutil.which("chromium") or (
        "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None
    )
