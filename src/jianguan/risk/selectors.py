"""What the clinical engine needs from a customer's record, read through `for_actor` (D-01).

`record_facts` gathers, in a handful of queries: the latest result of every item (one query over
the results, newest first), every visit's results of the items trends follow, conditions,
family history, current medication and lifestyle; `model_inputs` turns them into the engine's
unit-named inputs (jianguan.clinical). Nothing here decides a risk: that is the engine's job.
"""

from __future__ import annotations

import datetime as dt
import tomllib
import uuid
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.utils import timezone

from jianguan.clinical import units
from jianguan.core.actors import Actor
from jianguan.records.models import (
    Customer,
    FamilyHistory,
    HistoryItem,
    Lifestyle,
    Medication,
    Observation,
)

CLINICAL = "records.clinical.view"
DATA = Path(__file__).resolve().parent / "data"

# engine input key → (catalogue item code, unit the catalogue stores it in)
RESULT_INPUTS: dict[str, tuple[str, str]] = {
    "sbp_mmhg": ("systolic", "mm[Hg]"),
    "dbp_mmhg": ("diastolic", "mm[Hg]"),
    "total_cholesterol_mmol_l": ("total_cholesterol", "mmol/L"),
    "hdl_c_mmol_l": ("hdl_c", "mmol/L"),
    "ldl_c_mmol_l": ("ldl_c", "mmol/L"),
    "triglycerides_mmol_l": ("triglycerides", "mmol/L"),
    "fasting_glucose_mmol_l": ("fasting_glucose", "mmol/L"),
    "hba1c_percent": ("hba1c", "%"),
    "creatinine_umol_l": ("creatinine", "umol/L"),
    "uric_acid_umol_l": ("uric_acid", "umol/L"),
    "waist_cm": ("waist", "cm"),
    "height_cm": ("height", "cm"),
    "weight_kg": ("weight", "kg"),
    "bmi_kg_m2": ("bmi", "kg/m2"),
}
# ICD-10 blocks (WHO ICD-10): diabetes E10–E14; ischaemic heart disease I20–I25;
# cerebrovascular disease I60–I69; hypertensive diseases I10–I15
DIABETES = tuple(f"E{n}" for n in range(10, 15))
ASCVD = tuple(f"I{n}" for n in range(20, 26)) + tuple(f"I{n}" for n in range(60, 70))
HYPERTENSION = tuple(f"I{n}" for n in range(10, 16))
FIRST_DEGREE = {"father", "mother", "sibling", "child"}
# Results reported in another unit are converted to the catalogue's (clinical/units.py factors).
UNIT_FACTORS: dict[tuple[str, str], float] = {
    **{
        (code, "mg/dL"): 1 / units.CHOLESTEROL_MG_DL_PER_MMOL_L
        for code in ("total_cholesterol", "hdl_c", "ldl_c")
    },
    ("triglycerides", "mg/dL"): 1 / units.TRIGLYCERIDES_MG_DL_PER_MMOL_L,
    ("fasting_glucose", "mg/dL"): 1 / units.GLUCOSE_MG_DL_PER_MMOL_L,
    ("creatinine", "mg/dL"): units.CREATININE_UMOL_L_PER_MG_DL,
    ("uric_acid", "mg/dL"): units.URIC_ACID_UMOL_L_PER_MG_DL,
}
CATALOGUE_UNITS = {code: unit for code, unit in (v for v in RESULT_INPUTS.values())}
# WHO 2020: 150 minutes a week of moderate activity; below it the energy target uses the low
# activity level (the lifestyle section records sessions and minutes, not their intensity).
ACTIVE_MINUTES = 150
PARENTS_SIBLINGS = {"father", "mother", "sibling"}


@dataclass(frozen=True)
class Latest:
    value: float
    unit: str
    when: dt.datetime


@dataclass
class RecordFacts:
    customer_id: uuid.UUID
    sex: str
    age: int | None
    latest: dict[str, Latest] = field(default_factory=dict)  # item code → latest result
    series: dict[str, list[tuple[dt.date, float]]] = field(default_factory=dict)
    conditions: list[str] = field(default_factory=list)  # ICD-10 codes, active or unknown status
    family: list[tuple[str, str]] = field(default_factory=list)  # (relation, ICD-10 code)
    medications: list[str] = field(default_factory=list)  # current medication names
    smoking: str | None = None  # never / former / current
    active_minutes: float | None = None  # a week, from the lifestyle section


@cache
def drug_classes() -> dict[str, dict[str, Any]]:
    with (DATA / "drug_classes.toml").open("rb") as f:
        return tomllib.load(f)


