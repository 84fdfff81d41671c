"""疾病风险评估 for one customer: every panel model the record can answer, what is missing for
the others, and how the 10-year risk would change if blood pressure, cholesterol or smoking
reached a target.

Inputs come from the record (risk.selectors.model_inputs) and, for China-PAR's region, from the
institution (`jianguan institutions set`). The engine decides everything clinical; this module
only chooses which models the panel shows and feeds them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jianguan import clinical
from jianguan.clinical.advice import Advice, advise
from jianguan.clinical.models.cardiovascular import REFERENCE_SBP, REFERENCE_TC
from jianguan.clinical.registry import Input, InvalidInput, Result
from jianguan.core.actors import Actor
from jianguan.records.models import Customer

from .. import selectors
from ..selectors import RecordFacts

# The panel, in the order a health manager reads it: cardiovascular risk first (China-PAR is
# the Chinese guideline's model; PCE for comparison), then diabetes, kidney, and the
# classifications of the latest results.
PANEL = (
    "china_par",
    "pce",
    "cdrs",
    "glycaemic_status",
    "ckd_epi_2021",
    "bp_class",
    "lipid_class",
    "metabolic_syndrome_cds",
    "hyperuricaemia",
    "bmi",
    "waist_class",
)
RISK_MODELS = ("china_par", "pce")
# Models the advice rules read beside the panel's (clinical/data/advice_rules.toml); the
# questionnaire scores join them from the customer's responses.
ADVICE_EXTRA = ("energy_target", "who_activity_2020")


@dataclass(frozen=True)
class Scenario:
    code: str
    label_zh: str
    label_en: str
    changes: Mapping[str, Any]


@dataclass(frozen=True)
class WhatIf:
    scenario: Scenario
    value: float
    category: str | None
    category_zh: str
    category_en: str
    delta: float  # percentage points, negative when the risk falls


@dataclass
class PanelItem:
    model_id: str
    title_zh: str
    title_en: str
    result: Result | None = None
    missing: list[Input] = field(default_factory=list)
    refused: InvalidInput | None = None
    what_if: list[WhatIf] = field(default_factory=list)


def _given(model: clinical.registry.Model, inputs: Mapping[str, Any]) -> dict[str, Any]:
    accepted = {k for spec in model.inputs for k in spec.accepted_keys()}
    return {k: v for k, v in inputs.items() if k in accepted and v is not None}


def _missing(model: clinical.registry.Model, given: Mapping[str, Any]) -> list[Input]:
    return [
        spec
        for spec in model.inputs
        if spec.required and not any(k in given for k in spec.accepted_keys())
    ]


def scenarios(inputs: Mapping[str, Any]) -> list[Scenario]:
    """The changes worth showing for this customer: only targets not yet reached.

    Targets are the engine's own reference levels, the ones its explanations name
    (clinical/models/cardiovascular.py: SBP 120 mmHg, TC 5.2 mmol/L), and no smoking; each is
    named in its label, so the screen claims nothing beyond the number.
    """
    found: list[Scenario] = []
    sbp = inputs.get("sbp_mmhg")
    if isinstance(sbp, int | float) and sbp > REFERENCE_SBP:
        found.append(
            Scenario(
                "bp",
                f"收缩压降至 {REFERENCE_SBP:g} mmHg",
                f"systolic BP down to {REFERENCE_SBP:g} mmHg",
                {"sbp_mmhg": REFERENCE_SBP},
            )
        )
    tc = inputs.get("total_cholesterol_mmol_l")
    if isinstance(tc, int | float) and tc > REFERENCE_TC:
        found.append(
            Scenario(
                "cholesterol",
                f"总胆固醇降至 {REFERENCE_TC:g} mmol/L",
                f"total cholesterol down to {REFERENCE_TC:g} mmol/L",
                {"total_cholesterol_mmol_l": REFERENCE_TC},
            )
        )
    if inputs.get("smoker") is True:
        found.append(Scenario("smoking", "戒烟", "stop smoking", {"smoker": False}))
    if len(found) > 1:
        combined: dict[str, Any] = {}
        for s in found:
            combined.update(s.changes)
        found.append(Scenario("all", "以上全部达到", "all of the above", combined))
    return found


def _what_if(model_id: str, given: dict[str, Any], base: Result) -> list[WhatIf]:
    out: list[WhatIf] = []
    for scenario in scenarios(given):
        changed = {**given}
        for key, value in scenario.changes.items():
            if key in changed or key == "smoker":
                changed[key] = value
        try:
            result = clinical.calculate(model_id, changed)
        except InvalidInput:
            continue
        out.append(
            WhatIf(
                scenario,
                float(result.value),
                result.category,
                result.category_zh,
                result.category_en,
                float(result.value) - float(base.value),
            )
        )
    return out


def panel(inputs: Mapping[str, Any]) -> list[PanelItem]:
    items: list[PanelItem] = []
    for model_id in PANEL:
        model = clinical.get(model_id)
        item = PanelItem(model_id, model.title_zh, model.title_en)
        given = _given(model, inputs)
        item.missing = _missing(model, given)
        if not item.missing:
            try:
                item.result = clinical.calculate(model_id, given)
            except InvalidInput as exc:
                item.refused = exc
            else:
                if model_id in RISK_MODELS:
                    item.what_if = _what_if(model_id, given, item.result)
        items.append(item)
    return items


def findings(
    items: list[PanelItem],
    inputs: Mapping[str, Any],
    scored: Mapping[str, Result] | None = None,
) -> dict[str, Result]:
    """What the advice rules see: every panel result, the extra models the record can answer
    (energy need from the lifestyle's activity, WHO activity when it is recorded), and the
    newest questionnaire scores (`scored`: PHQ-9, GAD-7 … from questionnaires.services)."""
    found = {i.model_id: i.result for i in items if i.result is not None}
    found.update(scored or {})
    for model_id in ADVICE_EXTRA:
        model = clinical.get(model_id)
        given = _given(model, inputs)
        if _missing(model, given):
            continue
        try:
            found[model_id] = clinical.calculate(model_id, given)
        except InvalidInput:
            continue
    return found


@dataclass
class Assessment:
    """One customer's risk panel and the advice its findings call for (risk tab, advice drafts)."""

    facts: RecordFacts
    inputs: dict[str, Any]
    items: list[PanelItem]
    advice: list[Advice]
    region_missing: bool


def assess(actor: Actor, customer: Customer) -> Assessment:
    """The record's inputs, the institution's region for China-PAR, the panel, and the advice
    rules over the panel, the extra models and the newest questionnaire scores."""
    from jianguan.accounts.models import Institution
    from jianguan.questionnaires.services.responses import latest_results

    facts = selectors.record_facts(actor, customer)
    inputs = selectors.model_inputs(facts)
    institution = Institution.objects.get(pk=customer.institution_id)
    if institution.region_north is not None:
        inputs["north"] = institution.region_north
    if institution.region_urban is not None:
        inputs["urban"] = institution.region_urban
    items = panel(inputs)
    found = findings(items, inputs, latest_results(actor, customer))
    return Assessment(
        facts=facts,
        inputs=inputs,
        items=items,
        advice=advise(found, conditions=facts.conditions),
        region_missing=institution.region_north is None or institution.region_urban is None,
    )
