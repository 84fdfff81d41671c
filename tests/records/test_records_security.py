"""The record's data protection: nothing personal in a dump (ENC-01), blind-index lookups that
stay inside the institution (BI-02), one scoped read path for every model (D-14) with clinical
rows closed to the front desk, D-01 classes, and erasure by destroying one key (D-02)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, models

from jianguan.accounts.models import Institution
from jianguan.core import keyadmin
from jianguan.core.actors import Actor
from jianguan.core.errors import UnscopedQuery
from jianguan.core.fields import SHREDDED, BlindIndexField, EncryptedField
from jianguan.records import identifiers as ids
from jianguan.records import selectors
from jianguan.records.models import (
    CLINICAL_TYPES,
    PERSONAL_MODELS,
    Customer,
    CustomerIdentifier,
    HistoryItem,
    Observation,
    RecordChange,
    Visit,
)
from jianguan.records.services import history
from jianguan.records.services.enrolment import enrol

from ..conftest import ON_POSTGRES
from ..core.conftest import database_image
from ..core.test_classification import personal_data_models
from ..core.test_dump import forms
from .conftest import WHEN, Enrol, MakeActor, add, enrolment, full_record, resident_id

CAPABILITIES = [
    "records.identity.view",
    "records.clinical.view",
    "records.clinical.edit",
    "records.export",
    "records.customer.enrol",
    "records.identity.reveal",
    "records.card.manage",
    "records.customer.merge",
    "records.customer.assign",
]
CLINICAL_MODELS = [m for m in PERSONAL_MODELS if m.__name__ in CLINICAL_TYPES]
IDENTITY_MODELS = [m for m in PERSONAL_MODELS if m.__name__ not in CLINICAL_TYPES]


def encrypted_names(model: type[models.Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields if isinstance(f, EncryptedField)]


def customer_rows(model: type[models.Model], customer: Customer) -> list[Any]:
    qs = model.objects.unscoped(reason="test")  # type: ignore[attr-defined]
    key = "pk" if model is Customer else "customer_id"
    return list(qs.filter(**{key: customer.pk}))


# --- ENC-01: a dump holds no seeded value ------------------------------------------------------

SECRET = {
    "name": "司马懿",
    "id_number": resident_id(area="320102", birth="19750809", seq="351"),
    "mobile": "13687654321",
    "address": "南京市玄武区中山路 88 号",
    "diagnosis": "慢性乙型病毒性肝炎",
    "exam_text": "肝右叶见一低回声结节",
    "conclusion": "建议三个月后复查腹部超声",
}


def seed_secret_record(actor: Actor) -> Customer:
    customer = enrol(
        actor,
        enrolment(
            name=SECRET["name"],
            sex="M",
            birth_date=dt.date(1975, 8, 9),
            id_number=SECRET["id_number"],
            mobile=SECRET["mobile"],
            address=SECRET["address"],
            card_level="gold",
        ),
        confirmed_warnings=True,
    )
    own = {"institution_id": customer.institution_id, "customer_id": customer.pk}
    item = add(actor, HistoryItem(**own, kind="condition", code="B18.1", name=SECRET["diagnosis"]))
    history.update(actor, item, {"note": SECRET["diagnosis"] + "，规律随访"})
    visit = add(actor, Visit(**own, visit_number="DUMP-V1", visit_date=WHEN.date()))
    add(actor, Observation(**own, visit=visit, value_text=SECRET["exam_text"], effective=WHEN))
    history.update(actor, visit, {"conclusions": SECRET["conclusion"]})
    return customer


def plaintext_hits(dump: bytes) -> list[str]:
    return [
        f"{label} as {form}"
        for label, value in SECRET.items()
        for form, needle in forms(value).items()
        if needle in dump
    ]


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite half of ENC-01; PostgreSQL runs the pg_dump one")
@pytest.mark.django_db(transaction=True)
def test_the_sqlite_image_holds_no_seeded_record_value(make_actor: MakeActor) -> None:
    customer = seed_secret_record(make_actor("doctor"))
    image = database_image()
    assert customer.pk.hex.encode() in image  # the image does hold the rows
    assert b"DUMP-V1" in image  # and their plaintext columns
    assert plaintext_hits(image) == []


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL half of ENC-01; SQLite runs the other")
@pytest.mark.django_db(transaction=True)
def test_pg_dump_holds_no_seeded_record_value(make_actor: MakeActor) -> None:
    customer = seed_secret_record(make_actor("doctor"))
    assert connection.vendor == "postgresql"
    dump = database_image()
    assert str(customer.pk).encode() in dump
    assert b"DUMP-V1" in dump
    assert plaintext_hits(dump) == []


# --- blind-index lookups (BI-02, D-29) ----------------------------------------------------------


@pytest.fixture
def twins(
    make_actor: MakeActor, other_institution: Institution, enrolled: Enrol
) -> tuple[Actor, Customer, Actor, Customer]:
    """The same person enrolled at two institutions, with one unrelated customer at each."""
    here, there = make_actor("nurse"), make_actor("nurse", inst=other_institution)
    mine = enrolled(here)
    theirs = enrolled(there)
    for actor in (here, there):
        enrolled(
            actor,
            name="李娜",
            sex="F",
            birth_date=dt.date(1990, 2, 3),
            id_number=resident_id(birth="19900203", seq="222"),
            mobile="13500001111",
        )
    return here, mine, there, theirs


@pytest.mark.django_db
def test_lookup_by_id_number_finds_the_customer_of_the_actors_institution_only(
    twins: tuple[Actor, Customer, Actor, Customer],
) -> None:
    here, mine, there, theirs = twins
    assert [c.pk for c in selectors.by_identifier(here, ids.RESIDENT_ID, resident_id())] == [
        mine.pk
    ]
    assert [c.pk for c in selectors.by_identifier(there, ids.RESIDENT_ID, resident_id())] == [
        theirs.pk
    ]


@pytest.mark.django_db
def test_lookup_by_id_number_accepts_any_spelling_of_it(
    twins: tuple[Actor, Customer, Actor, Customer],
) -> None:
    here, mine, _there, _theirs = twins
    spelled = " ".join(chr(ord(c) + 0xFEE0) for c in resident_id())
    assert [c.pk for c in selectors.by_identifier(here, ids.RESIDENT_ID, spelled)] == [mine.pk]


@pytest.mark.django_db
def test_lookup_by_id_number_needs_the_right_document_type(
    twins: tuple[Actor, Customer, Actor, Customer],
) -> None:
    here, _mine, _there, _theirs = twins
    assert selectors.by_identifier(here, ids.PASSPORT, resident_id()) == []


@pytest.mark.django_db
def test_lookup_by_mobile_finds_the_customer_of_the_actors_institution_only(
    twins: tuple[Actor, Customer, Actor, Customer],
) -> None:
    here, mine, there, theirs = twins
    assert [c.pk for c in selectors.by_mobile(here, "13812345678")] == [mine.pk]
    assert [c.pk for c in selectors.by_mobile(there, "13812345678")] == [theirs.pk]


@pytest.mark.django_db
def test_lookup_by_name_and_birth_date_finds_the_customer_of_the_actors_institution_only(
    twins: tuple[Actor, Customer, Actor, Customer],
) -> None:
    here, mine, there, theirs = twins
    born = dt.date(1980, 1, 1)
    assert [c.pk for c in selectors.by_name_and_birth(here, "张伟", born)] == [mine.pk]
    assert [c.pk for c in selectors.by_name_and_birth(there, "张伟", born)] == [theirs.pk]
    assert selectors.by_name_and_birth(here, "张伟", dt.date(1980, 1, 2)) == []


@pytest.mark.django_db
def test_lookup_by_name_is_exact_after_normalisation(
    twins: tuple[Actor, Customer, Actor, Customer],
) -> None:
    here, mine, _there, _theirs = twins
    assert [c.pk for c in selectors.by_name(here, " 张 伟 ")] == [mine.pk]
    assert selectors.by_name(here, "张") == []


@pytest.mark.django_db
def test_the_same_value_has_unrelated_index_values_in_two_institutions(
    twins: tuple[Actor, Customer, Actor, Customer],
) -> None:
    _here, mine, _there, theirs = twins
    a = Customer.objects.unscoped(reason="test").get(pk=mine.pk)
    b = Customer.objects.unscoped(reason="test").get(pk=theirs.pk)
    assert a.mobile == b.mobile
    assert (a.name_index, a.mobile_index) != (b.name_index, b.mobile_index)


@pytest.mark.django_db
def test_a_lookup_without_the_capability_finds_nothing(
    twins: tuple[Actor, Customer, Actor, Customer], make_actor: MakeActor
) -> None:
    admin = make_actor("institution_admin")
    assert selectors.by_mobile(admin, "13812345678") == []
    assert selectors.by_identifier(admin, ids.RESIDENT_ID, resident_id()) == []


# --- D-14: one scoped read path for every model -------------------------------------------------


@pytest.fixture
def two_records(
    make_actor: MakeActor, other_institution: Institution, enrolled: Enrol
) -> tuple[Customer, Customer]:
    """A full record at each institution."""
    here, there = make_actor("doctor"), make_actor("doctor", inst=other_institution)
    mine, theirs = enrolled(here), enrolled(there)
    full_record(here, mine, "甲")
    full_record(there, theirs, "丁")
    return mine, theirs


@pytest.mark.django_db
@pytest.mark.parametrize("model", PERSONAL_MODELS, ids=lambda m: m.__name__)
def test_the_default_manager_of_every_records_model_refuses_plain_queries(
    model: type[models.Model],
) -> None:
    with pytest.raises(UnscopedQuery):
        list(model.objects.all())  # type: ignore[attr-defined]


@pytest.mark.django_db
@pytest.mark.parametrize("model", PERSONAL_MODELS, ids=lambda m: m.__name__)
def test_rows_of_another_institution_are_invisible(
    make_actor: MakeActor, two_records: tuple[Customer, Customer], model: type[models.Model]
) -> None:
    mine, theirs = two_records
    doctor = make_actor("doctor")
    seen = list(model.objects.for_actor(doctor, "records.clinical.view"))  # type: ignore[attr-defined]
    assert seen, "the actor sees the rows of their own institution"
    assert {r.institution_id for r in seen} == {mine.institution_id}
    assert not {r.pk for r in seen} & {r.pk for r in customer_rows(model, theirs)}


@pytest.mark.django_db
@pytest.mark.parametrize("model", CLINICAL_MODELS, ids=lambda m: m.__name__)
def test_the_front_desk_reads_no_clinical_row_whatever_capability_it_asks_with(
    make_actor: MakeActor, two_records: tuple[Customer, Customer], model: type[models.Model]
) -> None:
    desk = make_actor("front_desk")
    for capability in CAPABILITIES:
        assert list(model.objects.for_actor(desk, capability)) == [], capability  # type: ignore[attr-defined]


@pytest.mark.django_db
@pytest.mark.parametrize("model", IDENTITY_MODELS, ids=lambda m: m.__name__)
def test_the_front_desk_reads_identity_cards_and_their_history(
    make_actor: MakeActor, two_records: tuple[Customer, Customer], model: type[models.Model]
) -> None:
    desk = make_actor("front_desk")
    assert list(model.objects.for_actor(desk, "records.identity.view"))  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_the_front_desk_sees_no_history_of_clinical_rows(
    make_actor: MakeActor, two_records: tuple[Customer, Customer]
) -> None:
    desk = make_actor("front_desk")
    seen = {c.resource_type for c in RecordChange.objects.for_actor(desk, "records.identity.view")}
    assert seen == {"Customer", "CustomerIdentifier", "MemberCard"}
    doctor = make_actor("doctor")
    assert set(CLINICAL_TYPES) <= {
        c.resource_type for c in RecordChange.objects.for_actor(doctor, "records.clinical.view")
    }


@pytest.mark.django_db
def test_a_followup_agent_reads_identity_but_no_clinical_row(
    make_actor: MakeActor, two_records: tuple[Customer, Customer]
) -> None:
    agent = make_actor("followup_agent")
    assert list(Customer.objects.for_actor(agent, "records.identity.view"))
    for model in CLINICAL_MODELS:
        assert list(model.objects.for_actor(agent, "records.identity.view")) == []  # type: ignore[attr-defined]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["institution_admin", "security_admin", "auditor"])
def test_the_three_admin_roles_read_no_row_of_any_record(
    make_actor: MakeActor, two_records: tuple[Customer, Customer], role: str
) -> None:
    admin = make_actor(role)
    for model in PERSONAL_MODELS:
        for capability in CAPABILITIES:
            seen = list(model.objects.for_actor(admin, capability))  # type: ignore[attr-defined]
            assert seen == [], f"{model.__name__} with {capability}"


# --- D-01 classes -------------------------------------------------------------------------------


def test_the_classification_walk_covers_every_records_model() -> None:
    walked = {m.__name__ for m in personal_data_models()}
    assert {m.__name__ for m in PERSONAL_MODELS} <= walked


@pytest.mark.parametrize(
    ("model", "field", "sources"),
    [
        (Customer, "name_index", ("name",)),
        (Customer, "mobile_index", ("mobile",)),
        (Customer, "name_birth_index", ("name", "birth_date")),
        (CustomerIdentifier, "value_index", ("type", "value")),
    ],
)
def test_names_mobiles_identifiers_and_name_with_birth_date_have_blind_indexes(
    model: type[models.Model], field: str, sources: tuple[str, ...]
) -> None:
    index = model._meta.get_field(field)
    assert isinstance(index, BlindIndexField)
    assert index.sources == sources
    for source in sources:
        if source != "type":
            assert isinstance(model._meta.get_field(source), EncryptedField)


@pytest.mark.parametrize(
    "name",
    [
        "Customer.address",
        "Customer.emergency_contact",
        "Customer.birth_date",
        "Customer.occupation",
        "Customer.marital_status",
        "Customer.ethnicity",
        "HistoryItem.code",
        "HistoryItem.name",
        "FamilyHistory.name",
        "Allergy.substance",
        "Medication.name",
        "Lifestyle.data",
        "Visit.conclusions",
        "Visit.recommendations",
        "Observation.value_num",
        "Observation.value_code",
        "Observation.value_text",
        "Observation.flag",
        "RecordChange.old_value",
        "RecordChange.new_value",
        "CardEvent.note",
    ],
)
def test_values_d01_calls_personal_are_encrypted(name: str) -> None:
    model_name, field = name.split(".")
    (model,) = [m for m in PERSONAL_MODELS if m.__name__ == model_name]
    assert isinstance(model._meta.get_field(field), EncryptedField)


# --- erasure (D-02) -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_erasing_a_customers_key_tombstones_every_row_of_their_record(
    isolated_keys: Path, make_actor: MakeActor, enrolled: Enrol
) -> None:
    doctor = make_actor("doctor")
    erased = enrolled(doctor, address="杭州市西湖区")
    kept = enrolled(doctor, name="李娜", id_number="", mobile="", address="宁波市")
    full_record(doctor, erased, "戊")
    full_record(doctor, kept, "己")
    keyadmin.erase_scope(erased.pk, "erasure request ER-20", actor=Actor.system("test"))
    for model in PERSONAL_MODELS:
        names = encrypted_names(model)
        if not names:
            continue  # MemberCard: number, level and status are plaintext
        gone = customer_rows(model, erased)
        assert gone, model.__name__
        values = [getattr(row, n) for row in gone for n in names]
        assert {v for v in values if v is not None} == {SHREDDED}, model.__name__
        still = [getattr(row, n) for row in customer_rows(model, kept) for n in names]
        assert SHREDDED not in still, model.__name__


@pytest.mark.django_db
def test_an_erased_customer_is_no_longer_found_by_name_mobile_or_id_number(
    isolated_keys: Path, nurse: Actor, enrolled: Enrol
) -> None:
    erased = enrolled()
    keyadmin.erase_scope(erased.pk, "erasure request ER-21", actor=Actor.system("test"))
    assert selectors.by_name(nurse, "张伟") == []
    assert selectors.by_mobile(nurse, "13812345678") == []
    assert selectors.by_identifier(nurse, ids.RESIDENT_ID, resident_id()) == []