def takes(facts: RecordFacts, drug_class: str) -> bool:
    names = drug_classes()[drug_class]["names"]
    return any(entry in med for med in facts.medications for entry in names)


def _age(customer: Customer, today: dt.date) -> int | None:
    born = customer.birth_date
    if isinstance(born, dt.date):
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return today.year - customer.birth_year if customer.birth_year else None


def _code(value: Any) -> str:
    return value.strip().upper() if isinstance(value, str) else ""


def record_facts(actor: Actor, customer: Customer) -> RecordFacts:
    today = timezone.localdate()
    facts = RecordFacts(customer.pk, customer.sex, _age(customer, today))
    rows = (
        Observation.objects.for_actor(actor, CLINICAL)
        .filter(customer=customer, status__in=Observation.SHOWN)
        .exclude(local_code="")
        .order_by("effective", "created")
        .only("local_code", "unit", "value_num", "effective", "visit_id", "customer_id")
    )
    for obs in rows:
        value = obs.value_num
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        value, unit = _in_catalogue_unit(obs.local_code, obs.unit, float(value))
        facts.latest[obs.local_code] = Latest(value, unit, obs.effective)
        when = timezone.localtime(obs.effective).date()
        if unit == CATALOGUE_UNITS.get(obs.local_code, unit):
            facts.series.setdefault(obs.local_code, []).append((when, value))
    for item in HistoryItem.objects.for_actor(actor, CLINICAL).filter(
        customer=customer, kind="condition"
    ):
        status = item.clinical_status if isinstance(item.clinical_status, str) else ""
        if status in ("", "active") and _code(item.code):
            facts.conditions.append(_code(item.code))
    for fam in FamilyHistory.objects.for_actor(actor, CLINICAL).filter(customer=customer):
        relation = fam.relation if isinstance(fam.relation, str) else ""
        facts.family.append((relation, _code(fam.code)))
    for med in Medication.objects.for_actor(actor, CLINICAL).filter(customer=customer, active=True):
        if isinstance(med.name, str) and med.name:
            facts.medications.append(med.name)
    lifestyle = Lifestyle.objects.for_actor(actor, CLINICAL).filter(customer=customer).first()
    data = lifestyle.data if lifestyle is not None and isinstance(lifestyle.data, dict) else {}
    smoking = data.get("smoking") if isinstance(data.get("smoking"), dict) else {}
    facts.smoking = smoking.get("status") if smoking else None
    activity = data.get("activity") if isinstance(data.get("activity"), dict) else {}
    per_week, minutes = (activity or {}).get("per_week"), (activity or {}).get("minutes")
    if isinstance(per_week, int | float) and isinstance(minutes, int | float):
        facts.active_minutes = float(per_week) * float(minutes)
    return facts


def _in_catalogue_unit(code: str, unit: str, value: float) -> tuple[float, str]:
    factor = UNIT_FACTORS.get((code, unit))
    if factor is None:
        return value, unit
    return value * factor, CATALOGUE_UNITS[code]


def _has(codes: list[str], blocks: tuple[str, ...]) -> bool:
    return any(code.startswith(blocks) for code in codes)


def model_inputs(facts: RecordFacts) -> dict[str, Any]:
    """Every engine input the record can answer; a model takes the subset it declares."""
    inputs: dict[str, Any] = {}
    if facts.sex in ("M", "F"):
        inputs["sex"] = facts.sex
    if facts.age is not None:
        inputs["age_years"] = facts.age
    for key, (code, unit) in RESULT_INPUTS.items():
        latest = facts.latest.get(code)
        if latest is not None and latest.unit == unit:
            inputs[key] = latest.value
    if facts.smoking is not None:
        inputs["smoker"] = facts.smoking == "current"
    inputs["diabetes"] = _has(facts.conditions, DIABETES) or takes(facts, "glucose_lowering")
    # the diabetes risk score is for people not yet diagnosed: it refuses them (CDRS)
    inputs["diagnosed_diabetes"] = inputs["diabetes"]
    if facts.active_minutes is not None:
        inputs["activity_level"] = "moderate" if facts.active_minutes >= ACTIVE_MINUTES else "low"
    inputs["bp_treated"] = takes(facts, "antihypertensive")
    inputs["family_history_ascvd"] = any(
        rel in PARENTS_SIBLINGS and code.startswith(ASCVD) for rel, code in facts.family
    )
    inputs["family_history_diabetes"] = any(
        rel in FIRST_DEGREE and code.startswith(DIABETES) for rel, code in facts.family
    )
    return inputs
