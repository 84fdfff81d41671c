"""健康建议: a draft made by rule from the customer's findings, edited item by item, approved by a
health manager or doctor; an urgent item alerts the manager; every step versioned and audited;
other roles get 404."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client

from jianguan.accounts.actors import actor_for_user
from jianguan.accounts.models import User
from jianguan.audit.models import AuditEntry
from jianguan.care import services
from jianguan.care.models import AdviceItem, AdvicePlan
from jianguan.clinical import calculate
from jianguan.clinical.advice import advise
from jianguan.core.actors import Actor
from jianguan.core.models import Notification
from jianguan.records.errors import InvalidValue
from jianguan.records.models import Customer, RecordChange
from jianguan.records.services.enrolment import EnrolmentData, enrol
from jianguan.records.services.observations import record_vitals

pytestmark = pytest.mark.django_db
StaffClient = Callable[..., tuple[Client, User]]
CLINICAL = "records.clinical.view"


@pytest.fixture
def manager_user(make_user: Callable[..., User]) -> User:
    return make_user("health_manager", username="hm-advice")


@pytest.fixture
def manager(manager_user: User) -> Actor:
    return actor_for_user(manager_user)


@pytest.fixture
def customer(manager: Actor, manager_user: User) -> Customer:
    c = enrol(
        manager,
        EnrolmentData(
            name="冯伟",
            sex="M",
            birth_date=dt.date(1960, 1, 1),
            consent=True,
            manager_id=manager_user.pk,
        ),
    )
    record_vitals(
        manager,
        c,
        {"systolic": "186", "diastolic": "104", "height": "170", "weight": "82"},
        effective=dt.datetime(2025, 3, 1, 9, tzinfo=dt.UTC),
    )
    return c


def items(actor: Actor, plan: AdvicePlan) -> list[AdviceItem]:
    return services.items_of(actor, plan)


def test_a_draft_holds_the_rules_advice_and_alerts_the_manager_when_urgent(
    manager: Actor, customer: Customer, manager_user: User
) -> None:
    findings = {"bp_class": calculate("bp_class", {"sbp_mmhg": 186, "dbp_mmhg": 104})}
    plan = services.draft(manager, customer, advise(findings))
    got = items(manager, plan)
    assert plan.status == "draft" and got[0].rule_id == "exercise.bp.defer"
    assert got[0].priority == 1 and "3级高血压" in got[0].because
    alert = Notification.objects.get(kind="clinical.alert")
    assert alert.recipient_id == manager_user.pk and alert.severity == "urgent"
    assert alert.link.endswith("?tab=advice")
    # one audit entry for the customer names the plan and its items
    entry = AuditEntry.objects.filter(customer_id=customer.pk, action="care.advice.draft").get()
    assert "AdvicePlan" in entry.resource_type and "AdviceItem" in entry.resource_type


def test_a_new_draft_replaces_the_old_one(manager: Actor, customer: Customer) -> None:
    first = services.draft(manager, customer, advise({}))
    second = services.draft(manager, customer, advise({}))
    first.refresh_from_db()
    assert (first.status, second.status) == ("replaced", "draft")
    assert services.current_plan(manager, customer) == second


def test_editing_dropping_and_approving_are_versioned(manager: Actor, customer: Customer) -> None:
    plan = services.draft(manager, customer, advise({}))
    one, two, three = items(manager, plan)
    services.save(
        manager,
        plan,
        {
            str(one.pk): ("每天盐不超过 5 克。", True),
            str(two.pk): ("", False),
            str(three.pk): (three.text, True),
        },
        approve=True,
    )
    plan.refresh_from_db()
    assert plan.status == "approved" and plan.approved_by_id == manager.id
    now = {i.pk: (i.text, i.included) for i in items(manager, plan)}
    assert now[one.pk] == ("每天盐不超过 5 克。", True) and now[two.pk][1] is False
    change = RecordChange.objects.for_actor(manager, CLINICAL).get(
        resource_id=one.pk, field="text", action="update"
    )
    assert change.new_value == "每天盐不超过 5 克。"
    with pytest.raises(InvalidValue) as caught:
        services.save(manager, plan, {})
    assert caught.value.code == "not_draft"


@pytest.mark.parametrize(
    ("edit", "code"),
    [(("", True), "empty"), (("字" * 1001, True), "too_long")],
)
def test_bad_edits_are_refused_and_nothing_changes(
    manager: Actor, customer: Customer, edit: tuple[str, bool], code: str
) -> None:
    plan = services.draft(manager, customer, advise({}))
    first = items(manager, plan)[0]
    with pytest.raises(InvalidValue) as caught:
        services.save(manager, plan, {str(first.pk): edit})
    assert caught.value.code == code
    assert items(manager, plan)[0].text == first.text


def test_approving_with_every_item_dropped_is_refused(manager: Actor, customer: Customer) -> None:
    plan = services.draft(manager, customer, advise({}))
    edits = {str(i.pk): ("", False) for i in items(manager, plan)}
    with pytest.raises(InvalidValue) as caught:
        services.save(manager, plan, edits, approve=True)
    assert caught.value.code == "nothing_kept"
    plan.refresh_from_db()
    assert plan.status == "draft"


# --- through the pages -------------------------------------------------------------------------


def test_the_tab_drafts_from_the_record_and_approves(
    staff_client: StaffClient, customer: Customer
) -> None:
    client, user = staff_client("doctor")
    assert "还没有健康建议" in client.get(f"/customers/{customer.pk}/?tab=advice").content.decode()
    response = client.post(f"/customers/{customer.pk}/advice/draft/")
    assert response.status_code == 302
    html = client.get(f"/customers/{customer.pk}/?tab=advice").content.decode()
    assert "暂缓中等及以上强度运动" in html and "草稿，待审核" in html  # from SBP 186
    plan = AdvicePlan.objects.for_actor(actor_for_user(user), CLINICAL).get(customer=customer)
    data = {f"item-{i.pk}-text": i.text for i in items(actor_for_user(user), plan)}
    data.update({f"item-{i.pk}-included": "on" for i in items(actor_for_user(user), plan)})
    assert (
        client.post(
            f"/customers/{customer.pk}/advice/plans/{plan.pk}/", {**data, "action": "approve"}
        ).status_code
        == 302
    )
    plan.refresh_from_db()
    assert plan.status == "approved"
    assert "已审核" in client.get(f"/customers/{customer.pk}/?tab=advice").content.decode()


@pytest.mark.parametrize("role", ["nurse", "front_desk", "followup_agent"])
def test_roles_that_may_not_approve_cannot_draft_or_save(
    staff_client: StaffClient, customer: Customer, manager: Actor, role: str
) -> None:
    plan = services.draft(manager, customer, advise({}))
    client, _ = staff_client(role)
    assert client.post(f"/customers/{customer.pk}/advice/draft/").status_code == 404
    assert (
        client.post(
            f"/customers/{customer.pk}/advice/plans/{plan.pk}/", {"action": "approve"}
        ).status_code
        == 404
    )
    plan.refresh_from_db()
    assert plan.status == "draft"


def test_the_nurse_reads_the_plan_but_has_no_buttons(
    staff_client: StaffClient, customer: Customer, manager: Actor
) -> None:
    services.draft(manager, customer, advise({}))
    client, _ = staff_client("nurse")
    html = client.get(f"/customers/{customer.pk}/?tab=advice").content.decode()
    assert "清淡饮食" in html and "审核通过" not in html
