"""User, role, team and institution administration: the only code that changes them.

Every function takes the acting `Actor` and checks the capability itself, so the CLI, the views
and later the API share one set of rules: roles from the matrix, never two of the exclusive admin
roles (D-10), never the last active institution admin gone, never a password set by an admin
(AUTHN-12: the admin gets a one-time link to hand over instead). Writes are audited inside their
transaction (D-08); audit entries carry ids and field names, never values (D-05).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from jianguan.audit.ledger import record
from jianguan.core.actors import Actor
from jianguan.core.errors import JianguanError, PermissionDeniedNotFound
from jianguan.core.notify import notify

from .. import matrix, selectors
from ..models import Institution, RecoveryCode, RoleGrant, Team, TotpDevice, User
from .sessions import end_all_sessions

ADMIN_ROLE = "institution_admin"
USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$")
MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")
INSTITUTION_CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")


class UserAdminError(JianguanError):
    code = "user_admin_error"


class InvalidUsername(UserAdminError):
    code = "invalid_username"
    default_message = _("用户名须为 3–64 位字母、数字、点、下划线或连字符，且以字母或数字开头")


class DuplicateUsername(UserAdminError):
    code = "duplicate_username"
    default_message = _("该用户名已被使用")


class InvalidMobile(UserAdminError):
    code = "invalid_mobile"
    default_message = _("请输入 11 位中国大陆手机号码，例如 13912345678")


class InvalidEmail(UserAdminError):
    code = "invalid_email"
    default_message = _("电子邮箱格式不正确")


class InvalidFullName(UserAdminError):
    code = "invalid_full_name"
    default_message = _("姓名不能超过 100 个字符")


class NoRole(UserAdminError):
    code = "no_role"
    default_message = _("请至少选择一个角色")


class UnknownRole(UserAdminError):
    code = "unknown_role"
    default_message = _("角色不存在")


class RoleClash(UserAdminError):
    code = "role_clash"
    default_message = _(
        "机构管理员、安全管理员和审计管理员须由不同的人担任，一个用户只能持有其中一个"
    )


class LastAdmin(UserAdminError):
    code = "last_admin"
    default_message = _("这是本机构最后一位在用的机构管理员，不能移除其机构管理员角色或停用")


class SelfDisable(UserAdminError):
    code = "self_disable"
    default_message = _("不能停用自己的账号")


class SelfMfaReset(UserAdminError):
    code = "self_mfa_reset"
    default_message = _("请在“我的安全设置”中更换自己的验证器")


class UserDisabled(UserAdminError):
    code = "user_disabled"
    default_message = _("该用户已停用，请先启用")


class DuplicateTeam(UserAdminError):
    code = "duplicate_team"
    default_message = _("本机构已有同名团队")


class InvalidTeamName(UserAdminError):
    code = "invalid_team_name"
    default_message = _("请输入团队名称")


class TeamMemberOutside(UserAdminError):
    code = "team_member_outside"
    default_message = _("所选用户不存在")


class InvalidInstitutionCode(UserAdminError):
    code = "invalid_institution_code"
    default_message = _("机构代码须为 2–40 位小写字母、数字或连字符，且以字母或数字开头")


class DuplicateInstitution(UserAdminError):
    code = "duplicate_institution"
    default_message = _("该机构代码已存在")


class InvalidInstitutionName(UserAdminError):
    code = "invalid_institution_name"
    default_message = _("请输入机构名称")


@dataclass(frozen=True)
class IssuedLink:
    """A one-time link shown once to the admin; only its hash is stored (D-15)."""

    user: User
    purpose: str  # "activate" or "reset"
    token: str

    @property
    def path(self) -> str:
        from django.urls import reverse

        return reverse("accounts:activate_token", kwargs={"token": self.token})


# --- validation -------------------------------------------------------------------------------


def normalise_mobile(value: str) -> str:
    """11-digit mainland mobile number; spaces, hyphens and a +86/86 prefix are tolerated."""
    digits = re.sub(r"[\s-]", "", value or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not MOBILE_RE.fullmatch(digits):
        raise InvalidMobile(field="mobile")
    return digits


def check_username(username: str) -> str:
    username = (username or "").strip()
    if not USERNAME_RE.fullmatch(username):
        raise InvalidUsername(field="username")
    return username


def check_email(email: str) -> str:
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise InvalidEmail(field="email") from exc
    return email


def check_roles(roles: Iterable[str]) -> set[str]:
    """The role set, refused when empty, unknown or holding two exclusive roles (D-10, AZ-06)."""
    held = {r.strip() for r in roles if r and r.strip()}
    if not held:
        raise NoRole(field="roles")
    if held - set(matrix.roles()):
        raise UnknownRole(field="roles")
    if matrix.check_role_combination(held) is not None:
        raise RoleClash(field="roles")
    return held


def _require(actor: Actor, capability: str) -> uuid.UUID:
    if not actor.can(capability) or actor.institution_id is None:
        raise PermissionDeniedNotFound
    return actor.institution_id


def _require_own(actor: Actor, capability: str, obj: User | Team) -> uuid.UUID:
    institution_id = _require(actor, capability)
    if obj.institution_id != institution_id:
        raise PermissionDeniedNotFound
    return institution_id


def _granted_by(actor: Actor) -> uuid.UUID | None:
    return actor.id if actor.kind == "staff" else None


def _issue_link(user: User, purpose: str) -> IssuedLink:
    from .auth import create_one_time_link

    return IssuedLink(user=user, purpose=purpose, token=create_one_time_link(user, purpose))


# --- users ------------------------------------------------------------------------------------


FULL_NAME_MAX = 100  # the same limit as the form's field


def check_full_name(full_name: str | None) -> str:
    name = (full_name or "").strip()
    if len(name) > FULL_NAME_MAX:
        raise InvalidFullName(field="full_name")
    return name


def create_user(
    actor: Actor,
    *,
    username: str,
    roles: Iterable[str],
    full_name: str = "",
    mobile: str = "",
    email: str = "",
) -> IssuedLink:
    """A user of the actor's institution with no usable password and an activation link."""
    institution_id = _require(actor, selectors.USER_MANAGE)
    username = check_username(username)
    mobile = normalise_mobile(mobile) if mobile and mobile.strip() else ""
    email = check_email(email)
    held = check_roles(roles)
    full_name = check_full_name(full_name)
    with transaction.atomic():
        if selectors.username_taken(username):
            raise DuplicateUsername(field="username")
        user = User(
            institution_id=institution_id,
            username=username,
            full_name=full_name,
            mobile=mobile,
            email=email,
        )
        # AUTHN-12: nobody but the user ever knows the password; activation sets it.
        user.set_unusable_password()
        try:
            with transaction.atomic():
                user.save(force_insert=True)
        except IntegrityError as exc:
            raise DuplicateUsername(field="username") from exc
        RoleGrant.objects.bulk_create(
            [RoleGrant(user=user, role=r, granted_by_id=_granted_by(actor)) for r in sorted(held)]
        )
        link = _issue_link(user, "activate")
        record(
            "user.create",
            actor=actor,
            resource_type="user",
            resource_id=str(user.pk),
            institution_id=institution_id,
        )
    user.forget_roles()
    return link


