"""Merging duplicates: every row of the dropped customer moves to the kept one, re-encrypted
under the kept customer's key (D-03), in one transaction, versioned and audited."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.db import models

from jianguan.accounts.models import Institution
from jianguan.audit.models import AuditEntry
from jianguan.core import keyadmin
from jianguan.core.actors import Actor
from jianguan.core.crypto import sealed_scope
from jianguan.core.fields import SHREDDED, EncryptedField
from jianguan.records import identifiers as ids
from jianguan.records import selectors
from jianguan.records.errors import InvalidValue, NotFound
from jianguan.records.models import (
    Customer,
    CustomerIdentifier,
    HistoryItem,
    Lifestyle,
    MemberCard,
    RecordChange,
)
from jianguan.records.services.enrolment import enrol
from jianguan.records.services.merge import merge_customers, moved_models

from .conftest import Enrol, MakeActor, add, audit_text, enrolment, full_record, resident_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def doctor(make_actor: MakeActor) -> Actor:
    return make_actor("doctor")


def rows(model: type[models.Model], customer: Customer) -> list[Any]:
    return list(
        model.objects.unscoped(reason="test")  # type: ignore[attr-defined]
        .filter(customer_id=customer.pk)
        .order_by("pk")
    )


def plaintext(model: type[models.Model], customer: Customer) -> dict[uuid.UUID, dict[str, Any]]:
    """Every encrypted value of the customer's rows of `model`, decrypted, by row id."""
    names = [f.attname for f in model._meta.concrete_fields if isinstance(f, EncryptedField)]
    return {row.pk: {n: getattr(row, n) for n in names} for row in rows(model, customer)}


def sealed_scopes(model: type[models.Model], customer: Customer) -> set[uuid.UUID]:
    names = [f.attname for f in model._meta.concrete_fields if isinstance(f, EncryptedField)]
    found: set[uuid.UUID] = set()
    for values in (
        model.objects.unscoped(reason="test")  # type: ignore[attr-defined]
        .filter(customer_id=customer.pk)
        .values_list(*names)
    ):
        found |= {sealed_scope(v) for v in values if v is not None}
    return found


@pytest.fixture
def pair(doctor: Actor, enrolled: Enrol) -> tuple[Customer, Customer]:
    """Two records of one person: the one kept has only its enrolment, the dropped a full one."""
    keep = enrolled(doctor)
    drop = enrol(
        doctor,
        enrolment(name="张 伟", mobile="13900009999", id_number="", birth_date=dt.date(1980, 1, 1)),
        allow_duplicate=True,
    )
    full_record(doctor, drop, "乙")
    return keep, drop


# --- what moves -------------------------------------------------------------------------------


def test_every_row_of_the_dropped_record_moves_to_the_kept_customer(
    doctor: Actor, pair: tuple[Customer, Customer]
) -> None:
    keep, drop = pair
    before = {m.__name__: {r.pk for r in rows(m, drop)} for m in moved_models()}
    kept_before = {m.__name__: {r.pk for r in rows(m, keep)} for m in moved_models()}
    merge_customers(doctor, keep, drop)
    for model in moved_models():
        now_kept = {r.pk for r in rows(model, keep)}
        assert before[model.__name__] <= now_kept, model.__name__
        assert kept_before[model.__name__] <= now_kept, model.__name__
    left = {m.__name__ for m in moved_models() if rows(m, drop)}
    assert left == {"RecordChange"}  # only the history of the merge itself stays on drop


def test_the_counts_returned_are_the_rows_moved_per_model(
    doctor: Actor, pair: tuple[Customer, Customer]
) -> None:
    keep, drop = pair
    expected = {m.__name__: len(rows(m, drop)) for m in moved_models()}
    counts = merge_customers(doctor, keep, drop)
    assert counts == expected
    assert counts["MemberCard"] == 2  # the lost card and its replacement
    assert counts["CardEvent"] == 4
    assert counts["Observation"] == 7  # height, weight, BMI, BP pair, glucose, ultrasound
    assert all(counts[m.__name__] > 0 for m in moved_models())


def test_moved_values_read_the_same_after_the_merge(
    doctor: Actor, pair: tuple[Customer, Customer]
) -> None:
    keep, drop = pair
    before = {m.__name__: plaintext(m, drop) for m in moved_models() if m is not RecordChange}
    merge_customers(doctor, keep, drop)
    for model in moved_models():
        if model is RecordChange:
            continue
        after = plaintext(model, keep)
        for pk, values in before[model.__name__].items():
            assert after[pk] == values, model.__name__


