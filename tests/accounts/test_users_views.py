"""The user administration pages, through their URLs, as the institution admin uses them."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jianguan.accounts.models import OneTimeLink, RecoveryCode, TotpDevice, User
from jianguan.audit.models import AuditEntry
from jianguan.core.blind import normalise_text
from tests.conftest import login_as

StaffClient = Callable[..., tuple[Client, User]]

LIST = "/accounts/users/"
CREATE = "/accounts/users/new/"


def detail(user: User) -> str:
    return f"/accounts/users/{user.pk}/"


def fetch(user_id: uuid.UUID) -> User:
    return User.objects.unscoped(reason="test").get(pk=user_id)


# --- anonymous and wrong role first -----------------------------------------------------------


@pytest.mark.parametrize("path", [LIST, CREATE, "/accounts/teams/"])
def test_anonymous_is_sent_to_login(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", ["doctor", "auditor", "front_desk"])
def test_roles_without_user_view_get_404_on_the_list(staff_client: StaffClient, role: str) -> None:
    client, _ = staff_client(role)
    assert client.get(LIST).status_code == 404


def test_security_admin_sees_the_list_but_cannot_open_a_user(
    staff_client: StaffClient, make_user: Callable[..., User]
) -> None:
    client, _ = staff_client("security_admin")
    other = make_user("doctor")
    assert client.get(LIST).status_code == 200
    assert client.get(detail(other)).status_code == 404
    assert client.get(CREATE).status_code == 404


def test_wrong_role_cannot_disable_a_user(
    staff_client: StaffClient, make_user: Callable[..., User]
) -> None:
    client, _ = staff_client("security_admin")
    other = make_user("doctor")
    assert client.post(detail(other) + "disable/").status_code == 404
    assert fetch(other.pk).is_active


def test_denied_page_is_audited(staff_client: StaffClient) -> None:
    client, user = staff_client("doctor")
    client.get(LIST)
    assert AuditEntry.objects.filter(
        action="access.denied", actor_id=user.pk, outcome="denied"
    ).exists()


# --- list -------------------------------------------------------------------------------------


def test_list_shows_name_username_roles_and_status(
    staff_client: StaffClient, make_user: Callable[..., User]
) -> None:
    client, _ = staff_client("institution_admin")
    make_user("doctor", "health_manager", username="dr-wang", full_name="王大夫")
    body = client.get(LIST).content.decode()
    assert "王大夫" in body and "dr-wang" in body
    assert "医生" in body and "健康管理师" in body
    assert "未绑定验证器" in body


def test_list_hides_other_institutions(
    staff_client: StaffClient, make_user: Callable[..., User], other_institution: object
) -> None:
    client, _ = staff_client("institution_admin")
    make_user("doctor", username="elsewhere-user", full_name="外院医生", inst=other_institution)
    body = client.get(LIST).content.decode()
    assert "elsewhere-user" not in body and "外院医生" not in body


def test_list_filters_by_role(staff_client: StaffClient, make_user: Callable[..., User]) -> None:
    client, _ = staff_client("institution_admin")
    make_user("nurse", username="the-nurse")
    make_user("doctor", username="the-doctor")
    body = client.get(LIST, {"role": "nurse"}).content.decode()
    assert "the-nurse" in body and "the-doctor" not in body


def test_list_filters_by_status(staff_client: StaffClient, make_user: Callable[..., User]) -> None:
    client, _ = staff_client("institution_admin")
    gone = make_user("nurse", username="gone-nurse")
    make_user("nurse", username="here-nurse")
    User.objects.unscoped(reason="test").filter(pk=gone.pk).update(is_active=False)
    body = client.get(LIST, {"status": "disabled"}).content.decode()
    assert "gone-nurse" in body and "here-nurse" not in body


def test_list_filters_users_without_mfa(
    staff_client: StaffClient, make_user: Callable[..., User]
) -> None:
    client, _ = staff_client("institution_admin")
    enrolled = make_user("nurse", username="has-mfa")
    TotpDevice.objects.create(user=enrolled, name="phone", seed=b"1" * 20, confirmed=True)
    make_user("nurse", username="lacks-mfa")
    body = client.get(LIST, {"status": "no_mfa"}).content.decode()
    assert "lacks-mfa" in body and "has-mfa" not in body


def test_an_unknown_filter_value_is_not_an_error(staff_client: StaffClient) -> None:
    client, _ = staff_client("institution_admin")
    response = client.get(LIST, {"role": "pope", "status": "zzz", "page": "abc"})
    assert response.status_code == 200


def test_list_pages_server_side_and_keeps_the_filter(
    staff_client: StaffClient, make_user: Callable[..., User]
) -> None:
    client, _ = staff_client("institution_admin")
    for i in range(30):
        make_user("nurse", username=f"nurse-{i:02d}")
    first = client.get(LIST, {"role": "nurse"}).content.decode()
    second = client.get(LIST, {"role": "nurse", "page": "2"}).content.decode()
    assert "nurse-00" in first and "nurse-29" not in first
    assert "nurse-29" in second and "nurse-00" not in second
    assert "?role=nurse&amp;page=2" in first


def _list_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(LIST).status_code == 200
    # The ledger's own appends are its business (bulk, measured in its benchmark).
    return len([q for q in ctx.captured_queries if "audit_" not in q["sql"]])


def test_list_query_count_does_not_grow_with_users(
    staff_client: StaffClient, make_user: Callable[..., User]
) -> None:
    client, _ = staff_client("institution_admin")
    for _ in range(2):
        make_user("nurse", "doctor")
    few = _list_queries(client)
    for _ in range(15):
        user = make_user("nurse", "doctor")
        TotpDevice.objects.create(user=user, name="p", seed=b"2" * 20, confirmed=True)
    assert _list_queries(client) == few
    assert few <= 10


def test_list_audits_one_read_per_user_shown(
    staff_client: StaffClient, make_user: Callable[..., User]
) -> None:
    client, admin = staff_client("institution_admin")
    shown = make_user("nurse")
    client.get(LIST)
    views = AuditEntry.objects.filter(action="user.view", actor_id=admin.pk)
    assert set(views.values_list("resource_id", flat=True)) == {str(admin.pk), str(shown.pk)}


# --- search (D-15) --------------------------------------------------------------------------


def _search(client: Client, text: str) -> tuple[str, str]:
    response = client.post(LIST, {"q": text})
    assert response.status_code == 302
    location = response["Location"]
    return location, client.get(location).content.decode()


def test_search_by_name_is_a_post_and_the_name_stays_out_of_the_url(
    staff_client: StaffClient, make_user: Callable[..., User]
) -> None:
    client, _ = staff_client("institution_admin")
    make_user("nurse", username="found-one", full_name="欧阳娜娜")
    make_user("nurse", username="other-one", full_name="欧阳菲菲")
    location, body = _search(client, "欧阳娜娜")
    assert "欧阳" not in location and "%" not in location
    assert set(parse_qs(urlparse(location).query)) == {"s"}
    assert "found-one" in body and "other-one" not in body


def test_search_by_mobile_finds_the_user(
    staff_client: StaffClient, make_user: Callable[..., User]
) -> None:
    client, _ = staff_client("institution_admin")
    make_user("nurse", username="by-phone", mobile="13655556666")
    location, body = _search(client, "136 5555 6666")
    assert "13655556666" not in location
    assert "by-phone" in body


def _colliding_name(admin: User, taken: str) -> str:
    """A different name whose truncated blind index equals `taken`'s (BI-03 makes them common)."""
    field = User._meta.get_field("full_name_index")
    target = field.compute(User, admin.institution_id, taken)  # type: ignore[union-attr]
    for i in range(20_000):
        candidate = f"测试{i}"
        if field.compute(User, admin.institution_id, candidate) == target:  # type: ignore[union-attr]
            return candidate
    raise AssertionError("no collision found")