def update_user(actor: Actor, user: User, *, full_name: str, mobile: str, email: str) -> list[str]:
    """Change contact fields; the audit entry names the changed fields only (D-05, D-09)."""
    institution_id = _require_own(actor, selectors.USER_MANAGE, user)
    new = {
        "full_name": check_full_name(full_name),
        "mobile": normalise_mobile(mobile) if mobile and mobile.strip() else "",
        "email": check_email(email),
    }
    changed = [name for name, value in new.items() if (getattr(user, name) or "") != value]
    if not changed:
        return []
    for name in changed:
        setattr(user, name, new[name])
    update_fields = list(changed)
    update_fields += [f"{name}_index" for name in changed if name in ("full_name", "mobile")]
    with transaction.atomic():
        user.save(update_fields=update_fields)
        record(
            "user.update",
            actor=actor,
            resource_type="user",
            resource_id=str(user.pk),
            institution_id=institution_id,
            purpose="fields:" + ",".join(changed),
        )
    return changed


def set_roles(actor: Actor, user: User, roles: Iterable[str]) -> tuple[set[str], set[str]]:
    """Replace the user's roles; returns (added, removed)."""
    institution_id = _require_own(actor, selectors.USER_MANAGE, user)
    held = check_roles(roles)
    with transaction.atomic():
        current = set(RoleGrant.objects.filter(user=user).values_list("role", flat=True))
        added, removed = held - current, current - held
        if not added and not removed:
            return set(), set()
        if ADMIN_ROLE in removed and user.is_active and _is_last_admin(institution_id):
            raise LastAdmin(field="roles")
        RoleGrant.objects.filter(user=user, role__in=removed).delete()
        RoleGrant.objects.bulk_create(
            [RoleGrant(user=user, role=r, granted_by_id=_granted_by(actor)) for r in sorted(added)]
        )
        record(
            "user.role_change",
            actor=actor,
            resource_type="user",
            resource_id=str(user.pk),
            institution_id=institution_id,
            purpose=f"added:{','.join(sorted(added))};removed:{','.join(sorted(removed))}",
        )
    user.forget_roles()
    return added, removed


