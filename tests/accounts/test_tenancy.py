"""No view or service of the project can return another institution's row (issue 2, D-13, AZ-12).

Data-driven: every URL pattern of the project (walked from the live resolver, so later issues'
pages are covered without editing this file) is requested by institution A's staff, with every
uuid parameter set to one of institution B's ids (users, a team, and a customer's record: the
customer, a card, a history item, a visit, a result), and again with A's own customer and B's row
ids inside it; B's usernames, names and ids must never appear, an object URL must answer 404,
and the refusal is audited. The same ids are fed to the selectors and services that take an
actor.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.http import HttpResponse
from django.test import Client

from jianguan.accounts import matrix, selectors
from jianguan.accounts.actors import actor_for_user
from jianguan.accounts.models import Institution, Team, User
from jianguan.accounts.services import users as services
from jianguan.audit.models import AuditEntry
from jianguan.core.actors import Actor
from jianguan.core.errors import PermissionDeniedNotFound
from jianguan.core.scoping import PersonalDataModel
from tests.accounts.urlwalk import Route, routes
from tests.conftest import login_as

ROUTES = routes()
NON_EXCLUSIVE = sorted(set(matrix.roles()) - matrix.exclusive_roles())
B_NAME = "贝另机构"
B_MOBILE = "13712345678"
B_CUSTOMER = "贝客户乙"
B_CUSTOMER_MOBILE = "13611112222"


@dataclass
class World:
    a_inst: Institution
    b_inst: Institution
    a_admin: User
    a_staff: User
    b_admin: User
    b_user: User
    b_team: Team
    a_customer: str
    b_rows: dict[str, str]  # URL parameter name → one of B's ids for it

    @property
    def b_ids(self) -> list[str]:
        return [
            str(self.b_user.pk),
            str(self.b_admin.pk),
            str(self.b_team.pk),
            str(self.b_inst.pk),
            *self.b_rows.values(),
        ]

    @property
    def b_secrets(self) -> list[str]:
        """Strings that would show a B row leaked into a response."""
        return [
            self.b_user.username,
            self.b_admin.username,
            B_NAME,
            B_MOBILE,
            str(self.b_user.pk),
            str(self.b_admin.pk),
            str(self.b_team.pk),
            self.b_team.name,
            B_CUSTOMER,
            B_CUSTOMER_MOBILE,
            *self.b_rows.values(),
        ]


@pytest.fixture
def world(
    institution: Institution, other_institution: Institution, make_user: Callable[..., User]
) -> World:
    a_admin = make_user("institution_admin", username="aaa-admin")
    a_staff = make_user(*NON_EXCLUSIVE, username="aaa-staff")
    b_admin = make_user("institution_admin", username="bbb-admin-zq", inst=other_institution)
    b_user = make_user(
        "doctor",
        username="bbb-doctor-zq",
        inst=other_institution,
        full_name=B_NAME,
        mobile=B_MOBILE,
    )
    b_team = Team.objects.create(institution=other_institution, name="贝队-zq", lead=b_user)
    b_team.members.add(b_user)
    a_customer = _customer(make_user("nurse", username="aaa-nurse"), "甲客户", "13500001111")
    b_rows = _records(make_user("nurse", username="bbb-nurse-zq", inst=other_institution))
    return World(
        institution,
        other_institution,
        a_admin,
        a_staff,
        b_admin,
        b_user,
        b_team,
        str(a_customer.pk),
        b_rows,
    )


def _customer(nurse: User, name: str, mobile: str) -> Any:
    from jianguan.records.services.enrolment import EnrolmentData, enrol

    return enrol(
        actor_for_user(nurse),
        EnrolmentData(name=name, sex="F", birth_date=None, mobile=mobile, consent=True),
    )


def _records(nurse: User) -> dict[str, str]:
    """A customer of B with a card, a history item, a visit and a result."""
    import datetime as dt

    from jianguan.records.models import HistoryItem, Visit
    from jianguan.records.services import cards, history
    from jianguan.records.services.observations import record_vitals

    actor = actor_for_user(nurse)
    customer = _customer(nurse, B_CUSTOMER, B_CUSTOMER_MOBILE)
    own = {"institution_id": customer.institution_id, "customer_id": customer.pk}
    card = cards.issue_card(actor, customer)
    item = history.save_new(actor, HistoryItem(**own, kind="condition", name="高血压"))
    visit = history.save_new(
        actor, Visit(**own, visit_number="B-1", visit_date=dt.date(2025, 1, 2))
    )
    (result,) = record_vitals(
        actor, customer, {"heart_rate": "70"}, effective=dt.datetime(2025, 1, 2, tzinfo=dt.UTC)
    )
    return {
        "customer_id": str(customer.pk),
        "card_id": str(card.pk),
        "item_id": str(item.pk),
        "visit_id": str(visit.pk),
        "observation_id": str(result.pk),
    }


def _body(response: HttpResponse) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")  # type: ignore[attr-defined]
    return response.content.decode(errors="replace")


def _requests(route: Route, world: World) -> Iterator[tuple[str, str]]:
    """(method, path): every B id in every uuid slot; then A's own customer with B's rows in
    the other slots (a card, a result … of B under A's customer); argument-free pages once."""
    if not route.uuid_params:
        yield "GET", route.path()
        return
    for b_id in world.b_ids:
        yield "GET", route.path(b_id)
        yield "POST", route.path(b_id)
    if "customer_id" in route.uuid_params and len(route.uuid_params) > 1:
        inner = {**world.b_rows, "customer_id": world.a_customer}
        yield "GET", route.path(world.b_rows["customer_id"], inner)
        yield "POST", route.path(world.b_rows["customer_id"], inner)


def _denials(user: User) -> int:
    return AuditEntry.objects.filter(action="access.denied", actor_id=user.pk).count()


def _check_route(route: Route, world: World, user: User) -> None:
    for method, path in _requests(route, world):
        client = login_as(Client(), user)  # a fresh session: a logout page must not end the walk
        before = _denials(user)
        response = client.get(path) if method == "GET" else client.post(path, {})
        # The page may echo its own path (the language switch's "next"): that is not a B row.
        body = _body(response).replace(path, "")
        for secret in world.b_secrets:
            assert secret not in body, f"{method} {path} shows B's {secret!r}"
            assert secret not in response.get("Location", ""), f"{method} {path} redirects to B"
        if route.uuid_params:
            assert response.status_code == 404, f"{method} {path}: {response.status_code}"
            if route.name.startswith("records:"):
                # D-13: each refusal of another institution's record is audited with its reason
                assert _denials(user) > before, f"{method} {path}: refusal not audited"


@pytest.mark.parametrize("route", ROUTES, ids=[r.template for r in ROUTES])
def test_no_page_shows_another_institution_to_a_staff_user_with_every_role(
    route: Route, world: World
) -> None:
    _check_route(route, world, world.a_staff)


@pytest.mark.parametrize("route", ROUTES, ids=[r.template for r in ROUTES])
def test_no_page_shows_another_institution_to_the_institution_admin(
    route: Route, world: World
) -> None:
    _check_route(route, world, world.a_admin)


@pytest.mark.parametrize("role", ["auditor", "security_admin"])
@pytest.mark.parametrize("route", ROUTES, ids=[r.template for r in ROUTES])
def test_no_page_shows_another_institution_to_the_auditor_or_security_admin(
    route: Route, world: World, role: str, make_user: Callable[..., User]
) -> None:
    _check_route(route, world, make_user(role, username=f"aaa-{role}"))


def test_the_walk_covers_object_urls() -> None:
    templates = {r.template for r in ROUTES if r.uuid_params}
    assert "/accounts/users/<uuid:user_id>/" in templates
    assert "/accounts/teams/<uuid:team_id>/" in templates


def test_b_rows_are_untouched_after_the_walk(world: World) -> None:
    for route in ROUTES:
        if route.uuid_params:
            _check_route(route, world, world.a_admin)
    b_user = User.objects.unscoped(reason="test").get(pk=world.b_user.pk)
    assert b_user.is_active
    assert b_user.role_codes == {"doctor"}
    assert Team.objects.get(pk=world.b_team.pk).name == "贝队-zq"


# --- selectors and services ----------------------------------------------------------------------


def _actors(world: World) -> list[Actor]:
    return [
        Actor("staff", world.a_admin.pk, world.a_inst.pk, frozenset({"institution_admin"})),
        Actor("staff", world.a_staff.pk, world.a_inst.pk, frozenset(NON_EXCLUSIVE)),
        Actor.system("test", world.a_inst.pk),
    ]


def test_no_personal_data_model_returns_a_b_row_through_for_actor(world: World) -> None:
    models = [m for m in apps.get_models() if issubclass(m, PersonalDataModel)]
    assert User in models
    for actor in _actors(world):
        for model in models:
            for cap in matrix.capabilities():
                qs = model.objects.for_actor(actor, cap)
                assert not qs.filter(institution_id=world.b_inst.pk).exists(), (model, cap)


def test_user_selectors_return_nothing_for_b_ids(world: World) -> None:
    for actor in _actors(world):
        for cap in (selectors.USER_VIEW, selectors.USER_MANAGE, selectors.TEAM_MANAGE):
            assert selectors.user_for(actor, world.b_user.pk, cap) is None
        assert list(selectors.users_by_ids(actor, world.b_ids)) == []
        assert selectors.search_users(actor, B_NAME) == []
        assert selectors.search_users(actor, B_MOBILE) == []
        assert selectors.user_for_username(actor, world.b_user.username) is None
        assert world.b_user.pk not in {u.pk for u in selectors.user_list(actor)}
        assert selectors.team_for(actor, world.b_team.pk) is None
        assert world.b_team.pk not in {t.pk for t in selectors.teams_for(actor)}
        assert world.b_user.pk not in {u.pk for u in selectors.team_candidates(actor)}


USER_SERVICES: list[Callable[[Actor, User], object]] = [
    lambda actor, user: services.disable_user(actor, user),
    lambda actor, user: services.enable_user(actor, user),
    lambda actor, user: services.reset_mfa(actor, user),
    lambda actor, user: services.issue_password_link(actor, user),
    lambda actor, user: services.set_roles(actor, user, ["nurse"]),
    lambda actor, user: services.update_user(actor, user, full_name="改名", mobile="", email=""),
    lambda actor, user: services.edit_user(
        actor, user, full_name="改名", mobile="", email="", roles=["nurse"]
    ),
]


@pytest.mark.parametrize("service", USER_SERVICES)
def test_user_services_refuse_a_b_user(
    service: Callable[[Actor, User], object], world: World
) -> None:
    actor = _actors(world)[0]
    with pytest.raises(PermissionDeniedNotFound):
        service(actor, world.b_user)
    b_user = User.objects.unscoped(reason="test").get(pk=world.b_user.pk)
    assert b_user.is_active and b_user.full_name == B_NAME and b_user.role_codes == {"doctor"}


def test_team_service_refuses_a_b_team(world: World) -> None:
    with pytest.raises(PermissionDeniedNotFound):
        services.save_team(_actors(world)[0], world.b_team, name="x", lead_id=None, member_ids=[])
    assert Team.objects.get(pk=world.b_team.pk).name == "贝队-zq"


def test_team_service_refuses_b_members_and_b_lead(world: World) -> None:
    actor = _actors(world)[0]
    with pytest.raises(services.TeamMemberOutside):
        services.save_team(actor, None, name="甲队", lead_id=None, member_ids=[world.b_user.pk])
    with pytest.raises(services.TeamMemberOutside):
        services.save_team(actor, None, name="甲队", lead_id=world.b_user.pk, member_ids=[])
    assert not Team.objects.filter(institution=world.a_inst).exists()


def test_unscoped_default_manager_is_refused() -> None:
    from jianguan.core.errors import UnscopedQuery

    with pytest.raises(UnscopedQuery):
        list(User.objects.all())


def _page_of_404(response: HttpResponse, path: str) -> str:
    """The 404 body less what differs per request: id, masked CSRF token, the echoed path."""
    body = _body(response).replace(response["X-Request-ID"], "").replace(path, "")
    return re.sub(r'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+', r"\1", body)


def test_a_random_uuid_and_a_b_uuid_get_the_same_404(world: World) -> None:
    client = login_as(Client(), world.a_admin)
    b_path = f"/accounts/users/{world.b_user.pk}/"
    missing_path = f"/accounts/users/{uuid.uuid4()}/"
    b, missing = client.get(b_path), client.get(missing_path)
    assert b.status_code == missing.status_code == 404
    assert _page_of_404(b, b_path) == _page_of_404(missing, missing_path)
