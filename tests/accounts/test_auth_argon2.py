"""Argon2id parameters, rehashing and equal answers for unknown users (AUTHN-01, AUTHN-11, D-19).

These tests use the real Argon2id hasher; the rest of the suite uses a fast one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from jianguan.accounts.hashers import Argon2idHasher
from jianguan.accounts.models import User

from .auth_helpers import MFA, PASSWORD, code_now, enrol, post_password, without_tokens

pytestmark = pytest.mark.django_db

ARGON2 = "jianguan.accounts.hashers.Argon2idHasher"
HASH_RE = re.compile(r"^argon2\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[^$]+\$[^$]+$")


class WeakArgon2Hasher(Argon2idHasher):
    """Parameters below the project's floor, as an old installation might have stored."""

    time_cost = 1
    memory_cost = 8 * 1024


@pytest.fixture
def argon2(settings: Any) -> None:
    settings.PASSWORD_HASHERS = [ARGON2]


@pytest.fixture
def verify_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Counts runs of the real Argon2id verification (the real method still runs)."""
    calls: list[str] = []
    real = Argon2idHasher.verify

    def counting(self: Argon2idHasher, password: str, encoded: str) -> bool:
        calls.append(encoded)
        return real(self, password, encoded)

    monkeypatch.setattr(Argon2idHasher, "verify", counting)
    yield calls


def test_stored_hash_is_argon2id_with_owasp_parameters_or_above(
    argon2: None, make_user: Callable[..., User]
) -> None:
    user = make_user("doctor")
    match = HASH_RE.match(user.password)
    assert match, user.password
    memory, time_cost, lanes = (int(g) for g in match.groups())
    assert memory >= 19456 and time_cost >= 2 and lanes >= 1


def test_weaker_hash_is_rehashed_at_the_next_successful_login(
    settings: Any, make_user: Callable[..., User]
) -> None:
    settings.PASSWORD_HASHERS = [f"{__name__}.WeakArgon2Hasher"]
    user = make_user("doctor")
    assert "m=8192,t=1" in user.password
    settings.PASSWORD_HASHERS = [ARGON2, f"{__name__}.WeakArgon2Hasher"]
    response = post_password(Client(), user.username)
    assert response.status_code == 302
    user.refresh_from_db()
    match = HASH_RE.match(user.password)
    assert match and int(match.group(1)) >= 19456 and int(match.group(2)) >= 2


def test_weaker_hash_is_kept_after_a_failed_login(
    settings: Any, make_user: Callable[..., User]
) -> None:
    settings.PASSWORD_HASHERS = [f"{__name__}.WeakArgon2Hasher"]
    user = make_user("doctor")
    settings.PASSWORD_HASHERS = [ARGON2, f"{__name__}.WeakArgon2Hasher"]
    post_password(Client(), user.username, "not the password")
    user.refresh_from_db()
    assert "m=8192,t=1" in user.password


def test_unknown_user_and_wrong_password_get_identical_answers(
    argon2: None, make_user: Callable[..., User]
) -> None:
    username = "wang.fang"
    unknown = post_password(Client(), username, "not the password")
    make_user("doctor", username=username)
    wrong = post_password(Client(), username, "not the password")
    assert unknown.status_code == wrong.status_code == 200
    assert without_tokens(unknown.content) == without_tokens(wrong.content)
    headers = {k for k in unknown.headers if k not in ("X-Request-ID", "Set-Cookie")}
    assert {k: unknown[k] for k in headers} == {k: wrong[k] for k in headers}


def test_hasher_runs_once_for_an_unknown_user(argon2: None, verify_calls: list[str]) -> None:
    post_password(Client(), "warm-up", "x")  # the dummy hash is made once per process
    verify_calls.clear()
    post_password(Client(), "nobody-here", "not the password")
    assert len(verify_calls) == 1


def test_hasher_runs_once_for_a_wrong_password(
    argon2: None, make_user: Callable[..., User], verify_calls: list[str]
) -> None:
    user = make_user("doctor")
    post_password(Client(), user.username, "not the password")
    assert verify_calls == [user.password]


def test_hasher_runs_once_for_a_disabled_user(
    argon2: None, make_user: Callable[..., User], verify_calls: list[str]
) -> None:
    user = make_user("doctor")
    user.is_active = False
    user.save()
    post_password(Client(), "warm-up", "x")
    verify_calls.clear()
    post_password(Client(), user.username)
    assert len(verify_calls) == 1


def test_hasher_runs_once_for_a_correct_password(
    argon2: None, make_user: Callable[..., User], verify_calls: list[str]
) -> None:
    user = make_user("doctor")
    device = enrol(user)
    client = Client()
    assert post_password(client, user.username)["Location"] == MFA
    client.post(MFA, {"code": code_now(device)})
    assert verify_calls == [user.password]


def test_password_of_argon2_user_still_verifies(
    argon2: None, make_user: Callable[..., User]
) -> None:
    user = make_user("doctor")
    assert user.check_password(PASSWORD) and not user.check_password(PASSWORD + "x")
