"""Re-authentication and the own security page (AUTHN-13, SES-05, AUTHN-07, D-19)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from jianguan.accounts.models import Institution, TotpDevice, User
from jianguan.accounts.services import totp
from tests.conftest import login_as

from .auth_helpers import LOGIN, MFA, PASSWORD, code_now, enrol, entries, post_password, wrong_code

pytestmark = pytest.mark.django_db

StaffClient = Callable[..., tuple[Client, User]]
SECURITY = "/accounts/security/"
REAUTH = "/accounts/reauth/"
PASSWORD_PAGE = "/accounts/security/password/"
MFA_PAGE = "/accounts/security/mfa/"
CODES_PAGE = "/accounts/security/recovery-codes/"
NEW_PASSWORD = "a new river stone 42"


def reauthed(client: Client) -> Client:
    session = client.session
    session["reauth_at"] = time.time()
    session.save()
    return client


# --- anonymous, every role ---------------------------------------------------------------------


@pytest.mark.parametrize("path", [SECURITY, REAUTH, PASSWORD_PAGE, MFA_PAGE, CODES_PAGE])
def test_security_pages_send_anonymous_to_login(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


@pytest.mark.parametrize(
    "role",
    [
        "institution_admin",
        "security_admin",
        "auditor",
        "doctor",
        "health_manager",
        "nurse",
        "front_desk",
        "followup_agent",
    ],
)
def test_every_role_reaches_its_own_security_page(staff_client: StaffClient, role: str) -> None:
    client, _ = staff_client(role)
    response = client.get(SECURITY)
    assert response.status_code == 200 and "账户安全" in response.content.decode()


@pytest.mark.parametrize("path", [PASSWORD_PAGE, MFA_PAGE, CODES_PAGE])
def test_changes_ask_for_re_authentication_first(staff_client: StaffClient, path: str) -> None:
    client, _ = staff_client("doctor")
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith(REAUTH + "?next=")


@pytest.mark.parametrize("path", [PASSWORD_PAGE, MFA_PAGE, CODES_PAGE])
def test_stale_re_authentication_is_asked_again(
    staff_client: StaffClient, settings: Any, path: str
) -> None:
    client, _ = staff_client("doctor")
    session = client.session
    session["reauth_at"] = time.time() - settings.JIANGUAN_REAUTH_SECONDS - 1
    session.save()
    assert client.get(path)["Location"].startswith(REAUTH)


# --- re-authentication -------------------------------------------------------------------------


def test_reauth_with_password_and_code_returns_to_next(staff_client: StaffClient) -> None:
    client, user = staff_client("doctor")
    device = enrol(user)
    response = client.post(
        REAUTH, {"password": PASSWORD, "code": code_now(device), "next": PASSWORD_PAGE}
    )
    assert response.status_code == 302 and response["Location"] == PASSWORD_PAGE
    assert client.get(PASSWORD_PAGE).status_code == 200


def test_reauth_is_audited(staff_client: StaffClient) -> None:
    client, user = staff_client("doctor")
    device = enrol(user)
    client.post(REAUTH, {"password": PASSWORD, "code": code_now(device)})
    [entry] = entries("auth.reauth")
    assert entry.actor_id == user.pk and entry.outcome == "success"


def test_reauth_with_a_wrong_password_fails(staff_client: StaffClient) -> None:
    client, user = staff_client("doctor")
    device = enrol(user)
    response = client.post(REAUTH, {"password": "wrong one", "code": code_now(device)})
    assert response.status_code == 200 and "reauth_at" not in client.session
    assert "密码或验证码错误" in response.content.decode()
    [entry] = entries("auth.reauth")
    assert entry.outcome == "failure" and entry.purpose == "bad_password"


def test_reauth_with_a_wrong_code_fails(staff_client: StaffClient) -> None:
    client, user = staff_client("doctor")
    device = enrol(user)
    response = client.post(REAUTH, {"password": PASSWORD, "code": wrong_code(device)})
    assert response.status_code == 200 and "reauth_at" not in client.session
    assert entries("auth.reauth")[0].purpose == "bad_otp"


def test_reauth_ignores_an_unsafe_next(staff_client: StaffClient) -> None:
    client, user = staff_client("doctor")
    device = enrol(user)
    response = client.post(
        REAUTH, {"password": PASSWORD, "code": code_now(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == SECURITY


def test_reauth_page_keeps_next(staff_client: StaffClient) -> None:
    client, _ = staff_client("doctor")
    body = client.get(REAUTH, {"next": PASSWORD_PAGE}).content.decode()
    assert f'name="next" value="{PASSWORD_PAGE}"' in body


# --- password change ------------------------------------------------------------------------


def test_password_change_sets_the_new_password(staff_client: StaffClient) -> None:
    client, user = staff_client("doctor")
    response = reauthed(client).post(
        PASSWORD_PAGE, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == SECURITY
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD) and user.password_changed is not None


def test_password_change_is_audited(staff_client: StaffClient) -> None:
    client, user = staff_client("doctor")
    reauthed(client).post(PASSWORD_PAGE, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    [entry] = entries("auth.password_change")
    assert entry.actor_id == user.pk and entry.purpose == "change"


def test_password_change_keeps_this_session_and_ends_the_others(
    make_user: Callable[..., User],
) -> None:
    user = make_user("doctor")
    here, elsewhere = reauthed(login_as(Client(), user)), login_as(Client(), user)
    here.post(PASSWORD_PAGE, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert here.get("/").status_code == 200
    assert elsewhere.get("/")["Location"].startswith(LOGIN)


def test_password_change_refuses_a_common_password_next_to_the_field(
    staff_client: StaffClient,
) -> None:
    client, user = staff_client("doctor")
    response = reauthed(client).post(
        PASSWORD_PAGE, {"password1": "woaini1314", "password2": "woaini1314"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "常见密码" in body and "errorlist" in body
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_change_refuses_a_mismatch(staff_client: StaffClient) -> None:
    client, _ = staff_client("doctor")
    response = reauthed(client).post(
        PASSWORD_PAGE, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"}
    )
    assert response.status_code == 200 and "两次输入的密码不一致" in response.content.decode()


def test_expired_password_must_be_changed_after_login(
    make_user: Callable[..., User], institution: Institution
) -> None:
    institution.password_max_age_days = 90
    institution.save()
    user = make_user("doctor")
    User.objects.unscoped(reason="test").filter(pk=user.pk).update(
        password_changed=timezone.now() - timedelta(days=91)
    )
    device = enrol(user)
    client = Client()
    post_password(client, user.username)
    response = client.post(MFA, {"code": code_now(device)})
    assert response["Location"] == PASSWORD_PAGE
    assert client.get("/")["Location"] == PASSWORD_PAGE
    assert "有效期" in client.get(PASSWORD_PAGE).content.decode()
    client.post(PASSWORD_PAGE, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert client.get("/").status_code == 200


def test_password_within_its_age_is_not_expired(
    make_user: Callable[..., User], institution: Institution
) -> None:
    institution.password_max_age_days = 90
    institution.save()
    user = make_user("doctor")
    User.objects.unscoped(reason="test").filter(pk=user.pk).update(
        password_changed=timezone.now() - timedelta(days=10)
    )
    device = enrol(user)
    client = Client()
    post_password(client, user.username)
    assert client.post(MFA, {"code": code_now(device)})["Location"] == "/"


# --- TOTP re-enrolment -----------------------------------------------------------------------


def test_re_enrolment_shows_a_new_seed(staff_client: StaffClient) -> None:
    client, user = staff_client("doctor")
    old = enrol(user)
    body = reauthed(client).get(MFA_PAGE).content.decode()
    pending = totp.pending_device(user)
    assert pending is not None and bytes(pending.seed) != bytes(old.seed)
    assert totp.base32_secret(bytes(pending.seed)) in body and '<div class="qr"' in body


def test_old_device_works_until_the_new_one_is_confirmed(staff_client: StaffClient) -> None:
    client, user = staff_client("doctor")
    old = enrol(user)
    reauthed(client).get(MFA_PAGE)
    assert totp.confirmed_device(user) == old


def test_confirming_re_enrolment_replaces_the_device_and_shows_codes(
    staff_client: StaffClient,
) -> None:
    client, user = staff_client("doctor")
    enrol(user)
    reauthed(client).get(MFA_PAGE)
    pending = totp.pending_device(user)
    assert pending is not None
    response = client.post(MFA_PAGE, {"code": code_now(pending), "end_other_sessions": "on"})
    assert response.status_code == 200 and response.content.decode().count("<li><code>") == 10
    assert list(TotpDevice.objects.filter(user=user)) == [pending]
    assert TotpDevice.objects.get(pk=pending.pk).confirmed


def test_re_enrolment_is_audited_as_mfa_reset(staff_client: StaffClient) -> None:
    client, user = staff_client("doctor")
    enrol(user)
    reauthed(client).get(MFA_PAGE)
    pending = totp.pending_device(user)
    assert pending is not None
    client.post(MFA_PAGE, {"code": code_now(pending)})
    [entry] = entries("auth.mfa_reset")
    assert entry.actor_id == user.pk and entry.outcome == "success"


def test_re_enrolment_can_end_other_sessions(make_user: Callable[..., User]) -> None:
    user = make_user("doctor")
    enrol(user)
    here, elsewhere = reauthed(login_as(Client(), user)), login_as(Client(), user)
    here.get(MFA_PAGE)
    pending = totp.pending_device(user)
    assert pending is not None
    here.post(MFA_PAGE, {"code": code_now(pending), "end_other_sessions": "on"})
    assert here.get("/").status_code == 200
    assert elsewhere.get("/")["Location"].startswith(LOGIN)


def test_re_enrolment_without_ending_sessions_keeps_them(make_user: Callable[..., User]) -> None:
    user = make_user("doctor")
    enrol(user)
    here, elsewhere = reauthed(login_as(Client(), user)), login_as(Client(), user)
    here.get(MFA_PAGE)
    pending = totp.pending_device(user)
    assert pending is not None
    here.post(MFA_PAGE, {"code": code_now(pending)})
    assert elsewhere.get("/").status_code == 200


def test_wrong_re_enrolment_code_keeps_the_old_device(staff_client: StaffClient) -> None:
    client, user = staff_client("doctor")
    old = enrol(user)
    reauthed(client).get(MFA_PAGE)
    pending = totp.pending_device(user)
    assert pending is not None
    response = client.post(MFA_PAGE, {"code": wrong_code(pending)})
    assert response.status_code == 200 and "验证码错误" in response.content.decode()
    assert totp.confirmed_device(user) == old


def test_signed_in_user_on_the_login_enrolment_page_goes_to_re_enrolment(
    staff_client: StaffClient,
) -> None:
    client, _ = staff_client("doctor")
    assert client.get("/accounts/mfa/enrol/")["Location"] == MFA_PAGE


# --- recovery codes ---------------------------------------------------------------------------


def test_recovery_codes_page_asks_before_replacing(staff_client: StaffClient) -> None:
    client, user = staff_client("doctor")
    old = totp.generate_recovery_codes(user)
    response = reauthed(client).get(CODES_PAGE)
    assert response.status_code == 200 and "<li><code>" not in response.content.decode()
    assert totp.use_recovery_code(user, old[0])


def test_regenerating_recovery_codes_shows_ten_new_ones(staff_client: StaffClient) -> None:
    client, user = staff_client("doctor")
    old = totp.generate_recovery_codes(user)
    response = reauthed(client).post(CODES_PAGE)
    assert response.content.decode().count("<li><code>") == 10
    assert not totp.use_recovery_code(user, old[0])
    assert [e.actor_id for e in entries("auth.recovery_codes")] == [user.pk]


def test_security_page_counts_unused_recovery_codes(staff_client: StaffClient) -> None:
    client, user = staff_client("doctor")
    codes = totp.generate_recovery_codes(user)
    totp.use_recovery_code(user, codes[0])
    assert "剩余 9 个" in client.get(SECURITY).content.decode()