@dataclass(frozen=True)
class EditResult:
    changed_fields: list[str]
    added_roles: set[str]
    removed_roles: set[str]

    def __bool__(self) -> bool:
        return bool(self.changed_fields or self.added_roles or self.removed_roles)


def edit_user(
    actor: Actor, user: User, *, full_name: str, mobile: str, email: str, roles: Iterable[str]
) -> EditResult:
    """The edit page's save: contact fields and roles together, all or nothing."""
    check_roles(roles)
    with transaction.atomic():
        changed = update_user(actor, user, full_name=full_name, mobile=mobile, email=email)
        added, removed = set_roles(actor, user, roles)
    return EditResult(changed, added, removed)


def _is_last_admin(institution_id: uuid.UUID) -> bool:
    return selectors.active_admin_count(institution_id) <= 1


def disable_user(actor: Actor, user: User) -> None:
    """Disable the account and end every session it has (SES-03)."""
    institution_id = _require_own(actor, selectors.USER_MANAGE, user)
    if actor.kind == "staff" and actor.id == user.pk:
        raise SelfDisable
    if not user.is_active:
        return
    with transaction.atomic():
        # The CLI (system actor) may disable the last admin: the operator can add another one.
        if (
            actor.kind == "staff"
            and ADMIN_ROLE in user.role_codes
            and _is_last_admin(institution_id)
        ):
            raise LastAdmin
        user.is_active = False
        user.save(update_fields=["is_active"])
        end_all_sessions(user)
        record(
            "user.disable",
            actor=actor,
            resource_type="user",
            resource_id=str(user.pk),
            institution_id=institution_id,
        )


def enable_user(actor: Actor, user: User) -> None:
    institution_id = _require_own(actor, selectors.USER_MANAGE, user)
    if user.is_active:
        return
    with transaction.atomic():
        user.is_active = True
        user.save(update_fields=["is_active"])
        record(
            "user.enable",
            actor=actor,
            resource_type="user",
            resource_id=str(user.pk),
            institution_id=institution_id,
        )


def reset_mfa(actor: Actor, user: User) -> None:
    """Remove the user's TOTP devices and recovery codes: the next sign-in enrols again."""
    institution_id = _require_own(actor, selectors.USER_MANAGE, user)
    if actor.kind == "staff" and actor.id == user.pk:
        # AUTHN-13: one's own factor changes on the security page, behind re-authentication.
        raise SelfMfaReset
    with transaction.atomic():
        TotpDevice.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
        end_all_sessions(user)
        record(
            "auth.mfa_reset",
            actor=actor,
            resource_type="user",
            resource_id=str(user.pk),
            institution_id=institution_id,
        )
        # The next sign-in enrols a new device with the password alone: the holder and the
        # security admins are told, so a reset nobody asked for is noticed (D-20).
        notify(
            institution_id=institution_id,
            kind="security.mfa_reset",
            severity="warning",
            users=[user.pk],
            role="security_admin",
        )


