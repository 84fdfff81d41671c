"""Helpers for the sign-in tests: real devices, real codes, real views, real audit entries."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TypeVar

from django.test import Client

from jianguan.accounts.models import TotpDevice, User
from jianguan.accounts.services import totp
from jianguan.audit.models import AuditEntry

PASSWORD = "correct horse battery 9"
LOGIN = "/accounts/login/"
MFA = "/accounts/mfa/"
ENROL = "/accounts/mfa/enrol/"

T = TypeVar("T")


def enrol(user: User) -> TotpDevice:
    return totp.enrol_confirmed(user)


def code_now(device: TotpDevice) -> str:
    """The code an authenticator shows at the server's time, computed with the same library."""
    return totp.code_at(bytes(device.seed), int(time.time()))


def wrong_code(device: TotpDevice) -> str:
    seed = bytes(device.seed)
    now = int(time.time())
    valid = {totp.code_at(seed, now), totp.code_at(seed, now - 30), totp.code_at(seed, now + 30)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)


def at_stable_step(fn: Callable[[int], T]) -> T:
    """Run fn(step) so that the server's TOTP step did not change while it ran (no sleeping)."""
    for _ in range(5):
        step = totp.server_step()
        result = fn(step)
        if totp.server_step() == step:
            return result
    raise AssertionError("the TOTP step kept changing")


def post_password(client: Client, username: str, password: str = PASSWORD, **extra: str):  # type: ignore[no-untyped-def]
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def sign_in(client: Client, user: User, device: TotpDevice, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    first = post_password(client, user.username, password)
    assert first.status_code == 302 and first["Location"] == MFA, first
    return client.post(MFA, {"code": code_now(device)})


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("seq"))


CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')
CSRF_HEADER = re.compile(rb'"X-CSRFToken": "[^"]*"')


def without_tokens(body: bytes) -> bytes:
    """The page without its per-response CSRF tokens (masked differently on every response)."""
    return CSRF_HEADER.sub(b"", CSRF_INPUT.sub(b"", body))
