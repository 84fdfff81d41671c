"""Institution admin pages: users, roles and teams.

Views parse, authorise (`staff_view`) and call `selectors` / `services.users`; a user or team
outside the actor's institution is a 404 with the same body as a missing id, and the denial is
audited with its reason (D-13).
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from jianguan.audit.ledger import record
from jianguan.core.actors import Actor
from jianguan.core.errors import JianguanError, PermissionDeniedNotFound

from .. import selectors
from ..actors import actor_for
from ..decorators import staff_view
from ..forms.users import (
    TeamForm,
    UserCreateForm,
    UserEditForm,
    UserFilterForm,
    UserSearchForm,
    role_label,
    user_choice_label,
)
from ..models import Team, User
from ..services import users as services

PAGE_SIZE = 25
SEARCH_SESSION_KEY = "user_searches"
SEARCHES_KEPT = 5


# --- helpers ----------------------------------------------------------------------------------


def _deny(actor: Actor, resource_type: str, resource_id: Any, reason: str) -> Http404:
    record(
        "access.denied",
        actor=actor,
        outcome="denied",
        resource_type=resource_type,
        resource_id=str(resource_id),
        purpose=reason,
        defer=True,
    )
    return Http404()


def _user_or_404(actor: Actor, user_id: uuid.UUID, capability: str) -> User:
    user = selectors.user_for(actor, user_id, capability)
    if user is None:
        elsewhere = selectors.user_exists_elsewhere(actor, user_id)
        raise _deny(actor, "user", user_id, "other institution" if elsewhere else "not found")
    return user


def _team_or_404(actor: Actor, team_id: uuid.UUID) -> Team:
    team = selectors.team_for(actor, team_id)
    if team is None:
        raise _deny(actor, "team", team_id, "not found in institution")
    return team


def _show_error(form: Form, error: JianguanError) -> None:
    """The service's error next to the field it names, or above the form."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, str(error.message))


def _labelled(users: list[User]) -> list[dict[str, Any]]:
    return [
        {
            "user": u,
            "name": u.full_name if isinstance(u.full_name, str) else "",
            "roles": [role_label(code) for code in sorted(u.role_codes)],
        }
        for u in users
    ]


def _store_search(request: HttpRequest, ids: list[str]) -> str:
    """Keep a search's result ids server-side under a random handle (D-15)."""
    handle = secrets.token_urlsafe(12)
    searches: dict[str, list[str]] = dict(request.session.get(SEARCH_SESSION_KEY, {}))
    while len(searches) >= SEARCHES_KEPT:
        searches.pop(next(iter(searches)))
    searches[handle] = ids
    request.session[SEARCH_SESSION_KEY] = searches
    return handle


# --- users ------------------------------------------------------------------------------------


@staff_view(selectors.USER_VIEW)
def user_list(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request)
    search_form = UserSearchForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and search_form.is_valid():
        found = selectors.search_users(actor, search_form.cleaned_data["q"])
        handle = _store_search(request, [str(u.pk) for u in found])
        return redirect(reverse("accounts:user_list") + "?" + urlencode({"s": handle}))

    filter_form = UserFilterForm(request.GET or None)
    handle = request.GET.get("s", "")
    query: dict[str, str] = {}
    if handle:
        ids = request.session.get(SEARCH_SESSION_KEY, {}).get(handle)
        if ids is None:
            messages.info(request, _("查找结果已过期，请重新查找。"))
            return redirect("accounts:user_list")
        users_qs = selectors.users_by_ids(actor, ids)
        query["s"] = handle
    else:
        flt = selectors.UserFilter()
        if filter_form.is_valid():
            flt = selectors.UserFilter(
                role=filter_form.cleaned_data["role"], status=filter_form.cleaned_data["status"]
            )
            query.update({k: v for k, v in (("role", flt.role), ("status", flt.status)) if v})
        users_qs = selectors.user_list(actor, flt)

    page = Paginator(users_qs, PAGE_SIZE).get_page(request.GET.get("page"))
    users = selectors.with_roles(list(page.object_list))
    for user in users:
        # D-07: a list page gives one read entry per person shown.
        record("user.view", actor=actor, resource_type="user", resource_id=str(user.pk), defer=True)
    return render(
        request,
        "accounts/user_list.html",
        {
            "rows": _labelled(users),
            "page": page,
            "page_query": urlencode(query),
            "filter_form": filter_form,
            "search_form": search_form,
            "searching": bool(handle),
            "can_manage": actor.can(selectors.USER_MANAGE),
            "can_manage_teams": actor.can(selectors.TEAM_MANAGE),
        },
    )


@staff_view(selectors.USER_MANAGE)
def user_create(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request)
    form = UserCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            link = services.create_user(
                actor,
                username=data["username"],
                full_name=data["full_name"],
                mobile=data["mobile"],
                email=data["email"],
                roles=data["roles"],
            )
        except services.UserAdminError as exc:
            _show_error(form, exc)
        else:
            return _link_page(request, link)
    return render(request, "accounts/user_form.html", {"form": form})