def test_moved_history_values_read_the_same_after_the_merge(
    doctor: Actor, pair: tuple[Customer, Customer]
) -> None:
    keep, drop = pair
    before = plaintext(RecordChange, drop)
    merge_customers(doctor, keep, drop)
    after = plaintext(RecordChange, keep)
    assert {pk: after[pk] for pk in before} == before


def test_every_moved_value_is_sealed_under_the_kept_customers_key(
    doctor: Actor, pair: tuple[Customer, Customer]
) -> None:
    keep, drop = pair
    merge_customers(doctor, keep, drop)
    for model in moved_models():
        if not any(isinstance(f, EncryptedField) for f in model._meta.concrete_fields):
            continue  # MemberCard, AdvicePlan: every field plaintext (D-01)
        assert sealed_scopes(model, keep) == {keep.pk}, model.__name__


def test_erasing_the_dropped_customers_key_leaves_every_moved_row_readable(
    isolated_keys: Path, doctor: Actor, enrolled: Enrol
) -> None:
    keep = enrolled(doctor)
    drop = enrol(doctor, enrolment(name="张伟", id_number="", mobile=""), allow_duplicate=True)
    full_record(doctor, drop, "丙")
    before = {m.__name__: plaintext(m, drop) for m in moved_models()}
    merge_customers(doctor, keep, drop)
    keyadmin.erase_scope(drop.pk, "merged duplicate M-1", actor=Actor.system("test"))
    for model in moved_models():
        after = plaintext(model, keep)
        for pk, values in before[model.__name__].items():
            assert after[pk] == values, model.__name__
            assert SHREDDED not in after[pk].values()
    stub = Customer.objects.unscoped(reason="test").get(pk=drop.pk)
    assert stub.name is SHREDDED  # the stub itself was encrypted under the erased key


# --- the dropped customer ---------------------------------------------------------------------


def test_the_dropped_customer_is_marked_merged_into_the_kept_one(
    doctor: Actor, pair: tuple[Customer, Customer]
) -> None:
    keep, drop = pair
    merge_customers(doctor, keep, drop)
    stub = Customer.objects.unscoped(reason="test").get(pk=drop.pk)
    assert (stub.status, stub.merged_into_id) == ("merged", keep.pk)
    assert selectors.customer_for(doctor, drop.pk) is None
    assert selectors.customer_for(doctor, keep.pk) is not None


def test_the_dropped_customers_identifiers_now_find_the_kept_customer(
    doctor: Actor, pair: tuple[Customer, Customer]
) -> None:
    keep, drop = pair
    merge_customers(doctor, keep, drop)
    (passport,) = [i for i in rows(CustomerIdentifier, keep) if i.type == ids.PASSPORT]
    assert [c.pk for c in selectors.by_identifier(doctor, ids.PASSPORT, passport.value)] == [
        keep.pk
    ]


def test_the_dropped_customers_cards_now_find_the_kept_customer(
    doctor: Actor, pair: tuple[Customer, Customer]
) -> None:
    keep, drop = pair
    merge_customers(doctor, keep, drop)
    for card in rows(MemberCard, keep):
        assert [c.pk for c in selectors.by_card(doctor, card.number)] == [keep.pk]


# --- clashes --------------------------------------------------------------------------------


def test_the_kept_customers_lifestyle_wins_and_the_dropped_one_stays_in_history(
    doctor: Actor, pair: tuple[Customer, Customer]
) -> None:
    keep, drop = pair
    own = {"institution_id": keep.institution_id, "customer_id": keep.pk}
    kept = add(doctor, Lifestyle(**own, data={"smoking": "current"}))
    (dropped,) = rows(Lifestyle, drop)
    counts = merge_customers(doctor, keep, drop)
    assert counts["Lifestyle"] == 0
    assert [r.pk for r in rows(Lifestyle, keep)] == [kept.pk]
    assert rows(Lifestyle, keep)[0].data == {"smoking": "current"}
    gone = RecordChange.objects.unscoped(reason="test").get(
        resource_id=dropped.pk, action="delete", field="data"
    )
    assert gone.customer_id == keep.pk
    assert gone.old_value == {"smoking": "never", "note": "乙不吸烟"}


