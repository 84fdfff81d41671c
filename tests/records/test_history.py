"""D-09: every change of the record is versioned — old and new value per field, encrypted under
the customer's key — and audited with the fields named but never the values."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest

from jianguan.audit.models import AuditEntry
from jianguan.core import context, keyadmin
from jianguan.core.actors import Actor
from jianguan.core.crypto import sealed_scope
from jianguan.core.fields import SHREDDED
from jianguan.records import selectors
from jianguan.records.models import Customer, HistoryItem, RecordChange
from jianguan.records.services import history

from .conftest import Enrol, audit_text

pytestmark = pytest.mark.django_db

VIEW = "records.identity.view"
CLINICAL = "records.clinical.view"


def changes_of(actor: Actor, obj: object, action: str | None = None) -> dict[str, RecordChange]:
    pk = obj if isinstance(obj, uuid.UUID) else obj.pk  # type: ignore[attr-defined]
    rows = RecordChange.objects.for_actor(actor, CLINICAL).filter(resource_id=pk)
    if action:
        rows = rows.filter(action=action)
    return {row.field: row for row in rows}


def loaded(actor: Actor, customer: Customer) -> Customer:
    return Customer.objects.for_actor(actor, VIEW).get(pk=customer.pk)


def condition(actor: Actor, customer: Customer, **values: object) -> HistoryItem:
    item = HistoryItem(
        institution_id=customer.institution_id,
        customer_id=customer.pk,
        kind="condition",
        code="I10",
        name="原发性高血压",
        onset=dt.date(2015, 6, 1),
        clinical_status="active",
        **values,
    )
    history.save_new(actor, item)
    return item


# --- update ----------------------------------------------------------------------------------


def test_an_update_records_old_and_new_value_of_each_changed_field(
    nurse: Actor, enrolled: Enrol
) -> None:
    customer = loaded(nurse, enrolled(address="旧地址"))
    changed = history.update(nurse, customer, {"address": "新地址", "occupation": "工程师"})
    assert changed == ["address", "occupation"]
    rows = changes_of(nurse, customer, "update")
    assert set(rows) == {"address", "occupation"}
    assert (rows["address"].old_value, rows["address"].new_value) == ("旧地址", "新地址")
    assert (rows["occupation"].old_value, rows["occupation"].new_value) == (None, "工程师")
    assert rows["address"].created_by_id == nurse.id
    assert rows["address"].resource_type == "Customer"


def test_an_update_saves_the_new_values(nurse: Actor, enrolled: Enrol) -> None:
    customer = loaded(nurse, enrolled())
    history.update(nurse, customer, {"address": "新地址"})
    assert loaded(nurse, customer).address == "新地址"


def test_an_update_that_changes_nothing_writes_no_row_and_no_entry(
    nurse: Actor, enrolled: Enrol
) -> None:
    customer = loaded(nurse, enrolled(address="同一地址"))
    entries = AuditEntry.objects.count()
    assert history.update(nurse, customer, {"address": "同一地址", "name": "张伟"}) == []
    assert changes_of(nurse, customer, "update") == {}
    assert AuditEntry.objects.count() == entries


def test_only_the_fields_that_changed_are_recorded(nurse: Actor, enrolled: Enrol) -> None:
    customer = loaded(nurse, enrolled(address="同一地址"))
    assert history.update(nurse, customer, {"address": "同一地址", "ethnicity": "回族"}) == [
        "ethnicity"
    ]
    assert set(changes_of(nurse, customer, "update")) == {"ethnicity"}


def test_changing_the_birth_date_changes_the_birth_year(nurse: Actor, enrolled: Enrol) -> None:
    customer = loaded(nurse, enrolled())
    changed = history.update(nurse, customer, {"birth_date": dt.date(1981, 5, 4)})
    assert changed == ["birth_date", "birth_year"]
    assert loaded(nurse, customer).birth_year == 1981
    rows = changes_of(nurse, customer, "update")
    assert (rows["birth_date"].old_value, rows["birth_date"].new_value) == (
        "1980-01-01",
        "1981-05-04",
    )


def test_changing_a_name_moves_its_blind_index(nurse: Actor, enrolled: Enrol) -> None:
    customer = loaded(nurse, enrolled())
    history.update(nurse, customer, {"name": "张维"})
    assert [c.pk for c in selectors.by_name(nurse, "张维")] == [customer.pk]
    assert selectors.by_name(nurse, "张伟") == []


def test_an_update_of_a_clinical_row_is_versioned(nurse: Actor, enrolled: Enrol) -> None:
    customer = enrolled()
    item = condition(nurse, customer)
    history.update(nurse, item, {"clinical_status": "resolved"})
    row = changes_of(nurse, item, "update")["clinical_status"]
    assert (row.old_value, row.new_value) == ("active", "resolved")
    assert row.resource_type == "HistoryItem"
    assert row.customer_id == customer.pk


def test_a_record_change_carries_the_request_id_of_its_audit_entry(
    nurse: Actor, enrolled: Enrol
) -> None:
    customer = loaded(nurse, enrolled())
    token = context.begin(context.RequestContext(request_id="req-history-1"))
    try:
        history.update(nurse, customer, {"address": "新地址"})
    finally:
        context.end(token)
    row = changes_of(nurse, customer, "update")["address"]
    entry = AuditEntry.objects.get(action="record.update", customer_id=customer.pk)
    assert row.request_id == entry.request_id == "req-history-1"


# --- delete ----------------------------------------------------------------------------------


def test_a_deletion_records_the_old_values(nurse: Actor, enrolled: Enrol) -> None:
    customer = enrolled()
    item = condition(nurse, customer, note="服药控制")
    pk = item.pk
    history.delete(nurse, item)
    assert not HistoryItem.objects.for_actor(nurse, CLINICAL).filter(pk=pk).exists()
    rows = changes_of(nurse, pk, "delete")
    assert rows["name"].old_value == "原发性高血压"
    assert rows["code"].old_value == "I10"
    assert rows["onset"].old_value == "2015-06-01"
    assert rows["note"].old_value == "服药控制"
    assert all(r.new_value is None for r in rows.values())


def test_a_deletion_is_audited_naming_the_fields(nurse: Actor, enrolled: Enrol) -> None:
    customer = enrolled()
    item = condition(nurse, customer)
    pk = item.pk
    history.delete(nurse, item)
    entry = AuditEntry.objects.get(action="record.delete", resource_id=str(pk))
    assert entry.customer_id == customer.pk
    assert entry.resource_type == "HistoryItem"
    assert "name" in entry.purpose.removeprefix("fields:").split(",")


# --- encryption and audit ---------------------------------------------------------------------


def test_history_values_are_sealed_under_the_customers_own_key(
    nurse: Actor, enrolled: Enrol
) -> None:
    customer = loaded(nurse, enrolled(address="旧地址"))
    history.update(nurse, customer, {"address": "新地址"})
    row = changes_of(nurse, customer, "update")["address"]
    sealed = (
        RecordChange.objects.unscoped(reason="test")
        .filter(pk=row.pk)
        .values_list("old_value", "new_value")
        .get()
    )
    assert [sealed_scope(v) for v in sealed] == [customer.pk, customer.pk]
    assert all("地址".encode() not in bytes(v) for v in sealed)


def test_history_values_decrypt_only_while_the_customers_key_exists(
    isolated_keys: Path, nurse: Actor, enrolled: Enrol
) -> None:
    erased = loaded(nurse, enrolled(address="旧地址"))
    kept = loaded(nurse, enrolled(name="李娜", id_number="", mobile="", address="旧址"))
    history.update(nurse, erased, {"address": "新地址"})
    history.update(nurse, kept, {"address": "新址"})
    keyadmin.erase_scope(erased.pk, "erasure request ER-9", actor=Actor.system("test"))
    gone = changes_of(nurse, erased, "update")["address"]
    assert gone.old_value is SHREDDED and gone.new_value is SHREDDED
    still = changes_of(nurse, kept, "update")["address"]
    assert (still.old_value, still.new_value) == ("旧址", "新址")


def test_the_audit_entry_of_an_update_names_the_fields_and_never_the_values(
    nurse: Actor, enrolled: Enrol
) -> None:
    customer = loaded(nurse, enrolled(address="旧的秘密地址"))
    history.update(
        nurse, customer, {"address": "新的秘密地址", "mobile": "13700001111", "name": "张秘密"}
    )
    entry = AuditEntry.objects.get(action="record.update", customer_id=customer.pk)
    assert entry.purpose == "fields:address,mobile,name"
    assert entry.resource_type == "Customer"
    assert entry.resource_id == str(customer.pk)
    ledger = audit_text()
    for value in ("旧的秘密地址", "新的秘密地址", "13700001111", "13812345678", "张秘密", "张伟"):
        assert value not in ledger


def test_one_update_writes_one_audit_entry(nurse: Actor, enrolled: Enrol) -> None:
    customer = loaded(nurse, enrolled())
    history.update(nurse, customer, {"address": "甲", "occupation": "乙", "ethnicity": "丙"})
    assert AuditEntry.objects.filter(action="record.update", customer_id=customer.pk).count() == 1


def test_a_creation_audit_entry_names_only_the_fields_that_were_filled(
    nurse: Actor, enrolled: Enrol
) -> None:
    customer = enrolled(occupation="")
    entry = AuditEntry.objects.get(action="customer.enrol", customer_id=customer.pk)
    # the enrolment's entry: "customer.enrol:fields:…;record.create:fields:…" (D-07)
    named = entry.purpose.split(";")[0].removeprefix("customer.enrol:fields:").split(",")
    assert {"name", "mobile", "birth_date"} <= set(named)
    assert "occupation" not in named and "address" not in named


def test_a_long_field_list_is_cut_at_whole_names_within_the_ledger_limit() -> None:
    fields = history.tracked_fields(Customer()) + [f"extra_field_{i}" for i in range(20)]
    purpose = history._fields_purpose(fields)
    assert len(purpose) <= 200
    *names, rest = purpose.removeprefix("fields:").split(",")
    assert rest == f"+{len(fields) - len(names)}"
    assert set(names) <= set(fields)
