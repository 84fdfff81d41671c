"""The 风险评估 tab: the panel models computed from the record (latest results, conditions,
medication, lifestyle, family history) and the institution's region, what is missing for the
others, and the what-if table for the 10-year risks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client

from jianguan.accounts.actors import actor_for_user
from jianguan.accounts.models import Institution, User
from jianguan.core.actors import Actor
from jianguan.records.models import Customer, HistoryItem, Lifestyle, Medication, Observation
from jianguan.records.services import history
from jianguan.records.services.enrolment import EnrolmentData, enrol
from jianguan.records.services.observations import record_vitals
from jianguan.risk import selectors
from jianguan.risk.services import assessment

pytestmark = pytest.mark.django_db
StaffClient = Callable[..., tuple[Client, User]]
WHEN = dt.datetime(2025, 6, 1, 9, tzinfo=dt.UTC)


def lab(actor: Actor, c: Customer, code: str, loinc: str, unit: str, value: float) -> None:
    history.save_new(
        actor,
        Observation(
            institution_id=c.institution_id,
            customer_id=c.pk,
            loinc=loinc,
            local_code=code,
            unit=unit,
            value_num=value,
            effective=WHEN,
            source="import",
        ),
    )


@pytest.fixture
def nurse(make_user: Callable[..., User]) -> Actor:
    return actor_for_user(make_user("nurse"))


@pytest.fixture
def customer(nurse: Actor, institution: Institution) -> Customer:
    institution.region_north, institution.region_urban = True, True
    institution.save()
    c = enrol(
        nurse, EnrolmentData(name="钱军", sex="M", birth_date=dt.date(1965, 4, 1), consent=True)
    )
    record_vitals(
        nurse,
        c,
        {"systolic": "152", "diastolic": "92", "height": "172", "weight": "80", "waist": "95"},
        effective=WHEN,
    )
    lab(nurse, c, "total_cholesterol", "14647-2", "mmol/L", 6.1)
    lab(nurse, c, "hdl_c", "14646-4", "mmol/L", 1.0)
    own = {"institution_id": c.institution_id, "customer_id": c.pk}
    history.save_new(nurse, Lifestyle(**own, data={"smoking": {"status": "current"}}))
    history.save_new(nurse, Medication(**own, name="苯磺酸氨氯地平片", active=True))
    history.save_new(nurse, HistoryItem(**own, kind="condition", code="E11.9", name="2型糖尿病"))
    return c


def test_record_facts_become_engine_inputs(nurse: Actor, customer: Customer) -> None:
    inputs = selectors.model_inputs(selectors.record_facts(nurse, customer))
    assert inputs["sex"] == "M" and inputs["age_years"] >= 59
    assert inputs["sbp_mmhg"] == 152 and inputs["total_cholesterol_mmol_l"] == 6.1
    assert inputs["smoker"] is True and inputs["bp_treated"] is True and inputs["diabetes"] is True
    assert inputs["family_history_ascvd"] is False


def test_the_panel_computes_china_par_with_what_if(nurse: Actor, customer: Customer) -> None:
    inputs = selectors.model_inputs(selectors.record_facts(nurse, customer))
    inputs.update(north=True, urban=True)
    items = {i.model_id: i for i in assessment.panel(inputs)}
    par = items["china_par"]
    assert par.result is not None and par.result.category == "high"
    scenarios = {w.scenario.code: w for w in par.what_if}
    assert set(scenarios) == {"bp", "cholesterol", "smoking", "all"}
    assert all(w.delta < 0 for w in scenarios.values())
    assert scenarios["all"].value < min(w.value for c, w in scenarios.items() if c != "all")
    assert items["ckd_epi_2021"].result is None
    assert [s.key for s in items["ckd_epi_2021"].missing] == ["creatinine_umol_l"]


def test_the_tab_shows_the_panel(staff_client: StaffClient, customer: Customer) -> None:
    client, _ = staff_client("health_manager")
    html = client.get(f"/customers/{customer.pk}/?tab=risk").content.decode()
    assert 'id="risk-china_par"' in html and "高危" in html
    assert "如果达到目标" in html and "戒烟" in html
    assert "缺少" in html and "血肌酐" in html
    # advice by rule, each with what triggered it and its guideline
    assert 'id="risk-advice"' in html and "严格限盐" in html
    assert "因为" in html and "中国高血压防治指南" in html


def test_without_the_region_china_par_asks_for_it(
    staff_client: StaffClient, customer: Customer, institution: Institution
) -> None:
    institution.region_north = None
    institution.save()
    client, _ = staff_client("doctor")
    html = client.get(f"/customers/{customer.pk}/?tab=risk").content.decode()
    assert "jianguan institutions set" in html


def test_the_front_desk_gets_404(staff_client: StaffClient, customer: Customer) -> None:
    client, _ = staff_client("front_desk")
    assert client.get(f"/customers/{customer.pk}/?tab=risk").status_code == 404


def test_a_diagnosed_diabetic_gets_no_diabetes_risk_score(nurse: Actor, customer: Customer) -> None:
    inputs = selectors.model_inputs(selectors.record_facts(nurse, customer))
    assert inputs["diagnosed_diabetes"] is True
    cdrs = {i.model_id: i for i in assessment.panel(inputs)}["cdrs"]
    assert cdrs.result is None and cdrs.refused is not None


def test_results_in_mg_dl_are_converted_for_the_engine_and_the_trends(
    nurse: Actor, make_user: Callable[..., User]
) -> None:
    c = enrol(
        nurse, EnrolmentData(name="吴刚", sex="M", birth_date=dt.date(1970, 1, 1), consent=True)
    )
    lab(nurse, c, "total_cholesterol", "2093-3", "mg/dL", 232.0)
    lab(nurse, c, "fasting_glucose", "2345-7", "mmol/L", 5.5)
    lab(nurse, c, "uric_acid", "3084-1", "furlongs", 7.0)  # an unknown unit is left out
    facts = selectors.record_facts(nurse, c)
    assert facts.latest["total_cholesterol"].unit == "mmol/L"
    assert facts.latest["total_cholesterol"].value == pytest.approx(232 / 38.67)
    assert facts.series["total_cholesterol"][0][1] == pytest.approx(232 / 38.67)
    inputs = selectors.model_inputs(facts)
    assert inputs["total_cholesterol_mmol_l"] == pytest.approx(6.0, abs=0.01)
    assert "uric_acid_umol_l" not in inputs and "uric_acid" not in facts.series


def test_the_lifestyles_activity_gives_the_energy_target_for_advice(
    nurse: Actor, customer: Customer
) -> None:
    own = {"institution_id": customer.institution_id, "customer_id": customer.pk}
    lifestyle = Lifestyle.objects.for_actor(nurse, "records.clinical.edit").get(customer=customer)
    history.update(
        nurse,
        lifestyle,
        {"data": {"smoking": {"status": "current"}, "activity": {"per_week": 5, "minutes": 40}}},
    )
    del own
    inputs = selectors.model_inputs(selectors.record_facts(nurse, customer))
    assert inputs["activity_level"] == "moderate"  # 200 minutes a week
    found = assessment.findings(assessment.panel(inputs), inputs)
    assert found["energy_target"].category == "moderate"
