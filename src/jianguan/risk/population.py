"""Population mode: the risk panel's models over every active customer of one institution.

The record is read in bulk through `for_actor` with the job's system actor, which limits every
query to the institution: the customers, then one query over the results (newest first per
customer and item, so only the latest numeric result of each item is decrypted), then one each
for conditions, family history, current medication and lifestyle. Values are decrypted in Python
(D-01: no SQL predicate touches them). Each customer's facts become engine inputs through the
same `selectors.model_inputs` the 风险评估 tab uses, so a customer counts here exactly as the tab
shows them; the inputs become numpy columns (NaN where a measure is missing) and each model runs
once over the columns with `calculate_many`.

Every customer falls in exactly one bucket per model: a category of the model, NOT_ENOUGH_DATA
(a required input missing — the tab's "缺少"), or OUTSIDE_MODEL (the model refuses the row: an
impossible value, or an age where the model is not defined — the tab's "无法计算"). Only the
counts leave this module (D-01 allows counts); the customer ids go to the job's audit entry.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.utils import timezone

from jianguan import clinical
from jianguan.clinical.registry import INTEGER, NUMBER
from jianguan.core.actors import Actor
from jianguan.records.models import (
    Customer,
    FamilyHistory,
    HistoryItem,
    Lifestyle,
    Medication,
    Observation,
)

from . import selectors
from .models import PopulationCount
from .services.assessment import PANEL

NOT_ENOUGH_DATA = "not_enough_data"
OUTSIDE_MODEL = "outside_model"
BUCKETS = (NOT_ENOUGH_DATA, OUTSIDE_MODEL)

# The panel's models that run over columns (a model that is not vectorised loops in Python).
MODELS = tuple(m for m in PANEL if clinical.get(m).vectorised)

# Models whose inputs are all optional but that need one of a group: for one customer they
# raise `missing` ("at least one of fasting glucose, OGTT or HbA1c") or `no_lipid_given`. A
# customer with none of the group has not enough data, which is not a refusal.
AT_LEAST_ONE: dict[str, tuple[str, ...]] = {
    "glycaemic_status": ("fasting_glucose_mmol_l", "ogtt_2h_glucose_mmol_l", "hba1c_percent"),
    "lipid_class": (
        "total_cholesterol_mmol_l",
        "ldl_c_mmol_l",
        "hdl_c_mmol_l",
        "triglycerides_mmol_l",
    ),
}

RESULT_CODES = sorted({code for code, _unit in selectors.RESULT_INPUTS.values()})
CHUNK = 2000

Counts = dict[str, dict[str, int]]  # model id → category code (or a bucket) → customers


@dataclass(frozen=True)
class Population:
    """One row per customer: a column per engine input key, and where each key has a value."""

    customer_ids: list[uuid.UUID]
    columns: dict[str, np.ndarray]
    present: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.customer_ids)

    def has_any(self, keys: Iterable[str]) -> np.ndarray:
        found = np.zeros(len(self), dtype=bool)
        for key in keys:
            if key in self.present:
                found |= self.present[key]
        return found


@dataclass(frozen=True)
class Run:
    customer_ids: list[uuid.UUID]
    counts: Counts


def load_facts(actor: Actor) -> list[selectors.RecordFacts]:
    """The facts `model_inputs` needs for every active customer of the actor's institution."""
    today = timezone.localdate()
    clinical_view = selectors.CLINICAL
    customers = (
        Customer.objects.for_actor(actor, clinical_view)
        .filter(status="active")
        .order_by("id")
        .only("id", "institution_id", "sex", "birth_date", "birth_year")
    )
    facts = {
        c.pk: selectors.RecordFacts(c.pk, c.sex, selectors._age(c, today))
        for c in customers.iterator(chunk_size=CHUNK)
    }
    active = {"customer__status": "active"}

    # Newest first per customer and item: the first numeric value of a group is the latest one
    # (the tab keeps the last of effective, created ascending), older rows stay encrypted.
    results = (
        Observation.objects.for_actor(actor, clinical_view)
        .filter(**active, status__in=Observation.SHOWN, local_code__in=RESULT_CODES)
        .order_by("customer_id", "local_code", "-effective", "-created")
        .only("id", "institution_id", "customer_id", "local_code", "unit", "value_num", "effective")
    )
    for obs in results.iterator(chunk_size=CHUNK):
        record = facts.get(obs.customer_id)
        if record is None or obs.local_code in record.latest:
            continue
        value = obs.value_num
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        record.latest[obs.local_code] = selectors.Latest(float(value), obs.unit, obs.effective)

    conditions = (
        HistoryItem.objects.for_actor(actor, clinical_view)
        .filter(**active, kind="condition")
        .only("id", "institution_id", "customer_id", "code", "clinical_status")
    )
    for item in conditions.iterator(chunk_size=CHUNK):
        record = facts.get(item.customer_id)
        status = item.clinical_status if isinstance(item.clinical_status, str) else ""
        if record is not None and status in ("", "active") and selectors._code(item.code):
            record.conditions.append(selectors._code(item.code))

    family = (
        FamilyHistory.objects.for_actor(actor, clinical_view)
        .filter(**active)
        .only("id", "institution_id", "customer_id", "relation", "code")
    )
    for fam in family.iterator(chunk_size=CHUNK):
        record = facts.get(fam.customer_id)
        if record is not None:
            relation = fam.relation if isinstance(fam.relation, str) else ""
            record.family.append((relation, selectors._code(fam.code)))

    medications = (
        Medication.objects.for_actor(actor, clinical_view)
        .filter(**active, active=True)
        .only("id", "institution_id", "customer_id", "name")
    )
    for med in medications.iterator(chunk_size=CHUNK):
        record = facts.get(med.customer_id)
        if record is not None and isinstance(med.name, str) and med.name:
            record.medications.append(med.name)

    lifestyles = (
        Lifestyle.objects.for_actor(actor, clinical_view)
        .filter(**active)
        .only("id", "institution_id", "customer_id", "data")
    )
    for row in lifestyles.iterator(chunk_size=CHUNK):
        record = facts.get(row.customer_id)
        data = row.data if isinstance(row.data, dict) else {}
        smoking = data.get("smoking") if isinstance(data.get("smoking"), dict) else {}
        if record is not None:
            record.smoking = smoking.get("status") if smoking else None
    return list(facts.values())