def test_search_post_filters_blind_index_collisions(
    staff_client: StaffClient, make_user: Callable[..., User]
) -> None:
    client, admin = staff_client("institution_admin")
    twin = _colliding_name(admin, "冯小刚")
    make_user("nurse", username="real-match", full_name="冯小刚")
    make_user("nurse", username="index-twin", full_name=twin)
    _, body = _search(client, "冯小刚")
    assert "real-match" in body and "index-twin" not in body
    assert normalise_text(twin) != normalise_text("冯小刚")


def test_an_unknown_search_handle_is_not_an_error(staff_client: StaffClient) -> None:
    client, _ = staff_client("institution_admin")
    response = client.get(LIST, {"s": "made-up-handle"})
    assert response.status_code == 302
    assert response["Location"] == LIST


def test_a_search_handle_belongs_to_its_session(
    staff_client: StaffClient, make_user: Callable[..., User]
) -> None:
    client, _ = staff_client("institution_admin")
    make_user("nurse", username="secret-find", full_name="诸葛亮")
    location, _ = _search(client, "诸葛亮")
    other, _ = staff_client("institution_admin")
    assert "secret-find" not in other.get(location).content.decode()


def test_an_empty_search_shows_an_error_on_the_field(staff_client: StaffClient) -> None:
    client, _ = staff_client("institution_admin")
    response = client.post(LIST, {"q": ""})
    assert response.status_code == 200
    assert response.context["search_form"].errors["q"]


