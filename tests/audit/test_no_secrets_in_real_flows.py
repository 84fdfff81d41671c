"""AU-05 through the real flows: sign-in with password and TOTP, a failed sign-in, creating a user,
searching by name and mobile, issuing an activation and a reset link, logout — and then not one of
the passwords, codes, tokens, the session id, the name, the mobile number or the e-mail address is
anywhere in the audit tables."""

from __future__ import annotations

import re
import time
from typing import Any

from django.db import connection
from django.test import Client

from jianguan.accounts.models import User
from jianguan.accounts.services import totp
from jianguan.audit.models import AuditEntry, AuditJobItem

PASSWORD = "Mei-Hua shan 2026 !"
WRONG = "Mei-Hua shan 2025 ?"
NAME = "欧阳秘密"
MOBILE = "13987654321"
EMAIL = "ouyang.secret@example.test"


def _token(response: Any) -> str:
    found = re.search(r"/accounts/activate/([A-Za-z0-9_\-]{20,})/", response.content.decode())
    assert found, "the page shows the one-time link"
    return found.group(1)


def _audit_text() -> str:
    rows = []
    for model in (AuditEntry, AuditJobItem):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {model._meta.db_table}")
            rows += [" ".join(str(v) for v in row) for row in cursor.fetchall()]
    return "\n".join(rows)


def test_no_secret_or_personal_value_reaches_the_ledger_through_real_flows(  # type: ignore[no-untyped-def]
    make_user,
) -> None:
    admin = make_user("institution_admin", password=PASSWORD)
    seed = bytes(totp.enrol_confirmed(admin).seed)
    client = Client()
    client.post("/accounts/login/", {"username": admin.username, "password": WRONG})
    client.post("/accounts/login/", {"username": admin.username, "password": PASSWORD})
    code = totp.code_at(seed, int(time.time()))
    assert client.post("/accounts/mfa/", {"code": code}).status_code == 302
    session_key = client.session.session_key

    created = client.post(
        "/accounts/users/new/",
        {
            "username": "ouyang",
            "full_name": NAME,
            "mobile": MOBILE,
            "email": EMAIL,
            "roles": ["nurse"],
        },
    )
    activation = _token(created)
    client.post("/accounts/users/", {"q": NAME})
    client.post("/accounts/users/", {"q": MOBILE})
    user = User.objects.unscoped(reason="test").get(username="ouyang")
    user.set_password(PASSWORD)
    user.save()
    reset = _token(client.post(f"/accounts/users/{user.pk}/password-link/"))
    client.post("/accounts/logout/")

    text = _audit_text()
    assert "auth.login" in text and "user.create" in text  # the flows were recorded
    for secret in (PASSWORD, WRONG, code, activation, reset, session_key, NAME, MOBILE, EMAIL):
        assert secret and secret not in text, secret
