"""Reading users and teams: every read goes through `User.objects.for_actor` (D-14).

Views, other apps and the CLI read staff users only through these functions, so the institution
scope and the permission matrix are applied in one place.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from jianguan.core.actors import Actor
from jianguan.core.blind import normalise_text

from .models import Institution, RoleGrant, Team, TotpDevice, User

USER_VIEW = "accounts.user.view"
USER_MANAGE = "accounts.user.manage"
TEAM_MANAGE = "accounts.team.manage"

STATUS_ACTIVE = "active"
STATUS_DISABLED = "disabled"
STATUS_NO_MFA = "no_mfa"


@dataclass(frozen=True)
class UserFilter:
    role: str = ""
    status: str = ""


def _has_confirmed_device() -> Exists:
    return Exists(TotpDevice.objects.filter(user_id=OuterRef("pk"), confirmed=True))


def users_for(actor: Actor, capability: str = USER_VIEW) -> QuerySet[User]:
    """The actor's institution's users, with roles and MFA state loaded in two extra queries."""
    qs: QuerySet[User] = (
        User.objects.for_actor(actor, capability)
        .annotate(mfa_enrolled=_has_confirmed_device())
        .prefetch_related(Prefetch("role_grants", queryset=RoleGrant.objects.order_by("role")))
    )
    return qs


def with_roles(users: list[User]) -> list[User]:
    """Fill each user's role cache from the prefetched grants (no query per user)."""
    for user in users:
        user.__dict__["_role_codes"] = frozenset(g.role for g in user.role_grants.all())
    return users


def user_list(actor: Actor, flt: UserFilter = UserFilter()) -> QuerySet[User]:
    qs = users_for(actor)
    if flt.role:
        qs = qs.filter(role_grants__role=flt.role)
    if flt.status == STATUS_ACTIVE:
        qs = qs.filter(is_active=True)
    elif flt.status == STATUS_DISABLED:
        qs = qs.filter(is_active=False)
    elif flt.status == STATUS_NO_MFA:
        qs = qs.filter(~_has_confirmed_device())
    return qs.order_by("username")


def user_for(actor: Actor, user_id: uuid.UUID | str, capability: str = USER_VIEW) -> User | None:
    """One user of the actor's institution, or None — the same for a missing id (D-13)."""
    try:
        pk = uuid.UUID(str(user_id))
    except ValueError:
        return None
    user = users_for(actor, capability).filter(pk=pk).first()
    return with_roles([user])[0] if user is not None else None


def search_users(actor: Actor, text: str, capability: str = USER_VIEW) -> list[User]:
    """Exact name or mobile match through the blind indexes, confirmed by decrypting (D-29).

    The indexes are truncated so that several rows share a value (BI-03): the candidates are
    post-filtered on the decrypted, normalised value.
    """
    wanted = normalise_text(text)
    if not wanted or actor.institution_id is None:
        return []
    name_index = User._meta.get_field("full_name_index").compute(User, actor.institution_id, text)
    mobile_index = User._meta.get_field("mobile_index").compute(User, actor.institution_id, text)
    candidates = users_for(actor, capability).filter(
        Q(full_name_index=name_index) | Q(mobile_index=mobile_index)
    )
    found = [
        u
        for u in candidates.order_by("username")
        if _matches(u.full_name, wanted) or _matches(u.mobile, wanted)
    ]
    return with_roles(found)


def _matches(value: Any, wanted: str) -> bool:
    return isinstance(value, str) and normalise_text(value) == wanted


def users_by_ids(actor: Actor, ids: list[str], capability: str = USER_VIEW) -> QuerySet[User]:
    """Users of a stored search handle, still re-scoped to the actor (ids are not trusted)."""
    pks = []
    for raw in ids:
        try:
            pks.append(uuid.UUID(raw))
        except ValueError:
            continue
    return users_for(actor, capability).filter(pk__in=pks).order_by("username")


def user_exists_elsewhere(actor: Actor, user_id: uuid.UUID | str) -> bool:
    """Whether a refused id names a real user of another institution: the reason in the audit."""
    try:
        pk = uuid.UUID(str(user_id))
    except ValueError:
        return False
    return bool(
        User.objects.unscoped(reason="reason of an audited denial (D-13)")
        .filter(pk=pk)
        .exclude(institution_id=actor.institution_id)
        .exists()
    )


def active_admin_count(institution_id: uuid.UUID) -> int:
    """Active users holding institution_admin: the service keeps at least one."""
    return int(
        User.objects.unscoped(reason="last-admin rule")
        .filter(
            institution_id=institution_id,
            is_active=True,
            role_grants__role="institution_admin",
        )
        .distinct()
        .count()
    )


def teams_for(actor: Actor) -> QuerySet[Team]:
    """The actor's institution's teams, with lead and members read through the user scope."""
    if not actor.can(TEAM_MANAGE) or actor.institution_id is None:
        return Team.objects.none()
    scoped_users = User.objects.for_actor(actor, TEAM_MANAGE).order_by("username")
    return (
        Team.objects.filter(institution_id=actor.institution_id)
        .prefetch_related(
            Prefetch("lead", queryset=scoped_users), Prefetch("members", queryset=scoped_users)
        )
        .order_by("name")
    )


def team_for(actor: Actor, team_id: uuid.UUID | str) -> Team | None:
    try:
        pk = uuid.UUID(str(team_id))
    except ValueError:
        return None
    return teams_for(actor).filter(pk=pk).first()


def institution_by_code(code: str) -> Institution | None:
    return Institution.objects.filter(code=code).first()


def institutions() -> QuerySet[Institution]:
    return Institution.objects.order_by("code")


def username_taken(username: str) -> bool:
    """Usernames are unique across the site (they are the login name), compared case-blind."""
    return bool(
        User.objects.unscoped(reason="username uniqueness")
        .filter(username__iexact=username)
        .exists()
    )


def institution_of_username(username: str) -> uuid.UUID | None:
    """The institution a login name belongs to: the CLI's way in, before it has an actor."""
    row = (
        User.objects.unscoped(reason="CLI lookup by login name")
        .filter(username=username)
        .values_list("institution_id", flat=True)
        .first()
    )
    return row if isinstance(row, uuid.UUID) else None


def team_candidates(actor: Actor) -> list[User]:
    """Users that may be picked as a team's lead or members: the actor's institution's only."""
    return list(User.objects.for_actor(actor, TEAM_MANAGE).order_by("username"))


def user_for_username(actor: Actor, username: str, capability: str = USER_VIEW) -> User | None:
    user = users_for(actor, capability).filter(username=username).first()
    return with_roles([user])[0] if user is not None else None


def active_user_ids_with_role(institution_id: uuid.UUID, role: str) -> list[uuid.UUID]:
    """Active users of one institution holding `role`: the recipients of a role notification."""
    actor = Actor.system("notify", institution_id)
    return list(
        User.objects.for_actor(actor, USER_VIEW)
        .filter(is_active=True, role_grants__role=role)
        .values_list("id", flat=True)
        .distinct()
    )


def email_address_of(user_id: uuid.UUID) -> str:
    """The decrypted e-mail address of an active user, for the outbox at send time (D-20)."""
    user = (
        User.objects.unscoped(reason="notification delivery")
        .filter(pk=user_id, is_active=True)
        .first()
    )
    if user is None or not user.email:
        return ""
    return str(user.email)


def user_counts(actor: Actor) -> dict[str, int]:
    """Active users and active users without a confirmed second factor, for the dashboard."""
    active = users_for(actor).filter(is_active=True)
    return {
        "active": active.count(),
        "without_mfa": active.exclude(_has_confirmed_device()).count(),
    }