# --- create ------------------------------------------------------------------------------------


def _create(client: Client, **overrides: object) -> Any:
    data: dict[str, object] = {
        "username": "new-staff",
        "full_name": "新员工",
        "mobile": "13911112222",
        "email": "new@example.org",
        "roles": ["doctor"],
    }
    data.update(overrides)
    return client.post(CREATE, data)


def test_create_form_has_no_password_field(staff_client: StaffClient) -> None:
    client, _ = staff_client("institution_admin")
    response = client.get(CREATE)
    assert response.status_code == 200
    assert "password" not in response.context["form"].fields
    assert 'type="password"' not in response.content.decode()


def test_create_user_shows_the_activation_link_once(staff_client: StaffClient) -> None:
    client, _ = staff_client("institution_admin")
    response = _create(client)
    assert response.status_code == 200
    link = response.context["link"]
    body = response.content.decode()
    assert f"/accounts/activate/{link.token}/" in body
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "no-store"
    user = fetch(link.user.pk)
    assert user.username == "new-staff" and not user.has_usable_password()
    assert user.role_codes == {"doctor"}
    page = client.get(detail(user)).content.decode()
    assert link.token not in page
    assert OneTimeLink.objects.get(user_id=user.pk).token_hash != link.token


def test_create_with_a_bad_mobile_shows_the_error_next_to_the_field(
    staff_client: StaffClient,
) -> None:
    client, _ = staff_client("institution_admin")
    response = _create(client, mobile="12345")
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["mobile"]
    assert "11 位" in errors["mobile"][0]


def test_create_with_clashing_roles_shows_the_error_next_to_roles(
    staff_client: StaffClient,
) -> None:
    client, _ = staff_client("institution_admin")
    response = _create(client, roles=["institution_admin", "auditor"])
    errors = response.context["form"].errors
    assert list(errors) == ["roles"]
    assert "不同的人" in errors["roles"][0]
    assert not User.objects.unscoped(reason="test").filter(username="new-staff").exists()


def test_create_with_a_taken_username_shows_the_error_next_to_username(
    staff_client: StaffClient, make_user: Callable[..., User]
) -> None:
    client, _ = staff_client("institution_admin")
    make_user("doctor", username="new-staff")
    response = _create(client)
    assert list(response.context["form"].errors) == ["username"]


def test_create_with_an_unknown_role_is_a_form_error(staff_client: StaffClient) -> None:
    client, _ = staff_client("institution_admin")
    response = _create(client, roles=["root"])
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["roles"]


def test_post_without_csrf_token_is_refused(
    staff_client: StaffClient, make_user: Callable[..., User]
) -> None:
    _, admin = staff_client("institution_admin")
    target = make_user("doctor")
    client = login_as(Client(enforce_csrf_checks=True), admin)
    assert client.post(detail(target) + "disable/").status_code == 403
    assert _create(client).status_code == 403
    assert fetch(target.pk).is_active


# --- detail, edit, actions -----------------------------------------------------------------------


def test_detail_shows_the_form_filled_in(
    staff_client: StaffClient, make_user: Callable[..., User]
) -> None:
    client, _ = staff_client("institution_admin")
    user = make_user("nurse", full_name="吴护士", mobile="13900001111")
    response = client.get(detail(user))
    assert response.status_code == 200
    assert response.context["form"].initial["full_name"] == "吴护士"
    assert response.context["form"].initial["roles"] == ["nurse"]


def test_edit_saves_name_and_roles(
    staff_client: StaffClient, make_user: Callable[..., User]
) -> None:
    client, _ = staff_client("institution_admin")
    user = make_user("nurse", full_name="郑护士")
    response = client.post(
        detail(user),
        {"full_name": "郑护士长", "mobile": "", "email": "", "roles": ["nurse", "health_manager"]},
    )
    assert response.status_code == 302
    fresh = fetch(user.pk)
    assert fresh.full_name == "郑护士长"
    assert fresh.role_codes == {"nurse", "health_manager"}
    assert AuditEntry.objects.filter(action="user.role_change", resource_id=str(user.pk)).exists()
    update = AuditEntry.objects.get(action="user.update", resource_id=str(user.pk))
    assert update.purpose == "fields:full_name,mobile"