def issue_password_link(actor: Actor, user: User) -> IssuedLink:
    """A password-reset link, or a new activation link for a user who never set a password."""
    institution_id = _require_own(actor, selectors.USER_MANAGE, user)
    if not user.is_active:
        raise UserDisabled
    purpose = "reset" if user.has_usable_password() else "activate"
    with transaction.atomic():
        link = _issue_link(user, purpose)
        record(
            "user.password_reset" if purpose == "reset" else "user.activation_link",
            actor=actor,
            resource_type="user",
            resource_id=str(user.pk),
            institution_id=institution_id,
        )
    return link


# --- teams ------------------------------------------------------------------------------------


def save_team(
    actor: Actor,
    team: Team | None,
    *,
    name: str,
    lead_id: uuid.UUID | str | None,
    member_ids: Iterable[uuid.UUID | str],
) -> Team:
    """Create or change a team; lead and members must be users of the actor's institution."""
    institution_id = _require(actor, selectors.TEAM_MANAGE)
    if team is not None and team.institution_id != institution_id:
        raise PermissionDeniedNotFound
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidTeamName(field="name")
    wanted = {str(m) for m in member_ids if m}
    members = list(
        User.objects.for_actor(actor, selectors.TEAM_MANAGE).filter(pk__in=_uuids(wanted))
    )
    if len(members) != len(wanted):
        raise TeamMemberOutside(field="members")
    lead = None
    if lead_id:
        lead = (
            User.objects.for_actor(actor, selectors.TEAM_MANAGE)
            .filter(pk__in=_uuids({str(lead_id)}))
            .first()
        )
        if lead is None:
            raise TeamMemberOutside(field="lead")
    with transaction.atomic():
        taken = Team.objects.filter(institution_id=institution_id, name=name)
        if team is not None:
            taken = taken.exclude(pk=team.pk)
        if taken.exists():
            raise DuplicateTeam(field="name")
        action = "team.update" if team is not None else "team.create"
        if team is None:
            team = Team(institution_id=institution_id)
        team.name = name
        team.lead = lead
        team.save()
        # Through the link table: the related manager would read users without a scope (D-14).
        links = Team.members.through
        links.objects.filter(team_id=team.pk).delete()
        links.objects.bulk_create([links(team_id=team.pk, user_id=m.pk) for m in members])
        record(
            action,
            actor=actor,
            resource_type="team",
            resource_id=str(team.pk),
            institution_id=institution_id,
        )
    return team


def _uuids(values: Iterable[str]) -> list[uuid.UUID]:
    out = []
    for value in values:
        try:
            out.append(uuid.UUID(value))
        except ValueError:
            out.append(uuid.UUID(int=0))  # never matches: the count check then refuses
    return out


# --- institutions (CLI bootstrap, D-10) ---------------------------------------------------------


def create_institution(actor: Actor, *, code: str, name: str) -> Institution:
    """A new tenant; only the operator's CLI (a system actor) creates institutions."""
    if actor.kind != "system":
        raise PermissionDeniedNotFound
    code = (code or "").strip()
    name = (name or "").strip()
    if not INSTITUTION_CODE_RE.fullmatch(code):
        raise InvalidInstitutionCode(field="code")
    if not name or len(name) > 200:
        raise InvalidInstitutionName(field="name")
    with transaction.atomic():
        if Institution.objects.filter(code=code).exists():
            raise DuplicateInstitution(field="code")
        institution = Institution.objects.create(code=code, name=name)
        record(
            "institution.create",
            actor=actor,
            resource_type="institution",
            resource_id=str(institution.pk),
            institution_id=institution.pk,
        )
    return institution


def set_institution_region(
    actor: Actor, institution: Institution, *, north: bool | None, urban: bool | None
) -> Institution:
    """Where the centre is (China-PAR's region inputs); None leaves a value as it is."""
    if actor.kind != "system":
        raise PermissionDeniedNotFound
    changed = []
    if north is not None and institution.region_north != north:
        institution.region_north = north
        changed.append("region_north")
    if urban is not None and institution.region_urban != urban:
        institution.region_urban = urban
        changed.append("region_urban")
    if changed:
        with transaction.atomic():
            institution.save(update_fields=changed)
            record(
                "institution.update",
                actor=actor,
                resource_type="institution",
                resource_id=str(institution.pk),
                institution_id=institution.pk,
                purpose="fields:" + ",".join(changed),
            )
    return institution
