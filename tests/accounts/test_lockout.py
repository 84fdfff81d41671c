"""Lockout per account and per client address (AUTHN-10)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from jianguan.accounts.models import LoginThrottle, User
from jianguan.accounts.services import throttle

from .auth_helpers import LOGIN, MFA, PASSWORD, code_now, enrol, entries, post_password, wrong_code

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]


def fail(client: Client, username: str, times: int) -> list[int]:
    return [post_password(client, username, "not the password").status_code for _ in range(times)]


def test_fifth_failure_locks_the_account_with_429(client: Client, make_user: MakeUser) -> None:
    user = make_user("doctor")
    assert fail(client, user.username, 5) == [200, 200, 200, 200, 429]


def test_locked_answer_has_retry_after_in_seconds(
    client: Client, make_user: MakeUser, settings: Any
) -> None:
    user = make_user("doctor")
    fail(client, user.username, 5)
    response = post_password(client, user.username)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= settings.JIANGUAN_LOCKOUT_COOLOFF_SECONDS


def test_locked_answer_says_so_clearly(client: Client, make_user: MakeUser) -> None:
    user = make_user("doctor")
    fail(client, user.username, 5)
    body = post_password(client, user.username).content.decode()
    assert "登录失败次数过多" in body and "15 分钟" in body


def test_correct_password_is_refused_while_locked(client: Client, make_user: MakeUser) -> None:
    user = make_user("doctor")
    enrol(user)
    fail(client, user.username, 5)
    assert post_password(client, user.username).status_code == 429
    assert "pre_mfa" not in client.session


def test_lock_holds_for_another_address(make_user: MakeUser) -> None:
    user = make_user("doctor")
    fail(Client(REMOTE_ADDR="10.0.0.1"), user.username, 5)
    assert post_password(Client(REMOTE_ADDR="10.0.0.2"), user.username).status_code == 429


def test_unknown_usernames_are_locked_like_real_ones(client: Client) -> None:
    assert fail(client, "no-such-user", 6) == [200, 200, 200, 200, 429, 429]


def test_unknown_usernames_are_not_stored(client: Client) -> None:
    fail(client, "no-such-user", 2)
    keys = list(LoginThrottle.objects.values_list("key", flat=True))
    assert not any("no-such-user" in k for k in keys)
    assert throttle.account_key("No-Such-User") in keys


def test_rotating_usernames_from_one_address_is_throttled(client: Client, settings: Any) -> None:
    settings.JIANGUAN_LOCKOUT_IP_FAILURES = 3
    statuses = [post_password(client, f"guess-{i}", "x").status_code for i in range(4)]
    assert statuses == [200, 200, 429, 429]


def test_address_lock_leaves_other_addresses_alone(settings: Any, make_user: MakeUser) -> None:
    settings.JIANGUAN_LOCKOUT_IP_FAILURES = 3
    attacker = Client(REMOTE_ADDR="10.0.0.66")
    for i in range(3):
        post_password(attacker, f"guess-{i}", "x")
    user = make_user("doctor")
    enrol(user)
    assert post_password(Client(REMOTE_ADDR="10.0.0.7"), user.username).status_code == 302


def test_success_resets_the_account_counter(client: Client, make_user: MakeUser) -> None:
    user = make_user("doctor")
    device = enrol(user)
    fail(client, user.username, 4)
    post_password(client, user.username)
    assert client.post(MFA, {"code": code_now(device)}).status_code == 302
    assert fail(Client(), user.username, 4) == [200, 200, 200, 200]


def test_success_does_not_reset_the_address_counter(
    client: Client, make_user: MakeUser, settings: Any
) -> None:
    settings.JIANGUAN_LOCKOUT_IP_FAILURES = 4
    user = make_user("doctor")
    device = enrol(user)
    fail(client, "someone-else", 3)
    post_password(client, user.username)
    client.post(MFA, {"code": code_now(device)})
    client.post("/accounts/logout/")
    assert fail(client, "another-one", 1) == [429]


def test_wrong_codes_count_towards_the_lock(client: Client, make_user: MakeUser) -> None:
    user = make_user("doctor")
    device = enrol(user)
    post_password(client, user.username)
    statuses = [client.post(MFA, {"code": wrong_code(device)}).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    assert post_password(client, user.username).status_code == 429


def test_lockout_at_the_code_step_ends_the_half_signed_in_state(
    client: Client, make_user: MakeUser
) -> None:
    user = make_user("doctor")
    device = enrol(user)
    post_password(client, user.username)
    for _ in range(5):
        client.post(MFA, {"code": wrong_code(device)})
    assert "pre_mfa" not in client.session


def test_lock_opens_after_the_cool_off(client: Client, make_user: MakeUser) -> None:
    user = make_user("doctor")
    enrol(user)
    fail(client, user.username, 5)
    LoginThrottle.objects.filter(key=throttle.account_key(user.username)).update(
        locked_until=timezone.now() - timedelta(seconds=1)
    )
    assert post_password(client, user.username).status_code == 302


def test_a_failure_after_the_cool_off_starts_a_fresh_count(
    client: Client, make_user: MakeUser
) -> None:
    user = make_user("doctor")
    fail(client, user.username, 5)
    LoginThrottle.objects.filter(key=throttle.account_key(user.username)).update(
        locked_until=timezone.now() - timedelta(seconds=1)
    )
    assert fail(client, user.username, 4) == [200, 200, 200, 200]


def test_failures_outside_the_window_are_forgotten(
    client: Client, make_user: MakeUser, settings: Any
) -> None:
    user = make_user("doctor")
    fail(client, user.username, 4)
    LoginThrottle.objects.filter(key=throttle.account_key(user.username)).update(
        window_start=timezone.now()
        - timedelta(seconds=settings.JIANGUAN_LOCKOUT_WINDOW_SECONDS + 1)
    )
    assert fail(client, user.username, 4) == [200, 200, 200, 200]


def test_lockout_is_audited_once(client: Client, make_user: MakeUser) -> None:
    user = make_user("doctor")
    fail(client, user.username, 7)
    [entry] = entries("auth.lockout")
    assert entry.actor_id == user.pk and entry.purpose == "account" and entry.outcome == "denied"
    assert entry.resource_id == str(user.pk)


def test_address_lockout_is_audited_with_the_address(client: Client, settings: Any) -> None:
    settings.JIANGUAN_LOCKOUT_IP_FAILURES = 2
    fail(client, "guess-a", 1)
    fail(client, "guess-b", 1)
    [entry] = entries("auth.lockout")
    assert entry.purpose == "address" and entry.client_address == "127.0.0.1"
    assert entry.actor_id is None


def test_counter_counts_every_failure(make_user: MakeUser) -> None:
    scopes = throttle.scopes("li.ming", "10.1.1.1")
    for _ in range(3):
        throttle.register_failure(scopes)
    assert LoginThrottle.objects.get(key=throttle.account_key("li.ming")).failures == 3
    assert LoginThrottle.objects.get(key=throttle.address_key("10.1.1.1")).failures == 3


def test_usernames_are_normalised_for_the_account_counter() -> None:
    assert throttle.account_key(" LI.Ming ") == throttle.account_key("li.ming")


def test_reauthentication_failures_count_too(
    staff_client: Callable[..., tuple[Client, User]],
) -> None:
    client, user = staff_client("doctor")
    device = enrol(user)
    statuses = [
        client.post(
            "/accounts/reauth/", {"password": PASSWORD, "code": wrong_code(device)}
        ).status_code
        for _ in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]


def test_locked_login_page_still_renders_the_form_link(client: Client) -> None:
    fail(client, "no-such-user", 5)
    response = client.get(LOGIN)
    assert response.status_code == 200
