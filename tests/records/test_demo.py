"""Demo customers (records.demo) and the exam catalogue (records.catalog)."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import math
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command
from stdnum import luhn

from jianguan.accounts.actors import actor_for_user
from jianguan.accounts.models import Institution, User
from jianguan.audit.models import AuditEntry, AuditJobItem
from jianguan.core.crypto import sealed_scope
from jianguan.core.fields import BlindIndexField, EncryptedField
from jianguan.records import catalog, demo, selectors
from jianguan.records import identifiers as ids
from jianguan.records.forms import choices
from jianguan.records.forms.record import LifestyleForm
from jianguan.records.models import (
    PERSONAL_MODELS,
    CardEvent,
    Customer,
    CustomerIdentifier,
    HistoryItem,
    Medication,
    MemberCard,
    Observation,
    RecordChange,
    Visit,
)
from jianguan.records.services import sections

TODAY = dt.date(2026, 3, 15)
SEED = 4242

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def plans() -> list[demo.CustomerPlan]:
    """Enough people for distributions, generated without a database (pure)."""
    return demo.generate(600, seed=SEED, today=TODAY)


@pytest.fixture
def staff(make_user: Callable[..., User]) -> list[User]:
    return [
        make_user("health_manager"),
        make_user("health_manager"),
        make_user("doctor"),
        make_user("front_desk"),
    ]


@pytest.fixture
def loaded(institution: Institution, staff: list[User]) -> demo.LoadResult:
    return demo.load_demo_customers(institution, staff, count=20, seed=SEED, today=TODAY)


def rows(model: Any, institution: Institution) -> list[Any]:
    return list(model.objects.unscoped(reason="test").filter(institution=institution))


def last(plan: demo.CustomerPlan, item: str) -> float:
    value = plan.visits[-1].value(item)
    assert value is not None
    return value


def run_demo(*args: str) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


# --- reproducibility -------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_plans() -> None:
    assert demo.generate(15, seed=SEED, today=TODAY) == demo.generate(15, seed=SEED, today=TODAY)


def test_another_seed_gives_other_people() -> None:
    a = demo.generate(5, seed=SEED, today=TODAY)
    b = demo.generate(5, seed=SEED + 1, today=TODAY)
    assert [p.id_number for p in a] != [p.id_number for p in b]


def test_a_person_does_not_depend_on_how_many_are_generated() -> None:
    few = demo.generate(3, seed=SEED, today=TODAY)
    many = demo.generate(8, seed=SEED, today=TODAY)
    assert few == many[:3]


def plaintext(institution: Institution) -> dict[str, list[tuple[Any, ...]]]:
    """Every stored value of the institution's demo rows, decrypted, without the random ids and
    the blind indexes (keyed per institution)."""
    numbers = {i.customer_id: i.value for i in rows(CustomerIdentifier, institution)}
    visits = {v.pk: v.visit_number for v in rows(Visit, institution)}
    cards = {c.pk: c.number for c in rows(MemberCard, institution)}
    skip = {"id", "institution", "customer", "created_by", "manager", "chief_physician"}
    result: dict[str, list[tuple[Any, ...]]] = {}
    for model in PERSONAL_MODELS:
        fields = [
            f
            for f in model._meta.concrete_fields
            if f.name not in skip and not isinstance(f, BlindIndexField)
        ]
        values = []
        for row in rows(model, institution):
            owner = numbers[row.pk if model is Customer else row.customer_id]
            line: list[Any] = [owner]
            for f in fields:
                value = getattr(row, f.attname)
                if f.name == "visit":
                    value = visits.get(value)
                elif f.name in {"card", "replaces"}:
                    value = cards.get(value)
                line.append(repr(value))
            values.append(tuple(line))
        result[model.__name__] = sorted(values)
    return result


def test_two_loads_with_the_same_seed_store_identical_plaintext(
    institution: Institution, other_institution: Institution, staff: list[User]
) -> None:
    demo.load_demo_customers(institution, staff, count=8, seed=SEED, today=TODAY)
    demo.load_demo_customers(other_institution, [], count=8, seed=SEED, today=TODAY)
    first, second = plaintext(institution), plaintext(other_institution)
    assert first["Observation"] and first["Visit"] and first["HistoryItem"]
    assert first == second


# --- plausible distributions ----------------------------------------------------------------


def test_ages_span_20_to_85(plans: list[demo.CustomerPlan]) -> None:
    ages = [demo._years_between(p.birth_date, TODAY) for p in plans]
    assert min(ages) >= 20 and max(ages) <= 85
    assert 40 <= float(np.mean(ages)) <= 55


def test_mean_systolic_pressure_rises_with_age(plans: list[demo.CustomerPlan]) -> None:
    def mean_sbp(low: int, high: int) -> float:
        group = [
            last(p, "systolic")
            for p in plans
            if low <= demo._years_between(p.birth_date, p.visits[-1].date) < high
        ]
        assert len(group) >= 30
        return float(np.mean(group))

    young, middle, old = mean_sbp(20, 40), mean_sbp(40, 60), mean_sbp(60, 86)
    assert young + 5 < middle < old - 3


def test_bmi_correlates_with_triglycerides(plans: list[demo.CustomerPlan]) -> None:
    bmi = [last(p, "bmi") for p in plans]
    tg = [math.log(last(p, "triglycerides")) for p in plans]
    assert np.corrcoef(bmi, tg)[0, 1] > 0.3


def test_bmi_is_the_weight_over_the_squared_height(plans: list[demo.CustomerPlan]) -> None:
    for plan in plans[:100]:
        for visit in plan.visits:
            height, weight = visit.value("height"), visit.value("weight")
            assert height is not None and weight is not None
            assert visit.value("bmi") == pytest.approx(weight / (height / 100) ** 2, abs=0.051)


def test_men_have_more_hyperuricaemia_than_women(plans: list[demo.CustomerPlan]) -> None:
    def share(sex: str) -> float:
        group = [p for p in plans if p.sex == sex]
        return sum(last(p, "uric_acid") > 420 for p in group) / len(group)

    assert share("M") > 2 * share("F")


def test_chronic_conditions_are_common_but_not_universal(plans: list[demo.CustomerPlan]) -> None:
    def prevalence(code: str) -> float:
        return sum(code in p.condition_codes() for p in plans) / len(plans)

    assert 0.15 < prevalence(demo.HYPERTENSION) < 0.5
    assert 0.03 < prevalence(demo.DIABETES) < 0.2
    assert 0.2 < prevalence(demo.DYSLIPIDAEMIA) < 0.6
    assert 0.15 < prevalence(demo.FATTY_LIVER) < 0.5
    assert 0.05 < prevalence(demo.HYPERURICAEMIA) < 0.3


def test_every_hypertensive_has_a_high_reading_or_takes_a_drug(
    plans: list[demo.CustomerPlan],
) -> None:
    for plan in plans:
        if demo.HYPERTENSION not in plan.condition_codes():
            continue
        high = any(
            (v.value("systolic") or 0) >= 140 or (v.value("diastolic") or 0) >= 90
            for v in plan.visits
        )
        treated = any(m.for_code == demo.HYPERTENSION for m in plan.medications)
        assert high or treated, plan.index


def test_every_diabetic_has_a_diagnostic_value_or_takes_a_drug(
    plans: list[demo.CustomerPlan],
) -> None:
    for plan in plans:
        if demo.DIABETES not in plan.condition_codes():
            continue
        high = any(
            (v.value("fasting_glucose") or 0) >= 7.0 or (v.value("hba1c") or 0) >= 6.5
            for v in plan.visits
        )
        treated = any(m.for_code == demo.DIABETES for m in plan.medications)
        assert high or treated, plan.index


def test_fatty_liver_is_diagnosed_from_an_ultrasound_finding(
    plans: list[demo.CustomerPlan],
) -> None:
    for plan in plans:
        seen = any(
            r.item == "liver_ultrasound" and r.text.startswith("脂肪肝")
            for v in plan.visits
            for r in v.results
        )
        if demo.FATTY_LIVER in plan.condition_codes():
            # standard packages carry the ultrasound; the finding may fall on a basic-package year
            assert seen or any(v.package == "basic" for v in plan.visits), plan.index


def test_medications_treat_a_condition_the_customer_has(plans: list[demo.CustomerPlan]) -> None:
    for plan in plans:
        for medication in plan.medications:
            assert medication.for_code in plan.condition_codes()


def test_visits_are_annual_one_to_eight_and_none_in_the_future(
    plans: list[demo.CustomerPlan],
) -> None:
    counts = [len(p.visits) for p in plans]
    assert min(counts) >= 1 and max(counts) <= 8
    assert 3 <= float(np.mean(counts)) <= 5
    for plan in plans:
        dates = [v.date for v in plan.visits]
        assert dates == sorted(dates) and dates[-1] <= TODAY
        assert all(300 <= (b - a).days <= 430 for a, b in itertools.pairwise(dates))
        assert plan.enrolled <= dates[0]
        assert demo._years_between(plan.birth_date, dates[0]) >= 18
        assert all(h.onset >= plan.birth_date for h in plan.history)


def test_each_visit_has_about_25_results(plans: list[demo.CustomerPlan]) -> None:
    sizes = [len(v.results) for p in plans for v in p.visits]
    assert min(sizes) >= 20 and max(sizes) <= 30


def test_older_visits_are_concluded_with_text(plans: list[demo.CustomerPlan]) -> None:
    for plan in plans[:200]:
        for visit in plan.visits:
            concluded = (TODAY - visit.date).days > 14
            assert visit.concluded == concluded
            assert bool(visit.conclusions) == concluded
            assert bool(visit.recommendations) == concluded


def test_conclusions_name_a_high_blood_pressure() -> None:
    visit = demo.VisitPlan(
        "V1",
        TODAY,
        "basic",
        [
            demo.ResultPlan(code, value, text, None, None, flag)
            for code, value, text, flag in (
                ("bmi", 22.0, "", "N"),
                ("systolic", 152.0, "", "H"),
                ("diastolic", 96.0, "", "H"),
                ("fasting_glucose", 5.0, "", "N"),
                ("ecg", None, demo.NORMAL_ECG, "N"),
                ("hemoglobin", 140.0, "", "N"),
                ("creatinine", 70.0, "", "N"),
            )
        ],
    )
    conclusions, recommendations = demo.conclude(visit, "M", set())
    assert "血压升高（152/96 mmHg）" in conclusions
    assert "低盐饮食" in recommendations


def test_conclusions_of_a_normal_visit_say_so() -> None:
    visit = demo.VisitPlan(
        "V1",
        TODAY,
        "basic",
        [
            demo.ResultPlan("bmi", 22.0, "", None, None, "N"),
            demo.ResultPlan("systolic", 118.0, "", None, None, "N"),
            demo.ResultPlan("diastolic", 76.0, "", None, None, "N"),
            demo.ResultPlan("fasting_glucose", 5.0, "", None, None, "N"),
            demo.ResultPlan("ecg", None, demo.NORMAL_ECG, None, None, "N"),
            demo.ResultPlan("hemoglobin", 140.0, "", None, None, "N"),
            demo.ResultPlan("creatinine", 70.0, "", None, None, "N"),
        ],
    )
    assert demo.conclude(visit, "F", set())[0] == "本次体检未见明显异常。"


# --- identity ---------------------------------------------------------------------------------


def test_every_id_number_is_valid_and_agrees_with_sex_and_birth_date(
    plans: list[demo.CustomerPlan],
) -> None:
    for plan in plans:
        checked = ids.check_identifier(ids.RESIDENT_ID, plan.id_number)
        assert checked.warnings == [], plan.id_number  # a known area code for the birth year
        assert ids.cross_check(checked, plan.birth_date, plan.sex) == []


def test_id_numbers_mobiles_and_card_numbers_are_unique(plans: list[demo.CustomerPlan]) -> None:
    cards = [c.number for p in plans for c in p.cards]
    assert len({p.id_number for p in plans}) == len(plans)
    assert len({p.mobile for p in plans}) == len(plans)
    assert len(set(cards)) == len(cards)


def test_mobiles_are_valid_mainland_numbers(plans: list[demo.CustomerPlan]) -> None:
    for plan in plans:
        assert ids.normalise_mobile(plan.mobile) == plan.mobile
        assert ids.normalise_mobile(plan.emergency_contact["phone"])


def test_card_numbers_have_a_luhn_check_digit(plans: list[demo.CustomerPlan]) -> None:
    numbers = [c.number for p in plans for c in p.cards]
    assert len(numbers) > len(plans) * 0.8
    assert all(len(n) == 12 and n.startswith("8") and luhn.is_valid(n) for n in numbers)


def test_names_are_chinese_surname_and_given_name(plans: list[demo.CustomerPlan]) -> None:
    for plan in plans:
        assert 2 <= len(plan.name) <= 3 and plan.name[0] in demo.SURNAMES


def test_lifestyle_documents_round_trip_through_the_lifestyle_form(
    plans: list[demo.CustomerPlan],
) -> None:
    lifestyle = sections.section("lifestyle")
    for plan in plans[:150]:
        customer = Customer(birth_date=plan.birth_date)
        form_data = LifestyleForm.initial_from(plan.lifestyle)
        assert sections.clean(lifestyle, customer, form_data) == {"data": plan.lifestyle}


def test_stored_terms_are_those_of_the_forms(plans: list[demo.CustomerPlan]) -> None:
    for plan in plans:
        assert plan.marital_status in choices.MARITAL_STATUSES
        assert plan.insurance_type in choices.INSURANCE_TYPES
        assert plan.ethnicity in choices.ETHNICITIES
        assert plan.emergency_contact["relation"] in choices.RELATIONS
        assert plan.source_channel in choices.SOURCE_CHANNEL_LABELS
        assert all(f.relation in sections.RELATIONS for f in plan.family)
        assert all(a.severity in sections.SEVERITIES for a in plan.allergies)
        assert all(m.adherence in sections.ADHERENCE for m in plan.medications)
        for h in plan.history:
            if h.kind == "condition":
                assert h.status in sections.CLINICAL_STATUSES
                assert sections.icd10(h.code) == h.code
            if h.kind == "disability":
                assert h.code in sections.DISABILITIES


# --- the catalogue ----------------------------------------------------------------------------


def test_every_catalogue_item_has_a_code_and_numeric_items_a_unit() -> None:
    for item in catalog.ITEMS.values():
        assert item.local_code
        if item.kind == catalog.NUMERIC:
            assert item.loinc and item.unit


def test_flags_follow_the_printed_limits() -> None:
    assert catalog.flag_for(139, 90, 139) == "N"
    assert catalog.flag_for(140, 90, 139) == "H"
    assert catalog.flag_for(89, 90, 139) == "L"
    assert catalog.flag_for(0.9, 1.0, None) == "L"
    assert catalog.flag_for(185, 90, 139, (None, 180)) == "HH"


def test_reference_ranges_depend_on_sex_and_age() -> None:
    creatinine = catalog.ITEMS["creatinine"]
    assert catalog.reference(creatinine, "M", 45) == (57, 97)
    assert catalog.reference(creatinine, "F", 45) == (41, 73)
    assert catalog.reference(creatinine, "F", 70) == (41, 81)
    assert catalog.reference(catalog.ITEMS["uric_acid"], "F", 30) == (None, 420)
    assert catalog.reference(catalog.ITEMS["hemoglobin"], "U", 30) == (None, None)


# --- what is stored ----------------------------------------------------------------------------


def test_every_observation_has_loinc_or_local_code_and_numbers_a_unit(
    institution: Institution, loaded: demo.LoadResult
) -> None:
    observations = rows(Observation, institution)
    assert len(observations) == loaded.rows["Observation"] > 20 * 20
    for obs in observations:
        assert obs.loinc or obs.local_code
        assert obs.source == "import" and obs.source_key.startswith("demo:")
        if obs.value_num is not None:
            assert obs.unit


def test_stored_flags_match_the_stored_ranges(
    institution: Institution, loaded: demo.LoadResult
) -> None:
    checked = 0
    for obs in rows(Observation, institution):
        item = catalog.ITEMS[obs.local_code]
        if obs.value_num is None:
            assert obs.flag in {"N", "A"} and obs.value_text
            continue
        if (obs.ref_low, obs.ref_high) == (None, None):
            assert obs.flag is None
            continue
        assert obs.flag == catalog.flag_for(obs.value_num, obs.ref_low, obs.ref_high, item.critical)
        checked += 1
    assert checked > 300


def test_every_row_of_a_customer_is_sealed_under_that_customers_key(
    institution: Institution, loaded: demo.LoadResult
) -> None:
    for model in PERSONAL_MODELS:
        encrypted = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedField)]
        for row in rows(model, institution):
            owner = row.pk if model is Customer else row.customer_id
            for f in encrypted:
                sealed = row.__dict__[f.attname]
                if sealed is not None:
                    assert sealed_scope(sealed) == owner
                    getattr(row, f.attname)  # decrypts, or raises


def test_a_doctor_reads_the_demo_record_through_the_scoped_path(
    institution: Institution, loaded: demo.LoadResult, staff: list[User]
) -> None:
    doctor = actor_for_user(staff[2])
    visits = Visit.objects.for_actor(doctor, "records.clinical.view").filter(status="concluded")
    assert visits.exists()
    assert all(v.conclusions and v.recommendations for v in visits)
    assert Medication.objects.for_actor(doctor, "records.clinical.view").count() == loaded.rows.get(
        "Medication", 0
    )


def test_demo_customers_are_found_by_id_number_and_mobile(
    institution: Institution, loaded: demo.LoadResult, staff: list[User]
) -> None:
    front_desk = actor_for_user(staff[3])
    plan = demo.generate(1, seed=SEED, today=TODAY)[0]
    by_id = selectors.by_identifier(front_desk, ids.RESIDENT_ID, plan.id_number)
    by_mobile = selectors.by_mobile(front_desk, plan.mobile)
    assert [c.pk for c in by_id] == [c.pk for c in by_mobile] == [loaded.customer_ids[0]]
    assert by_id[0].name == plan.name and by_id[0].birth_year == plan.birth_date.year


def test_customers_are_assigned_to_the_health_managers(
    institution: Institution, loaded: demo.LoadResult, staff: list[User]
) -> None:
    managers = {c.manager_id for c in rows(Customer, institution)}
    assert {staff[0].pk, staff[1].pk} <= managers <= {staff[0].pk, staff[1].pk, None}


def test_cards_have_an_issued_event_and_replacements_point_back(
    institution: Institution, loaded: demo.LoadResult
) -> None:
    events: dict[uuid.UUID, list[str]] = {}
    for event in sorted(rows(CardEvent, institution), key=lambda e: e.created):
        events.setdefault(event.card_id, []).append(event.kind)
    for card in rows(MemberCard, institution):
        assert events[card.pk][0] == "issued"
        assert (card.status == "replaced") == ("replaced" in events[card.pk])


def test_conditions_carry_icd10_codes_and_onset_dates(
    institution: Institution, loaded: demo.LoadResult
) -> None:
    conditions = [h for h in rows(HistoryItem, institution) if h.kind == "condition"]
    assert conditions
    for h in conditions:
        assert h.code and h.name and isinstance(h.onset, dt.date)
        assert h.clinical_status in {"active", "remission", "resolved"}


def test_the_load_is_an_import_without_record_history_and_with_one_ledger_entry(
    institution: Institution, loaded: demo.LoadResult
) -> None:
    assert rows(RecordChange, institution) == []
    entries = AuditEntry.objects.filter(action="records.import", institution_id=institution.pk)
    assert entries.count() == 1
    entry = entries.get()
    assert entry.resource_id.startswith("touched:20:")
    items = AuditJobItem.objects.filter(entry=entry).order_by("position")
    assert [uuid.UUID(i.resource_id) for i in items] == loaded.customer_ids


# --- the demo command ---------------------------------------------------------------------------


def test_demo_command_creates_customers_only_for_the_demo_institution(
    other_institution: Institution,
) -> None:
    output = run_demo("--customers", "6")
    demo_institution = Institution.objects.get(code="demo")
    assert len(rows(Customer, demo_institution)) == 6
    assert rows(Customer, other_institution) == []
    assert "Created 6 demo customers" in output


def test_demo_customers_are_assigned_to_the_demo_health_manager() -> None:
    run_demo("--customers", "6")
    manager = User.objects.unscoped(reason="test").get(username="demo-health_manager")
    customers = rows(Customer, Institution.objects.get(code="demo"))
    assert {c.manager_id for c in customers} <= {manager.pk, None}
    assert any(c.manager_id == manager.pk for c in customers)


def test_demo_if_empty_does_nothing_the_second_time() -> None:
    run_demo("--if-empty", "--customers", "4")
    institution = Institution.objects.get(code="demo")
    before = {m.__name__: len(rows(m, institution)) for m in PERSONAL_MODELS}
    output = run_demo("--if-empty", "--customers", "4")
    assert "exists already" in output
    assert {m.__name__: len(rows(m, institution)) for m in PERSONAL_MODELS} == before


def test_demo_run_again_refreshes_passwords_but_adds_no_customers() -> None:
    run_demo("--customers", "4")
    output = run_demo("--customers", "4")
    assert "password:" in output and "demo customers" not in output
    assert len(rows(Customer, Institution.objects.get(code="demo"))) == 4