def test_last_admin_removing_own_admin_role_gets_an_error_on_roles(
    staff_client: StaffClient,
) -> None:
    client, admin = staff_client("institution_admin")
    response = client.post(
        detail(admin), {"full_name": "李医生", "mobile": "13900001111", "roles": ["doctor"]}
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["roles"]
    assert fetch(admin.pk).role_codes == {"institution_admin"}


def test_disable_ends_the_users_sessions(
    staff_client: StaffClient, make_user: Callable[..., User]
) -> None:
    client, _ = staff_client("institution_admin")
    victim_client, victim = staff_client("doctor")
    assert victim_client.get("/").status_code == 200
    response = client.post(detail(victim) + "disable/")
    assert response.status_code == 302
    assert not fetch(victim.pk).is_active
    after = victim_client.get("/")
    assert after.status_code == 302 and after["Location"].startswith("/accounts/login/")


def test_admin_cannot_disable_themselves(staff_client: StaffClient) -> None:
    client, admin = staff_client("institution_admin")
    response = client.post(detail(admin) + "disable/", follow=True)
    assert "不能停用自己的账号" in response.content.decode()
    assert fetch(admin.pk).is_active


def test_enable_restores_the_account(
    staff_client: StaffClient, make_user: Callable[..., User]
) -> None:
    client, _ = staff_client("institution_admin")
    user = make_user("doctor")
    client.post(detail(user) + "disable/")
    client.post(detail(user) + "enable/")
    assert fetch(user.pk).is_active


def test_reset_mfa_deletes_devices_and_codes(
    staff_client: StaffClient, make_user: Callable[..., User]
) -> None:
    client, _ = staff_client("institution_admin")
    user = make_user("doctor")
    TotpDevice.objects.create(user=user, name="phone", seed=b"3" * 20, confirmed=True)
    RecoveryCode.objects.create(user=user, code_hash="b" * 64)
    assert client.post(detail(user) + "mfa-reset/").status_code == 302
    assert not TotpDevice.objects.filter(user=user).exists()
    assert not RecoveryCode.objects.filter(user=user).exists()


def test_password_link_is_shown_once(
    staff_client: StaffClient, make_user: Callable[..., User]
) -> None:
    client, _ = staff_client("institution_admin")
    user = make_user("doctor")
    response = client.post(detail(user) + "password-link/")
    assert response.status_code == 200
    link = response.context["link"]
    assert link.purpose == "reset"
    assert f"/accounts/activate/{link.token}/" in response.content.decode()
    assert link.token not in client.get(detail(user)).content.decode()


@pytest.mark.parametrize("action", ["disable", "enable", "mfa-reset", "password-link"])
def test_actions_refuse_get(
    staff_client: StaffClient, make_user: Callable[..., User], action: str
) -> None:
    client, _ = staff_client("institution_admin")
    user = make_user("doctor")
    assert client.get(detail(user) + f"{action}/").status_code == 405
    assert fetch(user.pk).is_active


@pytest.mark.parametrize("suffix", ["", "disable/", "mfa-reset/", "password-link/"])
def test_another_institutions_user_is_404_and_the_denial_audited(
    staff_client: StaffClient,
    make_user: Callable[..., User],
    other_institution: object,
    suffix: str,
) -> None:
    client, admin = staff_client("institution_admin")
    stranger = make_user("doctor", inst=other_institution)
    assert client.post(detail(stranger) + suffix).status_code == 404
    denial = AuditEntry.objects.get(action="access.denied", resource_id=str(stranger.pk))
    assert denial.actor_id == admin.pk
    assert denial.outcome == "denied"
    assert denial.purpose == "other institution"
    assert fetch(stranger.pk).is_active


def test_a_missing_user_id_is_404_with_reason_not_found(staff_client: StaffClient) -> None:
    client, _ = staff_client("institution_admin")
    missing = uuid.uuid4()
    assert client.get(f"/accounts/users/{missing}/").status_code == 404
    denial = AuditEntry.objects.get(action="access.denied", resource_id=str(missing))
    assert denial.purpose == "not found"