def columns(customer_ids: Sequence[uuid.UUID], inputs: Sequence[Mapping[str, Any]]) -> Population:
    """Engine inputs, one dict per customer, as columns: numbers as floats with NaN where
    missing, yes/no as booleans and sex as 'M'/'F', each with its `present` mask."""
    keys = sorted({k for row in inputs for k, v in row.items() if v is not None})
    cols: dict[str, np.ndarray] = {}
    present: dict[str, np.ndarray] = {}
    for key in keys:
        values = [row.get(key) for row in inputs]
        mask = np.array([v is not None for v in values], dtype=bool)
        given = [v for v in values if v is not None]
        if all(isinstance(v, bool | np.bool_) for v in given):
            cols[key] = np.array([bool(v) if v is not None else False for v in values], dtype=bool)
        elif all(isinstance(v, int | float) for v in given):
            cols[key] = np.array(
                [float(v) if v is not None else np.nan for v in values], dtype=float
            )
            mask &= ~np.isnan(cols[key])
        else:
            cols[key] = np.array(["" if v is None else str(v) for v in values], dtype=str)
        present[key] = mask
    return Population(list(customer_ids), cols, present)


def load(actor: Actor, region_north: bool | None, region_urban: bool | None) -> Population:
    """Every active customer of the actor's institution as engine-input columns; the region
    (China-PAR's north / urban) is the institution's, as on the tab."""
    facts = load_facts(actor)
    inputs = []
    for record in facts:
        row = selectors.model_inputs(record)
        if region_north is not None:
            row["north"] = region_north
        if region_urban is not None:
            row["urban"] = region_urban
        inputs.append(row)
    return columns([f.customer_id for f in facts], inputs)