def test_the_dropped_lifestyle_moves_when_the_kept_customer_has_none(
    doctor: Actor, pair: tuple[Customer, Customer]
) -> None:
    keep, drop = pair
    (dropped,) = rows(Lifestyle, drop)
    assert merge_customers(doctor, keep, drop)["Lifestyle"] == 1
    assert [r.pk for r in rows(Lifestyle, keep)] == [dropped.pk]


def test_an_identifier_both_hold_is_kept_once(doctor: Actor, enrolled: Enrol) -> None:
    keep = enrolled(doctor)
    drop = enrol(doctor, enrolment(mobile="13900009999"), allow_duplicate=True)
    merge_customers(doctor, keep, drop)
    held = [(i.type, i.value) for i in rows(CustomerIdentifier, keep)]
    assert held == [(ids.RESIDENT_ID, resident_id())]


def test_the_kept_customer_keeps_the_one_primary_identifier(doctor: Actor, enrolled: Enrol) -> None:
    keep = enrolled(doctor)
    drop = enrol(
        doctor,
        enrolment(id_type=ids.PASSPORT, id_number="E99887766", mobile="13900009999"),
        allow_duplicate=True,
    )
    merge_customers(doctor, keep, drop)
    primary = {i.type: i.is_primary for i in rows(CustomerIdentifier, keep)}
    assert primary == {ids.RESIDENT_ID: True, ids.PASSPORT: False}


# --- history and audit ----------------------------------------------------------------------


def test_the_merge_is_in_the_history_of_both_customers(
    doctor: Actor, pair: tuple[Customer, Customer]
) -> None:
    keep, drop = pair
    counts = merge_customers(doctor, keep, drop)
    on_keep = RecordChange.objects.unscoped(reason="test").get(
        customer_id=keep.pk, resource_id=keep.pk, action="merge"
    )
    assert on_keep.field == "merged_from"
    assert on_keep.new_value == {"customer": str(drop.pk), **counts}
    on_drop = {
        c.field: (c.old_value, c.new_value)
        for c in RecordChange.objects.unscoped(reason="test").filter(
            customer_id=drop.pk, action="merge"
        )
    }
    assert on_drop == {"status": ("active", "merged"), "merged_into_id": (None, str(keep.pk))}


def test_the_merge_writes_one_audit_entry_per_customer_with_counts(
    doctor: Actor, pair: tuple[Customer, Customer]
) -> None:
    keep, drop = pair
    first_seq = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    merge_customers(doctor, keep, drop)
    entries = list(AuditEntry.objects.filter(seq__gt=first_seq).order_by("seq"))
    assert [(e.action, e.customer_id) for e in entries] == [
        ("customer.merge", keep.pk),
        ("customer.merge", drop.pk),
    ]
    assert [e.resource_id for e in entries] == [str(drop.pk), str(keep.pk)]
    assert "Observation=7" in entries[0].purpose and "MemberCard=2" in entries[0].purpose
    assert all(e.actor_id == doctor.id for e in entries)


def test_the_merge_puts_no_value_in_the_ledger(
    doctor: Actor, pair: tuple[Customer, Customer]
) -> None:
    keep, drop = pair
    merge_customers(doctor, keep, drop)
    ledger = audit_text()
    (passport,) = [i.value for i in rows(CustomerIdentifier, keep) if i.type == ids.PASSPORT]
    for value in ("乙2型糖尿病", "乙空腹血糖偏高", "乙青霉素", passport, "13900009999", "张伟"):
        assert value not in ledger


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["nurse", "front_desk", "followup_agent", "institution_admin"])
def test_a_role_without_the_merge_capability_gets_not_found(
    make_actor: MakeActor, pair: tuple[Customer, Customer], role: str
) -> None:
    keep, drop = pair
    with pytest.raises(NotFound):
        merge_customers(make_actor(role), keep, drop)
    assert Customer.objects.unscoped(reason="test").get(pk=drop.pk).status == "active"


def test_a_customer_of_another_institution_is_not_found(
    make_actor: MakeActor,
    other_institution: Institution,
    pair: tuple[Customer, Customer],
    enrolled: Enrol,
) -> None:
    keep, drop = pair
    theirs = enrolled(make_actor("nurse", inst=other_institution))
    with pytest.raises(NotFound):
        merge_customers(make_actor("doctor"), keep, theirs)
    with pytest.raises(NotFound):
        merge_customers(make_actor("doctor", inst=other_institution), theirs, drop)
    assert rows(HistoryItem, drop)  # nothing moved


