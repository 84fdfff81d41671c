"""Manual vitals: impossible values are refused with the field and the range; BMI is computed;
codes are LOINC and units UCUM; everything is stored encrypted and versioned."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from jianguan.audit.models import AuditEntry
from jianguan.core.actors import Actor
from jianguan.records.errors import InvalidValue
from jianguan.records.models import Customer, Observation, RecordChange, Visit
from jianguan.records.services import history
from jianguan.records.services.observations import (
    BMI,
    VITALS,
    bmi,
    parse_vitals,
    record_vitals,
)

from .conftest import Enrol

CLINICAL = "records.clinical.view"
WHEN = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)

# Blood pressure comes in pairs: a partner value that is valid with any value of the other.
PARTNER = {"systolic": {"diastolic": "20"}, "diastolic": {"systolic": "300"}}


def refusal(raw: dict[str, str]) -> InvalidValue:
    with pytest.raises(InvalidValue) as caught:
        parse_vitals(raw)
    assert str(caught.value.message)
    return caught.value


def one(key: str, value: str) -> dict[str, str]:
    return {key: value, **PARTNER.get(key, {})}


def fmt(bound: float) -> str:
    return f"{bound:g}"


# --- bounds -------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", list(VITALS))
def test_the_lowest_possible_value_is_accepted(key: str) -> None:
    assert parse_vitals(one(key, fmt(VITALS[key].low)))[key] == Decimal(fmt(VITALS[key].low))


@pytest.mark.parametrize("key", list(VITALS))
def test_the_highest_possible_value_is_accepted(key: str) -> None:
    assert parse_vitals(one(key, fmt(VITALS[key].high)))[key] == Decimal(fmt(VITALS[key].high))


@pytest.mark.parametrize("key", list(VITALS))
def test_a_value_below_the_lowest_is_refused_naming_field_and_range(key: str) -> None:
    vital = VITALS[key]
    error = refusal(one(key, str(Decimal(fmt(vital.low)) - Decimal("0.1"))))
    assert (error.field, error.code) == (key, "out_of_range")
    assert fmt(vital.low) in str(error.message) and fmt(vital.high) in str(error.message)


@pytest.mark.parametrize("key", list(VITALS))
def test_a_value_above_the_highest_is_refused(key: str) -> None:
    error = refusal(one(key, str(Decimal(fmt(VITALS[key].high)) + Decimal("0.1"))))
    assert (error.field, error.code) == (key, "out_of_range")


@pytest.mark.parametrize("raw", ["-70", "0", "1e9"])
def test_impossible_weights_are_refused(raw: str) -> None:
    assert refusal({"weight": raw}).code == "out_of_range"


# --- blood pressure ---------------------------------------------------------------------------


def test_a_systolic_without_diastolic_is_refused_on_the_missing_field() -> None:
    error = refusal({"systolic": "120"})
    assert (error.field, error.code) == ("diastolic", "bp_pair")


def test_a_diastolic_without_systolic_is_refused_on_the_missing_field() -> None:
    error = refusal({"diastolic": "80"})
    assert (error.field, error.code) == ("systolic", "bp_pair")


@pytest.mark.parametrize(("systolic", "diastolic"), [("80", "120"), ("90", "90")])
def test_a_diastolic_not_below_the_systolic_is_refused(systolic: str, diastolic: str) -> None:
    error = refusal({"systolic": systolic, "diastolic": diastolic})
    assert (error.field, error.code) == ("diastolic", "bp_order")


def test_a_valid_pair_is_accepted() -> None:
    assert parse_vitals({"systolic": "128", "diastolic": "82"}) == {
        "systolic": Decimal(128),
        "diastolic": Decimal(82),
    }


# --- numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["abc", "1,70", "170cm", "一百七十", "--5"])
def test_a_value_that_is_not_a_number_is_refused_naming_its_field(raw: str) -> None:
    error = refusal({"height": raw})
    assert (error.field, error.code) == ("height", "not_a_number")


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", "sNaN"])
def test_special_numbers_are_refused(raw: str) -> None:
    error = refusal({"heart_rate": raw})
    assert (error.field, error.code) == ("heart_rate", "out_of_range")


def test_values_are_rounded_to_the_fields_precision() -> None:
    parsed = parse_vitals({"height": "170.26", "systolic": "120.4", "diastolic": "79.6"})
    assert parsed == {
        "height": Decimal("170.3"),
        "systolic": Decimal(120),
        "diastolic": Decimal(80),
    }


def test_surrounding_spaces_and_full_width_digits_are_accepted() -> None:
    assert parse_vitals({"height": " 170 ", "weight": "６５.５"}) == {
        "height": Decimal("170.0"),
        "weight": Decimal("65.5"),
    }


@pytest.mark.parametrize("raw", [{}, {"height": "", "weight": "  "}, {"unknown": "5"}])
def test_an_empty_form_is_refused(raw: dict[str, str]) -> None:
    error = refusal(raw)
    assert error.code == "nothing_entered"


# --- BMI ----------------------------------------------------------------------------------------


def test_bmi_is_weight_over_height_squared_to_one_decimal() -> None:
    assert bmi(Decimal(170), Decimal(65)) == Decimal("22.5")
    assert bmi(Decimal("158.5"), Decimal("49.2")) == Decimal("19.6")


@pytest.mark.django_db
def test_bmi_is_stored_as_loinc_39156_5_when_height_and_weight_are_entered(
    nurse: Actor, enrolled: Enrol
) -> None:
    customer = enrolled()
    saved = record_vitals(nurse, customer, {"height": "170", "weight": "65"}, effective=WHEN)
    by_code = {o.loinc: o for o in saved}
    assert set(by_code) == {"8302-2", "29463-7", "39156-5"}
    assert by_code["39156-5"].value_num == 22.5
    assert by_code["39156-5"].unit == "kg/m2"


@pytest.mark.django_db
def test_no_bmi_is_stored_without_height(nurse: Actor, enrolled: Enrol) -> None:
    saved = record_vitals(nurse, enrolled(), {"weight": "65"}, effective=WHEN)
    assert [o.loinc for o in saved] == ["29463-7"]


@pytest.mark.django_db
def test_an_implausible_bmi_is_refused_and_nothing_is_stored(nurse: Actor, enrolled: Enrol) -> None:
    customer = enrolled()
    with pytest.raises(InvalidValue) as caught:
        record_vitals(nurse, customer, {"height": "40", "weight": "350"}, effective=WHEN)
    assert (caught.value.field, caught.value.code) == ("weight", "bmi_range")
    assert not Observation.objects.for_actor(nurse, CLINICAL).exists()


# --- storage ------------------------------------------------------------------------------------


def test_every_vital_has_a_loinc_code_and_a_ucum_unit() -> None:
    assert {k: (v.loinc, v.unit) for k, v in VITALS.items()} == {
        "height": ("8302-2", "cm"),
        "weight": ("29463-7", "kg"),
        "waist": ("8280-0", "cm"),
        "systolic": ("8480-6", "mm[Hg]"),
        "diastolic": ("8462-4", "mm[Hg]"),
        "heart_rate": ("8867-4", "/min"),
    }
    assert (BMI.loinc, BMI.unit) == ("39156-5", "kg/m2")


@pytest.mark.django_db
def test_recorded_vitals_are_stored_with_code_unit_value_time_source_and_author(
    nurse: Actor, enrolled: Enrol
) -> None:
    customer = enrolled()
    raw = {
        "height": "170",
        "weight": "65",
        "waist": "82.5",
        "systolic": "128",
        "diastolic": "82",
        "heart_rate": "72",
    }
    record_vitals(nurse, customer, raw, effective=WHEN)
    rows = Observation.objects.for_actor(nurse, CLINICAL).filter(customer=customer)
    stored = {o.local_code: (o.loinc, o.unit, o.value_num) for o in rows}
    assert stored == {
        "height": ("8302-2", "cm", 170.0),
        "weight": ("29463-7", "kg", 65.0),
        "waist": ("8280-0", "cm", 82.5),
        "systolic": ("8480-6", "mm[Hg]", 128.0),
        "diastolic": ("8462-4", "mm[Hg]", 82.0),
        "heart_rate": ("8867-4", "/min", 72.0),
        "bmi": ("39156-5", "kg/m2", 22.5),
    }
    assert {(o.effective, o.source, o.created_by_id) for o in rows} == {(WHEN, "manual", nurse.id)}


@pytest.mark.django_db
def test_a_refused_form_stores_nothing(nurse: Actor, enrolled: Enrol) -> None:
    customer = enrolled()
    with pytest.raises(InvalidValue):
        record_vitals(nurse, customer, {"height": "170", "systolic": "500"}, effective=WHEN)
    assert not Observation.objects.for_actor(nurse, CLINICAL).exists()


@pytest.mark.django_db
def test_recorded_vitals_are_versioned_and_audited(nurse: Actor, enrolled: Enrol) -> None:
    customer = enrolled()
    (obs,) = record_vitals(nurse, customer, {"heart_rate": "72"}, effective=WHEN)
    change = RecordChange.objects.for_actor(nurse, CLINICAL).get(
        resource_id=obs.pk, field="value_num"
    )
    assert (change.action, change.new_value) == ("create", 72.0)
    entry = AuditEntry.objects.get(resource_id=str(obs.pk))
    assert (entry.action, entry.resource_type, entry.customer_id) == (
        "record.create",
        "Observation",
        customer.pk,
    )
    assert "72" not in entry.purpose


def visit_of(actor: Actor, customer: Customer, number: str) -> Visit:
    visit = Visit(
        institution_id=customer.institution_id,
        customer_id=customer.pk,
        visit_number=number,
        visit_date=WHEN.date(),
    )
    history.save_new(actor, visit)
    return visit


@pytest.mark.django_db
def test_vitals_can_belong_to_a_visit_of_the_customer(nurse: Actor, enrolled: Enrol) -> None:
    customer = enrolled()
    visit = visit_of(nurse, customer, "V2026-0001")
    saved = record_vitals(nurse, customer, {"heart_rate": "72"}, effective=WHEN, visit=visit)
    assert [o.visit_id for o in saved] == [visit.pk]


@pytest.mark.django_db
def test_vitals_cannot_be_filed_under_another_customers_visit(
    nurse: Actor, enrolled: Enrol
) -> None:
    customer = enrolled()
    other = enrolled(name="李娜", id_number="", mobile="")
    visit = visit_of(nurse, other, "V2026-0002")
    with pytest.raises(InvalidValue) as caught:
        record_vitals(nurse, customer, {"heart_rate": "72"}, effective=timezone.now(), visit=visit)
    assert (caught.value.field, caught.value.code) == ("visit", "visit_mismatch")


def test_entered_vitals_carry_the_reference_range_and_a_flag(nurse, enrolled) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from jianguan.records.services.observations import record_vitals

    saved = record_vitals(
        nurse,
        enrolled(),
        {"systolic": "190", "diastolic": "115", "heart_rate": "72"},
        effective=dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC),
    )
    by_code = {o.local_code: o for o in saved}
    assert (by_code["systolic"].ref_low, by_code["systolic"].ref_high) == (90, 139)
    assert by_code["systolic"].flag == "HH" and by_code["diastolic"].flag == "HH"
    assert by_code["heart_rate"].flag == "N"


def test_one_vitals_entry_writes_one_audit_entry_for_the_customer(nurse, enrolled) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from jianguan.audit.models import AuditEntry
    from jianguan.records.services.observations import record_vitals

    customer = enrolled()
    before = AuditEntry.objects.filter(customer_id=customer.pk).count()
    record_vitals(
        nurse,
        customer,
        {"height": "170", "weight": "65", "systolic": "120", "diastolic": "80"},
        effective=dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC),
    )
    assert AuditEntry.objects.filter(customer_id=customer.pk).count() == before + 1
    entry = AuditEntry.objects.filter(customer_id=customer.pk).order_by("-seq").first()
    assert entry is not None and entry.resource_type == "Observation"
    assert len(entry.resource_id.split(",")) >= 3  # the ids of the results, not only the first
