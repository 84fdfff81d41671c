"""The health record's sections through `services.sections`: each rule with its field and code,
each change versioned through the record history (D-09) and audited without values (D-05)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.utils import timezone

from jianguan.audit.models import AuditEntry
from jianguan.core.actors import Actor
from jianguan.records.errors import InvalidValue, NotFound
from jianguan.records.models import (
    Allergy,
    Customer,
    FamilyHistory,
    HistoryItem,
    Lifestyle,
    Medication,
    RecordChange,
    Visit,
)
from jianguan.records.services import history, sections

from .conftest import Enrol, MakeActor

pytestmark = pytest.mark.django_db

CLINICAL = "records.clinical.view"

VALID: dict[str, dict[str, Any]] = {
    "condition": {
        "name": "高血压",
        "code": "I10",
        "onset": "2019-03-01",
        "clinical_status": "active",
    },
    "surgery": {"name": "阑尾切除术", "onset": "2001-07-15"},
    "trauma": {"name": "左腕骨折", "onset": "2010-01-20"},
    "transfusion": {"name": "产后出血", "onset": "2012-05-02"},
    "disability": {"code": "hearing", "name": "右耳听力下降"},
    "family": {"relation": "father", "name": "2 型糖尿病", "code": "E11.9"},
    "allergy": {"substance": "青霉素", "reaction": "皮疹", "severity": "moderate"},
    "medication": {"name": "氨氯地平", "dose": "5 mg", "frequency": "每日 1 次", "active": True},
    "lifestyle": {"smoking_status": "current", "smoking_per_day": "10", "smoking_years": "20"},
}
MODELS = {
    "condition": HistoryItem,
    "surgery": HistoryItem,
    "trauma": HistoryItem,
    "transfusion": HistoryItem,
    "disability": HistoryItem,
    "family": FamilyHistory,
    "allergy": Allergy,
    "medication": Medication,
    "lifestyle": Lifestyle,
}


@pytest.fixture
def doctor(make_actor: MakeActor) -> Actor:
    return make_actor("doctor")


@pytest.fixture
def customer(enrolled: Enrol) -> Customer:
    return enrolled(birth_date=dt.date(1980, 1, 1))


def changes(actor: Actor, row: Any, action: str | None = None) -> dict[str, RecordChange]:
    qs = RecordChange.objects.for_actor(actor, CLINICAL).filter(resource_id=row.pk)
    if action:
        qs = qs.filter(action=action)
    return {c.field: c for c in qs}


def refused(call: Any) -> InvalidValue:
    with pytest.raises(InvalidValue) as info:
        call()
    return info.value


# --- ICD-10 -----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["I10", "E11.9", "K74.60", "I10.X00", "C34.9"])
def test_icd10_codes_of_the_expected_shape_are_accepted(code: str) -> None:
    assert sections.icd10(code) == code


def test_icd10_is_normalised_to_upper_case_without_spaces() -> None:
    assert sections.icd10(" e11 .9 ") == "E11.9"
    assert sections.icd10("ｉ１０") == "I10"  # full-width input from a Chinese IME


@pytest.mark.parametrize("code", ["I1", "110", "II0", "I10.", "I10.12345", "I10-9", "高血压"])
def test_malformed_icd10_codes_are_refused_with_their_code(code: str) -> None:
    error = refused(lambda: sections.icd10(code))
    assert error.code == "icd10_format" and error.field == "code"


def test_a_condition_with_a_malformed_code_is_not_saved(doctor: Actor, customer: Customer) -> None:
    error = refused(
        lambda: sections.add(doctor, customer, "condition", {**VALID["condition"], "code": "I1O"})
    )
    assert error.field == "code"
    assert not HistoryItem.objects.for_actor(doctor, CLINICAL).exists()


def test_family_history_codes_are_checked_too(doctor: Actor, customer: Customer) -> None:
    error = refused(
        lambda: sections.add(doctor, customer, "family", {**VALID["family"], "code": "diabetes"})
    )
    assert (error.field, error.code) == ("code", "icd10_format")


# --- required values, dates, choices ---------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "name_field"),
    [
        ("condition", "name"),
        ("surgery", "name"),
        ("family", "name"),
        ("allergy", "substance"),
        ("medication", "name"),
    ],
)
def test_a_section_without_its_name_is_refused_naming_the_field(
    doctor: Actor, customer: Customer, code: str, name_field: str
) -> None:
    error = refused(lambda: sections.add(doctor, customer, code, {**VALID[code], name_field: "  "}))
    assert error.field == name_field
    assert error.code == f"{name_field}_required"


def test_an_onset_in_the_future_is_refused(doctor: Actor, customer: Customer) -> None:
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    error = refused(
        lambda: sections.add(
            doctor, customer, "condition", {**VALID["condition"], "onset": tomorrow}
        )
    )
    assert (error.field, error.code) == ("onset", "date_future")


def test_an_onset_before_birth_is_refused(doctor: Actor, customer: Customer) -> None:
    error = refused(
        lambda: sections.add(
            doctor, customer, "surgery", {**VALID["surgery"], "onset": dt.date(1979, 12, 31)}
        )
    )
    assert (error.field, error.code) == ("onset", "date_before_birth")


def test_today_is_an_acceptable_onset(doctor: Actor, customer: Customer) -> None:
    today = timezone.localdate()
    row = sections.add(doctor, customer, "trauma", {**VALID["trauma"], "onset": today})
    assert row.onset == today  # type: ignore[attr-defined]


def test_a_condition_needs_its_status(doctor: Actor, customer: Customer) -> None:
    error = refused(
        lambda: sections.add(
            doctor, customer, "condition", {**VALID["condition"], "clinical_status": ""}
        )
    )
    assert (error.field, error.code) == ("clinical_status", "clinical_status_required")


def test_a_code_outside_its_list_is_refused(doctor: Actor, customer: Customer) -> None:
    error = refused(
        lambda: sections.add(doctor, customer, "allergy", {**VALID["allergy"], "severity": "huge"})
    )
    assert (error.field, error.code) == ("severity", "invalid_choice")


def test_an_unknown_section_is_not_found(doctor: Actor, customer: Customer) -> None:
    with pytest.raises(NotFound):
        sections.add(doctor, customer, "horoscope", {})


# --- versioned writes -------------------------------------------------------------------------


@pytest.mark.parametrize("code", list(VALID))
def test_adding_each_section_writes_its_row_and_record_history(
    doctor: Actor, customer: Customer, code: str
) -> None:
    row = sections.add(doctor, customer, code, VALID[code])
    assert isinstance(row, MODELS[code])
    created = changes(doctor, row, "create")
    assert created, "no RecordChange rows for the new row"
    assert all(c.old_value is None and c.customer_id == customer.pk for c in created.values())
    if code in ("condition", "surgery", "trauma", "transfusion", "disability"):
        assert row.kind == code  # type: ignore[attr-defined]


def test_a_new_condition_keeps_every_value(doctor: Actor, customer: Customer) -> None:
    row = sections.add(doctor, customer, "condition", {**VALID["condition"], "note": "服药控制"})
    stored = HistoryItem.objects.for_actor(doctor, CLINICAL).get(pk=row.pk)
    assert (stored.name, stored.code, stored.onset, stored.clinical_status, stored.note) == (
        "高血压",
        "I10",
        dt.date(2019, 3, 1),
        "active",
        "服药控制",
    )
    assert changes(doctor, row)["name"].new_value == "高血压"


def test_a_change_records_old_and_new_values(doctor: Actor, customer: Customer) -> None:
    row = sections.add(doctor, customer, "medication", VALID["medication"])
    changed = sections.change(
        doctor, customer, "medication", row, {**VALID["medication"], "dose": "10 mg"}
    )
    assert changed == ["dose"]
    update = changes(doctor, row, "update")
    assert set(update) == {"dose"}
    assert (update["dose"].old_value, update["dose"].new_value) == ("5 mg", "10 mg")


def test_saving_the_same_values_changes_nothing(doctor: Actor, customer: Customer) -> None:
    row = sections.add(doctor, customer, "allergy", VALID["allergy"])
    assert sections.change(doctor, customer, "allergy", row, VALID["allergy"]) == []
    assert changes(doctor, row, "update") == {}


def test_clearing_an_optional_value_is_recorded_as_a_change_to_empty(
    doctor: Actor, customer: Customer
) -> None:
    row = sections.add(doctor, customer, "allergy", VALID["allergy"])
    sections.change(doctor, customer, "allergy", row, {**VALID["allergy"], "reaction": ""})
    update = changes(doctor, row, "update")["reaction"]
    assert (update.old_value, update.new_value) == ("皮疹", None)


def test_removing_keeps_the_last_values_in_the_record_history(
    doctor: Actor, customer: Customer
) -> None:
    row = sections.add(doctor, customer, "surgery", VALID["surgery"])
    row_id = row.pk
    sections.remove(doctor, customer, "surgery", row)
    assert not HistoryItem.objects.for_actor(doctor, CLINICAL).filter(pk=row_id).exists()
    deleted = {
        c.field: c
        for c in RecordChange.objects.for_actor(doctor, CLINICAL).filter(
            resource_id=row_id, action="delete"
        )
    }
    assert deleted["name"].old_value == "阑尾切除术" and deleted["name"].new_value is None


def test_the_audit_entry_names_the_fields_but_never_the_values(
    doctor: Actor, customer: Customer
) -> None:
    row = sections.add(doctor, customer, "condition", VALID["condition"])
    entry = AuditEntry.objects.get(action="record.create", resource_id=str(row.pk))
    assert entry.customer_id == customer.pk
    assert "name" in entry.purpose and "code" in entry.purpose
    everything = " ".join(
        str(v) for e in AuditEntry.objects.all() for v in e.__dict__.values() if v is not None
    )
    assert "高血压" not in everything and "I10" not in everything


def test_a_row_of_another_section_cannot_be_changed_through_this_one(
    doctor: Actor, customer: Customer
) -> None:
    surgery = sections.add(doctor, customer, "surgery", VALID["surgery"])
    with pytest.raises(NotFound):
        sections.change(doctor, customer, "condition", surgery, VALID["condition"])


def test_a_row_of_another_customer_cannot_be_changed(
    doctor: Actor, customer: Customer, enrolled: Enrol
) -> None:
    other = enrolled(name="李娜", sex="F", id_number="", mobile="13900002222")
    row = sections.add(doctor, other, "allergy", VALID["allergy"])
    with pytest.raises(NotFound):
        sections.remove(doctor, customer, "allergy", row)


@pytest.mark.parametrize("role", ["front_desk", "followup_agent"])
def test_roles_without_clinical_edit_cannot_write(
    make_actor: MakeActor, customer: Customer, role: str
) -> None:
    with pytest.raises(NotFound):
        sections.add(make_actor(role), customer, "allergy", VALID["allergy"])


def test_staff_of_another_institution_cannot_write(
    make_actor: MakeActor, customer: Customer, other_institution: Any
) -> None:
    with pytest.raises(NotFound):
        sections.add(
            make_actor("doctor", inst=other_institution), customer, "allergy", VALID["allergy"]
        )


# --- lifestyle --------------------------------------------------------------------------------

LIFESTYLE = {
    "smoking_status": "former",
    "smoking_per_day": "20",
    "smoking_years": "15",
    "alcohol_status": "occasional",
    "alcohol_type": "beer",
    "alcohol_per_week": "2.5",
    "activity_per_week": "3",
    "activity_minutes": "40",
    "activity_type": "快走",
    "diet": ["balanced", "salt"],
    "sleep_hours": "6.5",
    "sleep_quality": "fair",
    "occupational_exposure": "粉尘 5 年",
}


def test_lifestyle_is_one_versioned_json_document(doctor: Actor, customer: Customer) -> None:
    row = sections.add(doctor, customer, "lifestyle", LIFESTYLE)
    assert row.data == {  # type: ignore[attr-defined]
        "schema": sections.LIFESTYLE_SCHEMA,
        "smoking": {"status": "former", "per_day": 20, "years": 15},
        "alcohol": {"status": "occasional", "type": "beer", "per_week": 2.5},
        "activity": {"per_week": 3, "minutes": 40, "type": "快走"},
        "diet": ["balanced", "salt"],
        "sleep": {"hours": 6.5, "quality": "fair"},
        "occupational_exposure": "粉尘 5 年",
    }


def test_a_second_lifestyle_updates_the_one_row(doctor: Actor, customer: Customer) -> None:
    first = sections.add(doctor, customer, "lifestyle", LIFESTYLE)
    second = sections.add(doctor, customer, "lifestyle", {**LIFESTYLE, "sleep_quality": "poor"})
    assert second.pk == first.pk
    assert Lifestyle.objects.for_actor(doctor, CLINICAL).filter(customer=customer).count() == 1
    update = changes(doctor, first, "update")["data"]
    assert update.old_value["sleep"]["quality"] == "fair"
    assert update.new_value["sleep"]["quality"] == "poor"


def test_a_never_smoker_with_cigarettes_is_refused(doctor: Actor, customer: Customer) -> None:
    error = refused(
        lambda: sections.add(
            doctor, customer, "lifestyle", {**LIFESTYLE, "smoking_status": "never"}
        )
    )
    assert (error.field, error.code) == ("smoking_per_day", "smoking_never")


def test_smoking_longer_than_the_age_is_refused(doctor: Actor, customer: Customer) -> None:
    error = refused(
        lambda: sections.add(doctor, customer, "lifestyle", {**LIFESTYLE, "smoking_years": "90"})
    )
    assert (error.field, error.code) == ("smoking_years", "smoking_years_age")


@pytest.mark.parametrize(
    ("name", "value", "code"),
    [
        ("sleep_hours", "25", "out_of_range"),
        ("activity_minutes", "-5", "out_of_range"),
        ("smoking_per_day", "十", "not_a_number"),
        ("activity_per_week", "2.5", "not_an_integer"),
    ],
)
def test_lifestyle_numbers_are_checked(
    doctor: Actor, customer: Customer, name: str, value: str, code: str
) -> None:
    error = refused(lambda: sections.add(doctor, customer, "lifestyle", {**LIFESTYLE, name: value}))
    assert (error.field, error.code) == (name, code)


def test_two_overall_diet_patterns_are_refused(doctor: Actor, customer: Customer) -> None:
    error = refused(
        lambda: sections.add(
            doctor, customer, "lifestyle", {**LIFESTYLE, "diet": ["balanced", "vegetarian"]}
        )
    )
    assert (error.field, error.code) == ("diet", "diet_exclusive")


# --- visit conclusions ------------------------------------------------------------------------


def visit_of(actor: Actor, customer: Customer) -> Visit:
    visit = Visit(
        institution_id=customer.institution_id,
        customer_id=customer.pk,
        visit_number=f"V{uuid.uuid4().hex[:8]}",
        visit_date=dt.date(2025, 3, 1),
    )
    history.save_new(actor, visit)
    return visit


def test_concluding_a_visit_signs_it_with_the_actor(doctor: Actor, customer: Customer) -> None:
    visit = visit_of(doctor, customer)
    changed = sections.conclude_visit(
        doctor, customer, visit, {"conclusions": "血压偏高", "recommendations": "低盐饮食"}
    )
    stored = Visit.objects.for_actor(doctor, CLINICAL).get(pk=visit.pk)
    assert stored.status == "concluded" and stored.chief_physician_id == doctor.id
    assert stored.concluded_at is not None
    assert (stored.conclusions, stored.recommendations) == ("血压偏高", "低盐饮食")
    assert {"conclusions", "status", "chief_physician_id"} <= set(changed)


def test_conclusions_are_required(doctor: Actor, customer: Customer) -> None:
    visit = visit_of(doctor, customer)
    error = refused(lambda: sections.conclude_visit(doctor, customer, visit, {"conclusions": ""}))
    assert (error.field, error.code) == ("conclusions", "conclusions_required")


def test_signing_the_same_conclusions_again_changes_nothing(
    doctor: Actor, customer: Customer
) -> None:
    visit = visit_of(doctor, customer)
    data = {"conclusions": "未见异常", "recommendations": ""}
    sections.conclude_visit(doctor, customer, visit, data)
    assert sections.conclude_visit(doctor, customer, visit, data) == []


def test_another_doctor_editing_conclusions_becomes_the_signer(
    doctor: Actor, make_actor: MakeActor, customer: Customer
) -> None:
    visit = visit_of(doctor, customer)
    sections.conclude_visit(doctor, customer, visit, {"conclusions": "未见异常"})
    other = make_actor("doctor")
    sections.conclude_visit(other, customer, visit, {"conclusions": "未见异常"})
    change = changes(other, visit, "update")["chief_physician_id"]
    assert (change.old_value, change.new_value) == (str(doctor.id), str(other.id))