def test_a_customer_cannot_be_merged_with_itself(
    doctor: Actor, pair: tuple[Customer, Customer]
) -> None:
    keep, _drop = pair
    with pytest.raises(InvalidValue) as caught:
        merge_customers(doctor, keep, keep)
    assert caught.value.code == "merge_self"


def test_a_merged_customer_cannot_be_merged_again(
    doctor: Actor, pair: tuple[Customer, Customer], enrolled: Enrol
) -> None:
    keep, drop = pair
    merge_customers(doctor, keep, drop)
    third = enrolled(doctor, name="王芳", id_number="", mobile="")
    with pytest.raises(InvalidValue) as caught:
        merge_customers(doctor, third, drop)
    assert (caught.value.code, caught.value.field) == ("merge_status", "drop")
    with pytest.raises(InvalidValue):
        merge_customers(doctor, drop, third)


def test_a_failed_merge_changes_nothing(
    isolated_keys: Path, doctor: Actor, pair: tuple[Customer, Customer]
) -> None:
    """All in one transaction: the lifestyle folded away first comes back when a later row
    fails (here: the dropped customer's key is already erased, so its rows cannot be read)."""
    keep, drop = pair
    own = {"institution_id": keep.institution_id, "customer_id": keep.pk}
    add(doctor, Lifestyle(**own, data={"smoking": "current"}))
    before = {m.__name__: {r.pk for r in rows(m, drop)} for m in moved_models()}
    keyadmin.erase_scope(drop.pk, "erased first E-1", actor=Actor.system("test"))
    with pytest.raises(InvalidValue) as caught:
        merge_customers(doctor, keep, drop)
    assert caught.value.code == "merge_erased"
    assert {m.__name__: {r.pk for r in rows(m, drop)} for m in moved_models()} == before
    assert Customer.objects.unscoped(reason="test").get(pk=drop.pk).status == "active"
    assert not AuditEntry.objects.filter(action="customer.merge").exists()


# --- basic information and cards in use --------------------------------------------------------


def test_basic_information_the_kept_record_lacks_is_carried_over(
    doctor: Actor, enrolled: Enrol, make_actor: MakeActor
) -> None:
    manager = make_actor("health_manager")
    keep = enrol(
        doctor, enrolment(mobile="", id_number="", address="", birth_date=dt.date(1980, 1, 1))
    )
    drop = enrol(
        doctor,
        enrolment(
            name="张 伟",
            mobile="13900009999",
            id_number="",
            address="南京市鼓楼区中山路 1 号",
            occupation="工程师",
            manager_id=manager.id,
        ),
        allow_duplicate=True,
    )
    merge_customers(doctor, keep, drop)
    kept = Customer.objects.for_actor(doctor, "records.identity.view").get(pk=keep.pk)
    assert (kept.mobile, kept.address, kept.occupation, kept.manager_id) == (
        "13900009999",
        "南京市鼓楼区中山路 1 号",
        "工程师",
        manager.id,
    )
    assert kept.name == "张伟"  # the kept record's own name stays
    assert [c.pk for c in selectors.by_mobile(doctor, "13900009999")] == [keep.pk]
    carried = RecordChange.objects.for_actor(doctor, "records.clinical.view").get(
        resource_id=keep.pk, field="address", action="merge"
    )
    assert (carried.old_value, carried.new_value) == (None, "南京市鼓楼区中山路 1 号")


def test_the_kept_records_own_basic_information_wins(
    doctor: Actor, pair: tuple[Customer, Customer]
) -> None:
    keep, drop = pair
    merge_customers(doctor, keep, drop)
    kept = Customer.objects.for_actor(doctor, "records.identity.view").get(pk=keep.pk)
    assert kept.mobile == "13812345678"


def test_when_both_use_a_card_the_dropped_ones_card_is_closed(
    doctor: Actor, enrolled: Enrol
) -> None:
    from jianguan.records.services import cards

    keep = enrolled(doctor)
    drop = enrol(doctor, enrolment(mobile="13900009999", id_number=""), allow_duplicate=True)
    mine, theirs = cards.issue_card(doctor, keep), cards.issue_card(doctor, drop)
    merge_customers(doctor, keep, drop)
    held = {c.pk: c.status for c in rows(MemberCard, keep)}
    assert held == {mine.pk: "active", theirs.pk: "replaced"}
