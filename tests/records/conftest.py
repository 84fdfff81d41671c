"""Fixtures for the record tests: staff actors backed by real users, and enrolled customers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import models

from jianguan.accounts.actors import actor_for_user
from jianguan.accounts.models import Institution, User
from jianguan.core.actors import Actor
from jianguan.records import identifiers as ids
from jianguan.records.models import (
    Allergy,
    Customer,
    CustomerIdentifier,
    FamilyHistory,
    HistoryItem,
    Lifestyle,
    Medication,
    Observation,
    Visit,
)
from jianguan.records.services import cards, history
from jianguan.records.services.enrolment import EnrolmentData, enrol
from jianguan.records.services.observations import record_vitals

MakeActor = Callable[..., Actor]
Enrol = Callable[..., Customer]

WHEN = dt.datetime(2025, 5, 6, 8, 0, tzinfo=dt.UTC)


def resident_id(area: str = "110101", birth: str = "19800101", seq: str = "123") -> str:
    """A valid 18-digit number: area code, birth date, sequence (odd last digit: male)."""
    first17 = area + birth + seq
    return first17 + ids.check_digit(first17)


def enrolment(**overrides: Any) -> EnrolmentData:
    values: dict[str, Any] = {
        "name": "张伟",
        "sex": "M",
        "birth_date": dt.date(1980, 1, 1),
        "id_number": resident_id(),
        "mobile": "13812345678",
        "consent": True,
    }
    values.update(overrides)
    return EnrolmentData(**values)


@pytest.fixture
def make_actor(make_user: Callable[..., User]) -> MakeActor:
    """An Actor for a real user (created_by columns point at users) holding `roles`."""

    def make(*roles: str, inst: Institution | None = None) -> Actor:
        return actor_for_user(make_user(*roles, inst=inst))

    return make


@pytest.fixture
def nurse(make_actor: MakeActor) -> Actor:
    return make_actor("nurse")


@pytest.fixture
def enrolled(nurse: Actor) -> Enrol:
    """Enrol a customer as a nurse of the institution (or as `actor`), warnings confirmed."""

    def make(actor: Actor | None = None, **overrides: Any) -> Customer:
        return enrol(actor or nurse, enrolment(**overrides), confirmed_warnings=True)

    return make


def audit_text() -> str:
    """Every column of every audit row as text: what someone reading the ledger sees."""
    from django.db import connection

    from jianguan.audit.models import AuditEntry, AuditJobItem

    rows = []
    for model in (AuditEntry, AuditJobItem):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {model._meta.db_table}")
            rows += [" ".join(str(v) for v in row) for row in cursor.fetchall()]
    return "\n".join(rows)


def add(actor: Actor, obj: models.Model) -> Any:
    return history.save_new(actor, obj)


def full_record(actor: Actor, customer: Customer, tag: str) -> None:
    """One or more rows of every model a customer's record holds; `tag` marks the free text."""
    own = {"institution_id": customer.institution_id, "customer_id": customer.pk}
    passport = "E" + "".join(str(ord(c) % 10) for c in tag) * 8
    add(actor, CustomerIdentifier(**own, type=ids.PASSPORT, value=passport))
    card = cards.issue_card(actor, customer, level="silver")
    cards.change_status(actor, card, "report_lost", note=f"{tag} 挂失")
    cards.replace_card(actor, card)
    add(actor, HistoryItem(**own, kind="condition", code="E11.9", name=f"{tag}2型糖尿病"))
    add(
        actor,
        HistoryItem(**own, kind="surgery", name=f"{tag}阑尾切除术", onset=dt.date(2001, 3, 1)),
    )
    add(actor, FamilyHistory(**own, relation="father", code="I10", name=f"{tag}高血压"))
    add(actor, Allergy(**own, substance=f"{tag}青霉素", reaction="皮疹", severity="moderate"))
    add(actor, Medication(**own, name=f"{tag}二甲双胍", dose="0.5 g", frequency="tid"))
    add(actor, Lifestyle(**own, data={"smoking": "never", "note": f"{tag}不吸烟"}))
    visit = add(actor, Visit(**own, visit_number=f"V-{tag}-1", visit_date=WHEN.date()))
    history.update(actor, visit, {"conclusions": f"{tag}空腹血糖偏高", "status": "concluded"})
    record_vitals(
        actor,
        customer,
        {"height": "170", "weight": "72", "systolic": "135", "diastolic": "85"},
        effective=WHEN,
        visit=visit,
    )
    add(
        actor,
        Observation(**own, loinc="2345-7", unit="mmol/L", value_num=6.8, effective=WHEN, flag="H"),
    )
    add(
        actor,
        Observation(**own, local_code="US-ABD", value_text=f"{tag}肝内低回声结节", effective=WHEN),
    )
    # rows other apps add to the record (records.models.register_personal_model)
    from jianguan.care.models import AdviceItem, AdvicePlan

    plan = add(actor, AdvicePlan(**own))
    add(
        actor,
        AdviceItem(
            **own,
            plan=plan,
            rule_id="diet.general.limits",
            domain="diet",
            priority=3,
            text=f"{tag}清淡饮食",
            because="一般健康建议",
            source="中国居民膳食指南（2022）",
        ),
    )
    from jianguan.questionnaires.models import FormDefinition, FormResponse

    form, _ = FormDefinition.objects.get_or_create(
        institution=None,
        code="records-test-form",
        version=1,
        defaults={
            "status": "published",
            "title": "测试问卷",
            "questionnaire": {"resourceType": "Questionnaire", "name": "records-test-form"},
        },
    )
    add(
        actor,
        FormResponse(
            **own,
            definition=form,
            status="completed",
            answers={"q1": [f"{tag}回答"]},
            scores={"total": 1},
            authored=WHEN,
        ),
    )