def assess(model_id: str, population: Population) -> dict[str, int]:
    """How many customers fall in each of the model's categories and in each bucket.

    The order of the tab decides a row that fails twice: a missing required input is "not
    enough data" before anything is computed; then the model's checks of single inputs (an
    age where it does not apply) refuse before its check that one of a group was given.
    """
    model = clinical.get(model_id)
    counts = {c.code: 0 for c in model.categories} | dict.fromkeys(BUCKETS, 0)
    n = len(population)
    enough = np.ones(n, dtype=bool)
    for spec in model.inputs:
        if spec.required:
            enough &= population.has_any(spec.accepted_keys())
    counts[NOT_ENOUGH_DATA] = int(n - enough.sum())
    columns = dict(population.columns)
    lacking = np.zeros(n, dtype=bool)
    if model_id in AT_LEAST_ONE:
        # Rows with none of the group run with a stand-in for its first input, so that only
        # the checks of their other inputs can refuse them; those left are "not enough data".
        first = AT_LEAST_ONE[model_id][0]
        lacking = enough & ~population.has_any(AT_LEAST_ONE[model_id])
        spec = next(s for s in model.inputs if first in s.accepted_keys())
        stand_in = spec.possible[0] if spec.possible[0] is not None else 1.0
        columns[first] = np.where(lacking, stand_in, columns.get(first, np.full(n, np.nan)))

    accepted = [(spec, k) for spec in model.inputs for k in spec.accepted_keys() if k in columns]
    # A column can leave out a number row by row (NaN), but not sex, a yes/no or a choice:
    # those optional inputs go only to the rows that have them, run in groups by which they
    # have, so that a row without one gets the model's default as on the tab.
    always = [k for spec, k in accepted if spec.required or spec.kind in (NUMBER, INTEGER)]
    sometimes = [k for spec, k in accepted if not (spec.required or spec.kind in (NUMBER, INTEGER))]
    pattern = np.zeros(n, dtype=np.int64)
    for bit, key in enumerate(sometimes):
        pattern |= population.present[key].astype(np.int64) << bit
    for group in np.unique(pattern[enough]):
        rows = enough & (pattern == group)
        given = always + [k for bit, k in enumerate(sometimes) if int(group) >> bit & 1]
        result = clinical.calculate_many(model_id, {k: columns[k][rows] for k in given})
        refused = result.refused | (result.category == "")
        without = lacking[rows] & ~refused
        counts[OUTSIDE_MODEL] += int(refused.sum())
        counts[NOT_ENOUGH_DATA] += int(without.sum())
        codes, found = np.unique(result.category[~refused & ~without], return_counts=True)
        for code, count in zip(codes.tolist(), found.tolist(), strict=True):
            counts[str(code)] = counts.get(str(code), 0) + int(count)
    return counts


def compute(
    actor: Actor,
    *,
    region_north: bool | None,
    region_urban: bool | None,
    models: Sequence[str] = MODELS,
) -> Run:
    population = load(actor, region_north, region_urban)
    return Run(population.customer_ids, {m: assess(m, population) for m in models})


@dataclass(frozen=True)
class Stored:
    computed_at: dt.datetime | None
    counts: Counts


def stored(institution_id: uuid.UUID) -> Stored:
    """The institution's counts from its last run (one run replaces all of its rows)."""
    counts: Counts = {}
    computed_at: dt.datetime | None = None
    for row in PopulationCount.objects.filter(institution_id=institution_id).order_by("id"):
        counts.setdefault(row.model_id, {})[row.category] = row.count
        computed_at = row.computed_at if computed_at is None else max(computed_at, row.computed_at)
    return Stored(computed_at, counts)
