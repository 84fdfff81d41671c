"""Activation and password-reset links (AUTHN-12, D-15)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from jianguan.accounts.models import OneTimeLink, User
from jianguan.accounts.services import auth
from tests.conftest import login_as

from .auth_helpers import ENROL, LOGIN, MFA, code_now, enrol, entries

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]
ACTIVATE = "/accounts/activate/"
NEW_PASSWORD = "a new river stone 42"


def new_user(make_user: MakeUser) -> User:
    user = make_user("nurse")
    user.set_unusable_password()
    user.save()
    return user


def set_password(client: Client, password: str = NEW_PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(ACTIVATE, {"password1": password, "password2": password})


def test_link_token_has_128_bits_or_more_and_only_its_hash_is_stored(make_user: MakeUser) -> None:
    user = new_user(make_user)
    token = auth.create_one_time_link(user, "activate")
    assert len(token) >= 22
    link = OneTimeLink.objects.get(user=user)
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in link.token_hash


def test_link_expires_after_72_hours_by_default(make_user: MakeUser) -> None:
    user = new_user(make_user)
    auth.create_one_time_link(user, "activate")
    link = OneTimeLink.objects.get(user=user)
    assert timedelta(hours=71, minutes=59) < link.expires - link.created <= timedelta(hours=72)


def test_a_new_link_retires_the_earlier_one(client: Client, make_user: MakeUser) -> None:
    user = new_user(make_user)
    first = auth.create_one_time_link(user, "activate")
    auth.create_one_time_link(user, "activate")
    assert client.get(auth.one_time_link_path(first)).status_code == 404


def test_unknown_purpose_is_refused(make_user: MakeUser) -> None:
    with pytest.raises(ValueError):
        auth.create_one_time_link(make_user("nurse"), "login")


def test_token_is_exchanged_for_a_token_free_url(client: Client, make_user: MakeUser) -> None:
    token = auth.create_one_time_link(new_user(make_user), "activate")
    response = client.get(auth.one_time_link_path(token))
    assert response.status_code == 302 and response["Location"] == ACTIVATE
    assert response["Referrer-Policy"] == "no-referrer"
    assert token not in str(dict(client.session.items()))


def test_token_free_page_asks_for_a_password_without_referrer(
    client: Client, make_user: MakeUser
) -> None:
    token = auth.create_one_time_link(new_user(make_user), "activate")
    client.get(auth.one_time_link_path(token))
    response = client.get(ACTIVATE)
    assert response.status_code == 200 and response["Referrer-Policy"] == "no-referrer"
    assert 'name="password1"' in response.content.decode()


def test_unknown_token_is_not_found(client: Client) -> None:
    response = client.get(auth.one_time_link_path("x" * 32))
    assert response.status_code == 404 and response["Referrer-Policy"] == "no-referrer"
    assert "链接无效" in response.content.decode()


def test_activation_page_without_a_link_is_not_found(client: Client) -> None:
    assert client.get(ACTIVATE).status_code == 404


def test_expired_link_is_refused(client: Client, make_user: MakeUser) -> None:
    user = new_user(make_user)
    token = auth.create_one_time_link(user, "activate")
    OneTimeLink.objects.filter(user=user).update(expires=timezone.now() - timedelta(seconds=1))
    assert client.get(auth.one_time_link_path(token)).status_code == 404


def test_link_of_a_disabled_user_is_refused(client: Client, make_user: MakeUser) -> None:
    user = new_user(make_user)
    token = auth.create_one_time_link(user, "activate")
    User.objects.unscoped(reason="test").filter(pk=user.pk).update(is_active=False)
    assert client.get(auth.one_time_link_path(token)).status_code == 404


def test_setting_the_password_leads_to_totp_enrolment(client: Client, make_user: MakeUser) -> None:
    user = new_user(make_user)
    client.get(auth.one_time_link_path(auth.create_one_time_link(user, "activate")))
    response = set_password(client)
    assert response.status_code == 302 and response["Location"] == ENROL
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert "_auth_user_id" not in client.session
    assert client.get(ENROL).status_code == 200


def test_activation_password_must_pass_the_rules(client: Client, make_user: MakeUser) -> None:
    user = new_user(make_user)
    client.get(auth.one_time_link_path(auth.create_one_time_link(user, "activate")))
    response = set_password(client, "12345678")
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    user.refresh_from_db()
    assert not user.has_usable_password()


def test_link_works_once(make_user: MakeUser) -> None:
    user = new_user(make_user)
    token = auth.create_one_time_link(user, "activate")
    first = Client()
    first.get(auth.one_time_link_path(token))
    set_password(first)
    assert Client().get(auth.one_time_link_path(token)).status_code == 404


def test_two_browsers_with_one_link_set_the_password_once(make_user: MakeUser) -> None:
    user = new_user(make_user)
    token = auth.create_one_time_link(user, "activate")
    first, second = Client(), Client()
    first.get(auth.one_time_link_path(token))
    second.get(auth.one_time_link_path(token))
    assert set_password(first).status_code == 302
    assert set_password(second, "another fine phrase 7").status_code == 404
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_link_exchange_drops_a_signed_in_session(make_user: MakeUser) -> None:
    admin = make_user("institution_admin")
    client = login_as(Client(), admin)
    token = auth.create_one_time_link(new_user(make_user), "activate")
    client.get(auth.one_time_link_path(token))
    assert "_auth_user_id" not in client.session


def test_reset_still_requires_the_second_factor(client: Client, make_user: MakeUser) -> None:
    user = make_user("doctor")
    device = enrol(user)
    client.get(auth.one_time_link_path(auth.create_one_time_link(user, "reset")))
    response = set_password(client)
    assert response.status_code == 302 and response["Location"] == MFA
    assert client.get("/")["Location"].startswith(LOGIN)
    assert client.post(MFA, {"code": code_now(device)})["Location"] == "/"


def test_reset_ends_existing_sessions(make_user: MakeUser) -> None:
    user = make_user("doctor")
    enrol(user)
    signed_in = login_as(Client(), user)
    flow = Client()
    flow.get(auth.one_time_link_path(auth.create_one_time_link(user, "reset")))
    set_password(flow)
    assert signed_in.get("/")["Location"].startswith(LOGIN)


def test_password_set_through_a_link_is_audited(client: Client, make_user: MakeUser) -> None:
    user = new_user(make_user)
    client.get(auth.one_time_link_path(auth.create_one_time_link(user, "activate")))
    set_password(client)
    [entry] = entries("auth.password_change")
    assert entry.actor_id == user.pk and entry.purpose == "activate"


def test_activation_flow_state_is_cookie_scoped(make_user: MakeUser) -> None:
    user = new_user(make_user)
    Client().get(auth.one_time_link_path(auth.create_one_time_link(user, "activate")))
    assert Client().get(ACTIVATE).status_code == 404