def _link_page(request: HttpRequest, link: services.IssuedLink) -> HttpResponse:
    """The only time the raw token is shown (D-15); the admin never sets a password (AUTHN-12)."""
    response = render(
        request,
        "accounts/user_link.html",
        {"link": link, "url": request.build_absolute_uri(link.path)},
    )
    response["Referrer-Policy"] = "no-referrer"
    return response


@staff_view(selectors.USER_MANAGE)
def user_detail(request: HttpRequest, user_id: uuid.UUID) -> HttpResponse:
    actor = actor_for(request)
    user = _user_or_404(actor, user_id, selectors.USER_MANAGE)
    if request.method == "POST":
        form = UserEditForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = services.edit_user(
                    actor,
                    user,
                    full_name=data["full_name"],
                    mobile=data["mobile"],
                    email=data["email"],
                    roles=data["roles"],
                )
            except services.UserAdminError as exc:
                _show_error(form, exc)
            else:
                messages.success(request, _("已保存。") if result else _("没有改动。"))
                return redirect("accounts:user_detail", user_id=user.pk)
    else:
        form = UserEditForm(initial=UserEditForm.initial_for(user))
        record("user.view", actor=actor, resource_type="user", resource_id=str(user.pk), defer=True)
    return render(
        request,
        "accounts/user_detail.html",
        {
            "subject": user,
            "roles": [role_label(code) for code in sorted(user.role_codes)],
            "mfa_enrolled": getattr(user, "mfa_enrolled", False),
            "has_password": user.has_usable_password(),
            "is_self": user.pk == actor.id,
            "form": form,
        },
    )


def _run_action(request: HttpRequest, user_id: uuid.UUID, action: str) -> HttpResponse:
    actor = actor_for(request)
    # Scope first, so another institution's id is a 404 whatever the method (D-13).
    user = _user_or_404(actor, user_id, selectors.USER_MANAGE)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        if action == "disable":
            services.disable_user(actor, user)
            messages.success(request, _("账号已停用，其所有会话已结束。"))
        elif action == "enable":
            services.enable_user(actor, user)
            messages.success(request, _("账号已启用。"))
        elif action == "mfa_reset":
            services.reset_mfa(actor, user)
            messages.success(request, _("已重置 MFA，该用户下次登录时须重新绑定验证器。"))
        else:
            return _link_page(request, services.issue_password_link(actor, user))
    except PermissionDeniedNotFound as exc:
        raise Http404 from exc
    except services.UserAdminError as exc:
        messages.error(request, str(exc.message))
    return redirect("accounts:user_detail", user_id=user.pk)


@staff_view(selectors.USER_MANAGE)
def user_disable(request: HttpRequest, user_id: uuid.UUID) -> HttpResponse:
    return _run_action(request, user_id, "disable")


@staff_view(selectors.USER_MANAGE)
def user_enable(request: HttpRequest, user_id: uuid.UUID) -> HttpResponse:
    return _run_action(request, user_id, "enable")


@staff_view(selectors.USER_MANAGE)
def user_mfa_reset(request: HttpRequest, user_id: uuid.UUID) -> HttpResponse:
    return _run_action(request, user_id, "mfa_reset")


@staff_view(selectors.USER_MANAGE)
def user_password_link(request: HttpRequest, user_id: uuid.UUID) -> HttpResponse:
    return _run_action(request, user_id, "password_link")


# --- teams ------------------------------------------------------------------------------------


@staff_view(selectors.TEAM_MANAGE)
def team_list(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request)
    teams = list(selectors.teams_for(actor))
    rows = [
        {
            "team": t,
            "lead": user_choice_label(t.lead) if t.lead else "",
            "members": [user_choice_label(m) for m in t.members.all()],
        }
        for t in teams
    ]
    return render(request, "accounts/team_list.html", {"rows": rows})


@staff_view(selectors.TEAM_MANAGE)
def team_create(request: HttpRequest) -> HttpResponse:
    return _team_form(request, None)


@staff_view(selectors.TEAM_MANAGE)
def team_edit(request: HttpRequest, team_id: uuid.UUID) -> HttpResponse:
    return _team_form(request, _team_or_404(actor_for(request), team_id))


def _team_form(request: HttpRequest, team: Team | None) -> HttpResponse:
    actor = actor_for(request)
    candidates = selectors.team_candidates(actor)
    if request.method == "POST":
        form = TeamForm(request.POST, users=candidates)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.save_team(
                    actor,
                    team,
                    name=data["name"],
                    lead_id=data["lead"] or None,
                    member_ids=data["members"],
                )
            except services.UserAdminError as exc:
                _show_error(form, exc)
            else:
                messages.success(request, _("团队已保存。"))
                return redirect("accounts:team_list")
    else:
        initial: dict[str, Any] = {}
        if team is not None:
            initial = {
                "name": team.name,
                "lead": str(team.lead.pk) if team.lead else "",
                "members": [str(m.pk) for m in team.members.all()],
            }
        form = TeamForm(initial=initial, users=candidates)
    return render(request, "accounts/team_form.html", {"form": form, "team": team})
