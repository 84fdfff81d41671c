"""The sign-in flow through the real views (AUTHN-03, SES-01, D-11): password, then the code."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from jianguan.accounts.models import TotpDevice, User
from jianguan.accounts.services import totp

from .auth_helpers import (
    ENROL,
    LOGIN,
    MFA,
    PASSWORD,
    code_now,
    enrol,
    entries,
    post_password,
    sign_in,
    wrong_code,
)

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]


# --- anonymous and half-signed-in callers -------------------------------------------------


def test_login_page_is_open_to_anonymous(client: Client) -> None:
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert b'name="username"' in response.content and b'name="password"' in response.content


@pytest.mark.parametrize("path", [MFA, ENROL])
def test_second_factor_pages_send_anonymous_to_login(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


@pytest.mark.parametrize("path", [MFA, ENROL])
def test_second_factor_pages_refuse_a_post_without_password_step(client: Client, path: str) -> None:
    response = client.post(path, {"code": "123456"})
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_signed_in_user_visiting_login_goes_to_dashboard(
    staff_client: Callable[..., tuple[Client, User]],
) -> None:
    client, _ = staff_client("front_desk")
    response = client.get(LOGIN)
    assert response.status_code == 302 and response["Location"] == "/"


# --- the password step ------------------------------------------------------------------------


def test_correct_password_leads_to_the_code_page(client: Client, make_user: MakeUser) -> None:
    user = make_user("doctor")
    enrol(user)
    response = post_password(client, user.username)
    assert response.status_code == 302 and response["Location"] == MFA


def test_correct_password_without_a_device_leads_to_enrolment(
    client: Client, make_user: MakeUser
) -> None:
    user = make_user("doctor")
    response = post_password(client, user.username)
    assert response.status_code == 302 and response["Location"] == ENROL


def test_after_the_password_the_session_holds_only_the_pre_mfa_marker(
    client: Client, make_user: MakeUser
) -> None:
    user = make_user("doctor")
    enrol(user)
    post_password(client, user.username, next="/security/keys/")
    session = client.session
    assert set(session.keys()) == {"pre_mfa", "login_next"}
    assert set(session["pre_mfa"]) == {"user_id", "at", "epoch"}
    assert session["pre_mfa"]["user_id"] == str(user.pk)


def test_no_page_behind_the_login_opens_before_the_second_factor(
    client: Client, make_user: MakeUser
) -> None:
    user = make_user("doctor")
    enrol(user)
    post_password(client, user.username)
    for path in ("/", "/accounts/security/", "/accounts/users/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith(LOGIN), path


def test_password_step_issues_a_new_session_id_and_kills_the_old(
    client: Client, make_user: MakeUser
) -> None:
    user = make_user("doctor")
    enrol(user)
    client.get(LOGIN)
    session = client.session
    session["probe"] = 1
    session.save()
    before = session.session_key
    post_password(client, user.username)
    after = client.cookies["jg_session"].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()


def test_wrong_password_shows_the_error_on_the_form(client: Client, make_user: MakeUser) -> None:
    user = make_user("doctor")
    response = post_password(client, user.username, "not the password")
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()
    assert "pre_mfa" not in client.session


def test_disabled_user_with_the_right_password_gets_the_wrong_password_answer(
    client: Client, make_user: MakeUser
) -> None:
    user = make_user("doctor")
    user.is_active = False
    user.save()
    response = post_password(client, user.username)
    assert response.status_code == 200 and "用户名或密码错误" in response.content.decode()
    assert "pre_mfa" not in client.session


def test_user_without_a_password_cannot_sign_in(client: Client, make_user: MakeUser) -> None:
    user = make_user("doctor")
    user.set_unusable_password()
    user.save()
    response = post_password(client, user.username, "")
    assert response.status_code == 200 and "pre_mfa" not in client.session


def test_empty_form_is_answered_with_field_errors_not_an_error_page(client: Client) -> None:
    response = client.post(LOGIN, {})
    assert response.status_code == 200 and b"errorlist" in response.content


@pytest.mark.parametrize("reason", ["bad_password", "unknown_user"])
def test_failed_password_is_audited_with_its_reason(
    client: Client, make_user: MakeUser, reason: str
) -> None:
    user = make_user("doctor")
    username = user.username if reason == "bad_password" else "nobody-here"
    post_password(client, username, "not the password")
    [entry] = entries("auth.login_failed")
    assert entry.purpose == reason and entry.outcome == "failure"
    assert entry.actor_id == (user.pk if reason == "bad_password" else None)
    assert "nobody-here" not in entry.resource_id + entry.purpose + entry.role


# --- the second factor ------------------------------------------------------------------------


def test_correct_code_signs_in_and_reaches_the_dashboard(
    client: Client, make_user: MakeUser
) -> None:
    user = make_user("doctor")
    response = sign_in(client, user, enrol(user))
    assert response.status_code == 302 and response["Location"] == "/"
    dashboard = client.get("/")
    assert dashboard.status_code == 200 and user.username in dashboard.content.decode()


def test_signed_in_session_carries_the_policy_stamps(client: Client, make_user: MakeUser) -> None:
    user = make_user("doctor")
    before = time.time()
    sign_in(client, user, enrol(user))
    session = client.session
    assert "pre_mfa" not in session and session["_auth_user_id"] == str(user.pk)
    for key in ("mfa_at", "auth_at", "last_seen"):
        assert isinstance(session[key], float) and session[key] >= before - 1
    assert session["epoch"] == user.session_epoch


def test_second_factor_issues_another_new_session_id(client: Client, make_user: MakeUser) -> None:
    user = make_user("doctor")
    device = enrol(user)
    post_password(client, user.username)
    pre_mfa_key = client.cookies["jg_session"].value
    client.post(MFA, {"code": code_now(device)})
    assert client.cookies["jg_session"].value != pre_mfa_key
    assert not Session.objects.filter(session_key=pre_mfa_key).exists()


def test_successful_login_is_audited_after_the_second_factor(
    client: Client, make_user: MakeUser
) -> None:
    user = make_user("doctor")
    device = enrol(user)
    post_password(client, user.username)
    assert entries("auth.login") == []
    client.post(MFA, {"code": code_now(device)})
    [entry] = entries("auth.login")
    assert entry.actor_id == user.pk and entry.outcome == "success" and entry.purpose == "totp"


def test_wrong_code_shows_the_error_next_to_the_field(client: Client, make_user: MakeUser) -> None:
    user = make_user("doctor")
    device = enrol(user)
    post_password(client, user.username)
    response = client.post(MFA, {"code": wrong_code(device)})
    assert response.status_code == 200
    body = response.content.decode()
    assert "验证码错误" in body and "errorlist" in body
    assert "_auth_user_id" not in client.session


def test_wrong_code_is_audited_as_bad_otp(client: Client, make_user: MakeUser) -> None:
    user = make_user("doctor")
    device = enrol(user)
    post_password(client, user.username)
    client.post(MFA, {"code": wrong_code(device)})
    [entry] = entries("auth.login_failed")
    assert entry.purpose == "bad_otp" and entry.actor_id == user.pk


def test_a_code_used_for_one_login_is_refused_for_the_next(make_user: MakeUser) -> None:
    user = make_user("doctor")
    device = enrol(user)
    code = code_now(device)
    first, second = Client(), Client()
    post_password(first, user.username)
    post_password(second, user.username)
    assert first.post(MFA, {"code": code}).status_code == 302
    response = second.post(MFA, {"code": code})
    assert response.status_code == 200 and "_auth_user_id" not in second.session


def test_a_client_supplied_time_is_ignored(client: Client, make_user: MakeUser) -> None:
    user = make_user("doctor")
    device = enrol(user)
    old = int(time.time()) - 3600
    post_password(client, user.username)
    response = client.post(
        MFA,
        {
            "code": totp.code_at(bytes(device.seed), old),
            "time": str(old),
            "timestamp": str(old),
            "t": str(old // 30),
        },
    )
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_recovery_code_signs_in_once(make_user: MakeUser) -> None:
    user = make_user("doctor")
    enrol(user)
    code = totp.generate_recovery_codes(user)[0]
    first, second = Client(), Client()
    post_password(first, user.username)
    response = first.post(MFA, {"code": code})
    assert response.status_code == 302 and response["Location"] == "/"
    assert entries("auth.login")[0].purpose == "recovery"
    post_password(second, user.username)
    assert second.post(MFA, {"code": code}).status_code == 200


def test_pre_mfa_state_expires_after_five_minutes(client: Client, make_user: MakeUser) -> None:
    user = make_user("doctor")
    device = enrol(user)
    post_password(client, user.username)
    session = client.session
    session["pre_mfa"] = {**session["pre_mfa"], "at": time.time() - 301}
    session.save()
    response = client.post(MFA, {"code": code_now(device)})
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session


def test_pre_mfa_state_ends_when_the_user_is_disabled(client: Client, make_user: MakeUser) -> None:
    user = make_user("doctor")
    device = enrol(user)
    post_password(client, user.username)
    User.objects.unscoped(reason="test").filter(pk=user.pk).update(is_active=False)
    response = client.post(MFA, {"code": code_now(device)})
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_safe_next_is_followed_after_the_second_factor(client: Client, make_user: MakeUser) -> None:
    user = make_user("doctor")
    device = enrol(user)
    post_password(client, user.username, next="/accounts/security/")
    response = client.post(MFA, {"code": code_now(device)})
    assert response["Location"] == "/accounts/security/"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"],
)
def test_unsafe_next_is_ignored(client: Client, make_user: MakeUser, target: str) -> None:
    user = make_user("doctor")
    device = enrol(user)
    post_password(client, user.username, next=target)
    response = client.post(MFA, {"code": code_now(device)})
    assert response["Location"] == "/"


def test_login_page_keeps_next_from_the_query_string(client: Client) -> None:
    response = client.get(LOGIN, {"next": "/accounts/security/"})
    assert b'value="/accounts/security/"' in response.content


def test_login_with_csrf_enforced_works_with_the_token(make_user: MakeUser) -> None:
    user = make_user("doctor")
    device = enrol(user)
    client = Client(enforce_csrf_checks=True)
    client.get(LOGIN)
    token = client.cookies["csrftoken"].value
    first = client.post(
        LOGIN, {"username": user.username, "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert first.status_code == 302 and first["Location"] == MFA
    client.get(MFA)
    token = client.cookies["csrftoken"].value
    second = client.post(MFA, {"code": code_now(device), "csrfmiddlewaretoken": token})
    assert second.status_code == 302 and second["Location"] == "/"


@pytest.mark.parametrize("path", [LOGIN, MFA, ENROL, "/accounts/logout/", "/accounts/reauth/"])
def test_posts_without_a_csrf_token_are_refused(make_user: MakeUser, path: str) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(path, {"username": "x", "password": "y", "code": "123456"})
    assert response.status_code == 403


# --- first sign-in: TOTP enrolment -------------------------------------------------------------


def _pending(client: Client, user: User) -> TotpDevice:
    post_password(client, user.username)
    response = client.get(ENROL)
    assert response.status_code == 200
    device = totp.pending_device(user)
    assert device is not None
    return device


def test_enrolment_page_shows_the_qr_code_and_the_secret(
    client: Client, make_user: MakeUser
) -> None:
    user = make_user("nurse")
    post_password(client, user.username)
    body = client.get(ENROL).content.decode()
    device = totp.pending_device(user)
    assert device is not None
    assert '<div class="qr"' in body and "<svg" in body
    assert f'<code class="secret">{totp.base32_secret(bytes(device.seed))}</code>' in body
    assert "<script>" not in body.split("<main", 1)[1] and "style=" not in body


def test_reloading_the_enrolment_page_keeps_the_same_seed(
    client: Client, make_user: MakeUser
) -> None:
    user = make_user("nurse")
    device = _pending(client, user)
    client.get(ENROL)
    assert TotpDevice.objects.get(user=user).pk == device.pk


def test_first_correct_code_confirms_shows_ten_codes_and_signs_in(
    client: Client, make_user: MakeUser
) -> None:
    user = make_user("nurse")
    device = _pending(client, user)
    response = client.post(ENROL, {"code": code_now(device)})
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("<li><code>") == 10
    assert totp.has_confirmed_device(user)
    assert client.session["_auth_user_id"] == str(user.pk) and "mfa_at" in client.session
    assert client.get("/").status_code == 200


def test_enrolment_is_audited(client: Client, make_user: MakeUser) -> None:
    user = make_user("nurse")
    device = _pending(client, user)
    client.post(ENROL, {"code": code_now(device)})
    assert [e.actor_id for e in entries("auth.mfa_enrol")] == [user.pk]
    assert [e.actor_id for e in entries("auth.login")] == [user.pk]


def test_wrong_enrolment_code_keeps_the_device_pending(client: Client, make_user: MakeUser) -> None:
    user = make_user("nurse")
    device = _pending(client, user)
    response = client.post(ENROL, {"code": wrong_code(device)})
    assert response.status_code == 200 and "验证码错误" in response.content.decode()
    assert not totp.has_confirmed_device(user) and "_auth_user_id" not in client.session


def test_enrolled_user_cannot_enrol_again_through_the_login(
    client: Client, make_user: MakeUser
) -> None:
    user = make_user("nurse")
    enrol(user)
    post_password(client, user.username)
    response = client.get(ENROL)
    assert response.status_code == 302 and response["Location"] == MFA


def test_user_without_a_device_is_sent_from_mfa_to_enrolment(
    client: Client, make_user: MakeUser
) -> None:
    user = make_user("nurse")
    post_password(client, user.username)
    response = client.get(MFA)
    assert response.status_code == 302 and response["Location"] == ENROL


# --- sign-out ----------------------------------------------------------------------------------


def test_logout_needs_post(staff_client: Callable[..., tuple[Client, User]]) -> None:
    client, _ = staff_client("doctor")
    assert client.get("/accounts/logout/").status_code == 405
    assert client.get("/").status_code == 200


def test_logout_ends_the_session_server_side(
    staff_client: Callable[..., tuple[Client, User]],
) -> None:
    client, _ = staff_client("doctor")
    key = client.session.session_key
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert not Session.objects.filter(session_key=key).exists()
    replay = Client()
    replay.cookies["jg_session"] = key
    assert replay.get("/")["Location"].startswith(LOGIN)


def test_logout_is_audited(staff_client: Callable[..., tuple[Client, User]]) -> None:
    client, user = staff_client("doctor")
    client.post("/accounts/logout/")
    [entry] = entries("auth.logout")
    assert entry.actor_id == user.pk


def test_logout_of_an_anonymous_caller_just_redirects(client: Client) -> None:
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and entries("auth.logout") == []
