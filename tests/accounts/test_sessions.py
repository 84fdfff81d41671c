"""Server-side session policy (SES-01..03, D-18)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from jianguan.accounts.models import User
from jianguan.accounts.services.sessions import end_all_sessions
from tests.conftest import login_as

from .auth_helpers import LOGIN, entries

pytestmark = pytest.mark.django_db

StaffClient = Callable[..., tuple[Client, User]]


def shift(client: Client, **ages: float) -> None:
    """Make session stamps older by the given number of seconds."""
    session = client.session
    for key, age in ages.items():
        session[key] = float(session[key]) - age
    session.save()


def test_active_session_opens_pages(staff_client: StaffClient) -> None:
    client, _ = staff_client("doctor")
    assert client.get("/").status_code == 200


def test_idle_session_is_sent_to_login(staff_client: StaffClient, settings: Any) -> None:
    client, _ = staff_client("doctor")
    shift(client, last_seen=settings.JIANGUAN_SESSION_IDLE_SECONDS + 1)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == LOGIN + "?expired=1"


def test_idle_session_is_flushed_server_side(staff_client: StaffClient, settings: Any) -> None:
    client, _ = staff_client("doctor")
    key = client.session.session_key
    shift(client, last_seen=settings.JIANGUAN_SESSION_IDLE_SECONDS + 1)
    client.get("/")
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/").status_code == 302


def test_session_past_its_absolute_lifetime_ends(staff_client: StaffClient, settings: Any) -> None:
    client, _ = staff_client("doctor")
    shift(client, auth_at=settings.JIANGUAN_SESSION_ABSOLUTE_SECONDS + 1)
    assert client.get("/")["Location"].startswith(LOGIN)


def test_activity_does_not_extend_the_absolute_lifetime(
    staff_client: StaffClient, settings: Any
) -> None:
    client, _ = staff_client("doctor")
    shift(client, auth_at=settings.JIANGUAN_SESSION_ABSOLUTE_SECONDS - 5)
    assert client.get("/").status_code == 200
    shift(client, auth_at=10)
    assert client.get("/").status_code == 302


def test_expired_api_request_gets_401_json(staff_client: StaffClient, settings: Any) -> None:
    client, _ = staff_client("doctor")
    shift(client, last_seen=settings.JIANGUAN_SESSION_IDLE_SECONDS + 1)
    response = client.get("/api/anything")
    assert response.status_code == 401
    assert response.json()["code"] == "session_expired" and response.json()["message"]


def test_expired_htmx_request_gets_401_with_hx_redirect(
    staff_client: StaffClient, settings: Any
) -> None:
    client, _ = staff_client("doctor")
    shift(client, last_seen=settings.JIANGUAN_SESSION_IDLE_SECONDS + 1)
    response = client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 401 and response["HX-Redirect"].startswith(LOGIN)


def test_use_after_expiry_is_audited_with_the_reason(
    staff_client: StaffClient, settings: Any
) -> None:
    client, user = staff_client("doctor")
    shift(client, last_seen=settings.JIANGUAN_SESSION_IDLE_SECONDS + 1)
    client.get("/")
    [entry] = entries("session.use_after_expire")
    assert entry.actor_id == user.pk and entry.purpose == "idle" and entry.outcome == "denied"


def test_login_page_after_expiry_says_so(staff_client: StaffClient, settings: Any) -> None:
    client, _ = staff_client("doctor")
    shift(client, last_seen=settings.JIANGUAN_SESSION_IDLE_SECONDS + 1)
    response = client.get("/", follow=True)
    assert "会话已过期" in response.content.decode()


def test_last_seen_is_not_written_on_every_request(staff_client: StaffClient) -> None:
    client, _ = staff_client("doctor")
    shift(client, last_seen=10)
    stamp = client.session["last_seen"]
    client.get("/")
    assert client.session["last_seen"] == stamp


def test_last_seen_moves_after_a_minute(staff_client: StaffClient) -> None:
    client, _ = staff_client("doctor")
    shift(client, last_seen=61)
    stamp = client.session["last_seen"]
    client.get("/")
    assert client.session["last_seen"] > stamp + 60


def test_session_without_second_factor_stamp_is_refused(make_user: Callable[..., User]) -> None:
    user = make_user("doctor")
    client = Client()
    client.force_login(user, backend="jianguan.accounts.backends.InstitutionUserBackend")
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert entries("session.use_after_expire")[0].purpose == "no_mfa"


def test_disablement_ends_every_session_of_the_user(make_user: Callable[..., User]) -> None:
    user = make_user("doctor")
    first, second = login_as(Client(), user), login_as(Client(), user)
    assert first.get("/").status_code == 200 and second.get("/").status_code == 200
    User.objects.unscoped(reason="test").filter(pk=user.pk).update(is_active=False)
    end_all_sessions(user)
    assert first.get("/")["Location"].startswith(LOGIN)
    assert second.get("/")["Location"].startswith(LOGIN)


def test_disabled_user_without_epoch_change_is_still_refused(
    make_user: Callable[..., User],
) -> None:
    user = make_user("doctor")
    client = login_as(Client(), user)
    User.objects.unscoped(reason="test").filter(pk=user.pk).update(is_active=False)
    assert client.get("/")["Location"].startswith(LOGIN)
    [entry] = entries("session.use_after_expire")
    assert entry.purpose == "signed_out" and entry.actor_id == user.pk


def test_raised_epoch_ends_sessions(make_user: Callable[..., User]) -> None:
    user = make_user("doctor")
    client = login_as(Client(), user)
    end_all_sessions(user)
    assert client.get("/")["Location"].startswith(LOGIN)
    assert entries("session.use_after_expire")[0].purpose == "epoch"


def test_ending_other_sessions_keeps_this_one(make_user: Callable[..., User]) -> None:
    user = make_user("doctor")
    here, elsewhere = login_as(Client(), user), login_as(Client(), user)
    response = here.post("/accounts/security/sessions/")
    assert response.status_code == 302
    assert here.get("/").status_code == 200
    assert elsewhere.get("/")["Location"].startswith(LOGIN)


def test_ending_other_sessions_is_audited(staff_client: StaffClient) -> None:
    client, user = staff_client("doctor")
    client.post("/accounts/security/sessions/")
    [entry] = entries("auth.logout")
    assert entry.actor_id == user.pk and entry.purpose == "other_sessions"


def test_ending_other_sessions_needs_post(staff_client: StaffClient) -> None:
    client, _ = staff_client("doctor")
    assert client.get("/accounts/security/sessions/").status_code == 405


def test_ending_other_sessions_sends_anonymous_to_login(client: Client) -> None:
    response = client.post("/accounts/security/sessions/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_logout_in_one_browser_ends_the_session_in_the_other_too(
    make_user: Callable[..., User],
) -> None:
    user = make_user("doctor")
    first, second = login_as(Client(), user), login_as(Client(), user)
    assert second.get("/").status_code == 200
    first.post("/accounts/logout/")
    assert first.get("/").status_code == 302
    assert second.get("/").status_code == 302


def test_signed_in_pages_are_not_cached(staff_client: StaffClient) -> None:
    client, _ = staff_client("doctor")
    assert client.get("/")["Cache-Control"] == "no-store"


def test_session_ids_are_long_random_strings(make_user: Callable[..., User]) -> None:
    keys = {login_as(Client(), make_user("doctor")).session.session_key for _ in range(3)}
    assert len(keys) == 3 and all(k and len(k) >= 32 for k in keys)
