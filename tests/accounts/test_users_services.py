"""User administration rules, through `services.users` with real rows and the real ledger."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from jianguan.accounts import selectors
from jianguan.accounts.models import (
    Institution,
    OneTimeLink,
    RecoveryCode,
    RoleGrant,
    Team,
    TotpDevice,
    User,
)
from jianguan.accounts.services import users as services
from jianguan.audit.models import AuditEntry
from jianguan.core.actors import Actor


def admin_actor(user: User) -> Actor:
    return Actor("staff", user.pk, user.institution_id, user.role_codes)


def member_ids(team: Team) -> list[uuid.UUID]:
    return list(Team.members.through.objects.filter(team=team).values_list("user_id", flat=True))


def entries(action: str, resource_id: object) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action, resource_id=str(resource_id)))


@pytest.fixture
def admin(make_user: Callable[..., User]) -> User:
    return make_user("institution_admin", username="the-admin")


# --- create ---------------------------------------------------------------------------------


def test_create_user_has_no_usable_password(admin: User) -> None:
    link = services.create_user(
        admin_actor(admin), username="new.doctor", roles=["doctor"], full_name="王医生"
    )
    user = User.objects.unscoped(reason="test").get(pk=link.user.pk)
    assert not user.has_usable_password()
    assert user.institution_id == admin.institution_id
    assert user.full_name == "王医生"
    assert user.role_codes == {"doctor"}


def test_create_user_issues_an_activation_link_stored_only_hashed(admin: User) -> None:
    link = services.create_user(admin_actor(admin), username="new.nurse", roles=["nurse"])
    assert link.purpose == "activate"
    assert link.path == f"/accounts/activate/{link.token}/"
    row = OneTimeLink.objects.get(user_id=link.user.pk)
    assert row.purpose == "activate"
    assert len(link.token) >= 22  # ≥ 128 bits in URL-safe base64
    assert link.token not in row.token_hash


def test_create_user_records_granted_by(admin: User) -> None:
    link = services.create_user(admin_actor(admin), username="granted", roles=["nurse"])
    assert RoleGrant.objects.get(user_id=link.user.pk).granted_by_id == admin.pk


def test_create_user_is_audited_with_ids_only(admin: User) -> None:
    link = services.create_user(
        admin_actor(admin),
        username="audited-user",
        roles=["front_desk"],
        full_name="赵前台",
        mobile="13800138000",
    )
    (entry,) = entries("user.create", link.user.pk)
    assert entry.actor_id == admin.pk
    assert entry.resource_type == "user"
    assert entry.institution_id == admin.institution_id
    text = " ".join(str(v) for v in AuditEntry.objects.values_list()).lower()
    for secret in ("赵前台", "13800138000", link.token.lower(), "audited-user"):
        assert secret not in text


@pytest.mark.parametrize(
    "mobile", ["12345678901", "1390000111", "139000011112", "abc", "23900001111"]
)
def test_create_user_refuses_a_bad_mobile(admin: User, mobile: str) -> None:
    with pytest.raises(services.InvalidMobile) as caught:
        services.create_user(admin_actor(admin), username="m-user", roles=["nurse"], mobile=mobile)
    assert caught.value.field == "mobile"
    assert not selectors.username_taken("m-user")


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("13912345678", "13912345678"),
        ("139 1234 5678", "13912345678"),
        ("+86 139-1234-5678", "13912345678"),
    ],
)
def test_mobile_is_normalised(given: str, stored: str) -> None:
    assert services.normalise_mobile(given) == stored


def test_create_user_refuses_a_duplicate_username_case_blind(
    admin: User, make_user: Callable[..., User], other_institution: Institution
) -> None:
    make_user("doctor", username="Taken.Name", inst=other_institution)
    with pytest.raises(services.DuplicateUsername) as caught:
        services.create_user(admin_actor(admin), username="taken.name", roles=["doctor"])
    assert caught.value.field == "username"


@pytest.mark.parametrize("username", ["ab", "-lead", "has space", "名字", "x" * 65])
def test_create_user_refuses_a_bad_username(admin: User, username: str) -> None:
    with pytest.raises(services.InvalidUsername):
        services.create_user(admin_actor(admin), username=username, roles=["doctor"])


def test_create_user_refuses_no_role(admin: User) -> None:
    with pytest.raises(services.NoRole):
        services.create_user(admin_actor(admin), username="no-role", roles=[])


def test_create_user_refuses_an_unknown_role(admin: User) -> None:
    with pytest.raises(services.UnknownRole):
        services.create_user(admin_actor(admin), username="bad-role", roles=["superuser"])


def test_create_user_refuses_an_actor_without_the_capability(
    make_user: Callable[..., User],
) -> None:
    security = make_user("security_admin")
    from jianguan.core.errors import PermissionDeniedNotFound

    with pytest.raises(PermissionDeniedNotFound):
        services.create_user(admin_actor(security), username="sneaky", roles=["doctor"])
    assert not selectors.username_taken("sneaky")


# --- edit and roles ---------------------------------------------------------------------------


def test_update_user_audits_changed_field_names_only(
    admin: User, make_user: Callable[..., User]
) -> None:
    user = make_user("nurse", full_name="钱护士", mobile="13900001111")
    changed = services.update_user(
        admin_actor(admin), user, full_name="钱护士长", mobile="13900001111", email=""
    )
    assert changed == ["full_name"]
    (entry,) = entries("user.update", user.pk)
    assert entry.purpose == "fields:full_name"
    assert "钱护士" not in entry.purpose


def test_update_user_recomputes_the_blind_indexes(
    admin: User, make_user: Callable[..., User]
) -> None:
    user = make_user("nurse", full_name="孙护士", mobile="13900005555")
    services.update_user(
        admin_actor(admin), user, full_name="孙护士", mobile="13700007777", email=""
    )
    found = selectors.search_users(admin_actor(admin), "13700007777")
    assert [u.pk for u in found] == [user.pk]
    assert selectors.search_users(admin_actor(admin), "13900005555") == []


def test_update_without_changes_is_not_audited(admin: User, make_user: Callable[..., User]) -> None:
    user = make_user("nurse", full_name="周护士", mobile="13900001111")
    assert (
        services.update_user(
            admin_actor(admin), user, full_name="周护士", mobile="13900001111", email=""
        )
        == []
    )
    assert entries("user.update", user.pk) == []


def test_set_roles_adds_and_removes_and_is_audited(
    admin: User, make_user: Callable[..., User]
) -> None:
    user = make_user("nurse", "front_desk")
    added, removed = services.set_roles(admin_actor(admin), user, ["nurse", "doctor"])
    assert (added, removed) == ({"doctor"}, {"front_desk"})
    assert user.role_codes == {"nurse", "doctor"}
    (entry,) = entries("user.role_change", user.pk)
    assert entry.purpose == "added:doctor;removed:front_desk"


def test_last_active_admin_cannot_drop_the_admin_role(admin: User) -> None:
    with pytest.raises(services.LastAdmin) as caught:
        services.set_roles(admin_actor(admin), admin, ["doctor"])
    assert caught.value.field == "roles"
    admin.forget_roles()
    assert admin.role_codes == {"institution_admin"}


def test_an_admin_may_drop_the_admin_role_while_another_admin_is_active(
    admin: User, make_user: Callable[..., User]
) -> None:
    make_user("institution_admin")
    services.set_roles(admin_actor(admin), admin, ["doctor"])
    assert admin.role_codes == {"doctor"}


def test_a_disabled_second_admin_does_not_count(
    admin: User, make_user: Callable[..., User]
) -> None:
    other = make_user("institution_admin")
    services.disable_user(admin_actor(admin), other)
    with pytest.raises(services.LastAdmin):
        services.set_roles(admin_actor(admin), admin, ["doctor"])


def test_edit_user_is_all_or_nothing(admin: User) -> None:
    with pytest.raises(services.LastAdmin):
        services.edit_user(
            admin_actor(admin), admin, full_name="新名字", mobile="", email="", roles=["doctor"]
        )
    fresh = User.objects.unscoped(reason="test").get(pk=admin.pk)
    assert fresh.full_name == "李医生"


# --- disable, enable, MFA, links ------------------------------------------------------------


def test_disable_user_ends_sessions_and_is_audited(
    admin: User, make_user: Callable[..., User]
) -> None:
    user = make_user("doctor")
    epoch = user.session_epoch
    services.disable_user(admin_actor(admin), user)
    fresh = User.objects.unscoped(reason="test").get(pk=user.pk)
    assert not fresh.is_active
    assert fresh.session_epoch == epoch + 1
    assert len(entries("user.disable", user.pk)) == 1


def test_an_admin_cannot_disable_themselves(admin: User) -> None:
    with pytest.raises(services.SelfDisable):
        services.disable_user(admin_actor(admin), admin)
    assert User.objects.unscoped(reason="test").get(pk=admin.pk).is_active


def test_enable_user_is_audited(admin: User, make_user: Callable[..., User]) -> None:
    user = make_user("doctor")
    services.disable_user(admin_actor(admin), user)
    services.enable_user(admin_actor(admin), user)
    assert User.objects.unscoped(reason="test").get(pk=user.pk).is_active
    assert len(entries("user.enable", user.pk)) == 1


def _enrol(user: User) -> None:
    TotpDevice.objects.create(user=user, name="phone", seed=b"0" * 20, confirmed=True)
    RecoveryCode.objects.create(user=user, code_hash="a" * 64)


def test_reset_mfa_removes_devices_and_recovery_codes(
    admin: User, make_user: Callable[..., User]
) -> None:
    user = make_user("doctor")
    _enrol(user)
    services.reset_mfa(admin_actor(admin), user)
    assert not TotpDevice.objects.filter(user=user).exists()
    assert not RecoveryCode.objects.filter(user=user).exists()
    assert len(entries("auth.mfa_reset", user.pk)) == 1


def test_reset_mfa_ends_the_users_sessions(admin: User, make_user: Callable[..., User]) -> None:
    user = make_user("doctor")
    services.reset_mfa(admin_actor(admin), user)
    assert User.objects.unscoped(reason="test").get(pk=user.pk).session_epoch == 1


def test_an_admin_cannot_reset_their_own_mfa_here(admin: User) -> None:
    _enrol(admin)
    with pytest.raises(services.SelfMfaReset):
        services.reset_mfa(admin_actor(admin), admin)
    assert TotpDevice.objects.filter(user=admin).exists()


def test_password_link_for_an_activated_user_is_a_reset_link(
    admin: User, make_user: Callable[..., User]
) -> None:
    user = make_user("doctor")
    link = services.issue_password_link(admin_actor(admin), user)
    assert link.purpose == "reset"
    assert OneTimeLink.objects.filter(user_id=user.pk, purpose="reset").count() == 1
    assert len(entries("user.password_reset", user.pk)) == 1


def test_password_link_leaves_the_password_alone(
    admin: User, make_user: Callable[..., User]
) -> None:
    user = make_user("doctor", password="old secret pass 42")
    services.issue_password_link(admin_actor(admin), user)
    assert User.objects.unscoped(reason="test").get(pk=user.pk).check_password("old secret pass 42")


def test_password_link_for_a_never_activated_user_is_an_activation_link(admin: User) -> None:
    created = services.create_user(admin_actor(admin), username="pending", roles=["nurse"])
    link = services.issue_password_link(admin_actor(admin), created.user)
    assert link.purpose == "activate"


def test_password_link_for_a_disabled_user_is_refused(
    admin: User, make_user: Callable[..., User]
) -> None:
    user = make_user("doctor")
    services.disable_user(admin_actor(admin), user)
    with pytest.raises(services.UserDisabled):
        services.issue_password_link(admin_actor(admin), user)


# --- teams ------------------------------------------------------------------------------------


def test_save_team_sets_lead_and_members(admin: User, make_user: Callable[..., User]) -> None:
    lead, member = make_user("doctor"), make_user("nurse")
    team = services.save_team(
        admin_actor(admin), None, name="一组", lead_id=lead.pk, member_ids=[lead.pk, member.pk]
    )
    team.refresh_from_db()
    assert team.lead_id == lead.pk
    assert set(member_ids(team)) == {lead.pk, member.pk}
    assert len(entries("team.create", team.pk)) == 1


def test_save_team_refuses_a_duplicate_name(admin: User) -> None:
    services.save_team(admin_actor(admin), None, name="一组", lead_id=None, member_ids=[])
    with pytest.raises(services.DuplicateTeam) as caught:
        services.save_team(admin_actor(admin), None, name="一组", lead_id=None, member_ids=[])
    assert caught.value.field == "name"


def test_save_team_refuses_an_unknown_member_id(admin: User) -> None:
    with pytest.raises(services.TeamMemberOutside):
        services.save_team(
            admin_actor(admin), None, name="二组", lead_id=None, member_ids=[uuid.uuid4()]
        )


def test_save_team_updates_an_existing_team(admin: User, make_user: Callable[..., User]) -> None:
    member = make_user("nurse")
    team = services.save_team(admin_actor(admin), None, name="三组", lead_id=None, member_ids=[])
    services.save_team(
        admin_actor(admin), team, name="三组改", lead_id=None, member_ids=[member.pk]
    )
    team.refresh_from_db()
    assert team.name == "三组改"
    assert member_ids(team) == [member.pk]
    assert len(entries("team.update", team.pk)) == 1


# --- institutions -------------------------------------------------------------------------------


def test_only_a_system_actor_creates_institutions(admin: User) -> None:
    from jianguan.core.errors import PermissionDeniedNotFound

    with pytest.raises(PermissionDeniedNotFound):
        services.create_institution(admin_actor(admin), code="new-site", name="新机构")
    assert not Institution.objects.filter(code="new-site").exists()


def test_a_full_name_longer_than_the_form_allows_is_refused_by_the_service_too(  # type: ignore[no-untyped-def]
    make_user, institution
) -> None:
    from jianguan.accounts.services.auth import actor_of
    from jianguan.accounts.services.users import InvalidFullName, create_user

    admin = make_user("institution_admin")
    with pytest.raises(InvalidFullName) as caught:
        create_user(actor_of(admin), username="long.name", roles=["nurse"], full_name="名" * 101)
    assert caught.value.field == "full_name"
