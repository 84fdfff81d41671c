"""China-PAR, the Pooled Cohort Equations and Framingham 2008 against their published worked
examples (clinical-references.md §1–3), category boundaries, refusals, and the vectorised path."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from jianguan.clinical import calculate
from jianguan.clinical.models.cardiovascular import (
    china_par_category,
    framingham_category,
    pce_category,
    shown,
)

from .helpers import Population, assert_both_paths, assert_paths_agree, assert_refused

# --- China-PAR (Yang X et al., Circulation 2016;134:1430-1440) --------------------------------

# The paper's example profile (Supplemental Table 1 / Table 2): untreated SBP 130, TC 210 mg/dL,
# HDL-C 55 mg/dL, waist 80 cm, non-smoker, diabetes, northern, urban, no family history.
PAPER_PROFILE: dict[str, Any] = {
    "sbp_mmhg": 130,
    "bp_treated": False,
    "total_cholesterol_mg_dl": 210,
    "hdl_c_mg_dl": 55,
    "waist_cm": 80,
    "smoker": False,
    "diabetes": True,
    "north": True,
    "urban": True,
    "family_history_ascvd": False,
}


@pytest.mark.parametrize(
    ("sex", "age", "paper", "tolerance"),
    [
        # Men: the T/JPMA coefficient set (set C) runs 0.03-0.29 points below the paper's
        # Table 2 (clinical-references.md §1.2); tolerance 0.3 percentage points.
        ("M", 40, 2.2, 0.3),
        ("M", 50, 5.4, 0.3),
        ("M", 60, 11.0, 0.3),
        ("M", 70, 19.6, 0.3),
        # Women (derived S10 0.9851): within 0.15 percentage points of Table 2.
        ("F", 40, 2.4, 0.15),
        ("F", 50, 5.4, 0.15),
        ("F", 60, 10.1, 0.15),
        ("F", 70, 17.1, 0.15),
    ],
)
def test_china_par_reproduces_the_papers_table_2(
    sex: str, age: int, paper: float, tolerance: float
) -> None:
    result = calculate("china_par", {**PAPER_PROFILE, "age_years": age, "sex": sex})
    assert result.value == pytest.approx(paper, abs=tolerance)
    assert result.unit == "%"


@pytest.mark.parametrize(("sex", "paper_sum"), [("M", 142.04), ("F", 119.22)])
def test_china_par_sum_at_60_matches_the_supplement(sex: str, paper_sum: float) -> None:
    result = calculate("china_par", {**PAPER_PROFILE, "age_years": 60, "sex": sex})
    assert result.details["sum"] == pytest.approx(paper_sum, abs=0.02)
    terms = {
        k: v for k, v in result.details.items() if k not in ("sum", "mean", "baseline_survival")
    }
    assert sum(terms.values()) == pytest.approx(result.details["sum"], rel=1e-12)


def test_china_par_men_terms_at_60_match_the_supplements_printed_column() -> None:
    details = calculate("china_par", {**PAPER_PROFILE, "age_years": 60, "sex": "M"}).details
    printed = {
        "ln_age": 130.88,
        "ln_sbp": 127.28,
        "ln_tc": 3.32,
        "ln_hdl": -2.78,
        "ln_waist": -3.12,
        "diabetes": 0.36,
        "north": 0.48,
        "urban": -0.16,
        "ln_age_x_ln_sbp": -114.21,
    }
    for term, value in printed.items():
        assert details[term] == pytest.approx(value, abs=0.01), term
    assert details["mean"] == 140.68 and details["baseline_survival"] == 0.9707


def test_china_par_2019_guideline_example_is_4_7_percent_low_risk() -> None:
    # 中国心血管病风险评估和管理指南 (2019) appendix example, official calculator 4.7 %.
    result = calculate(
        "china_par",
        {
            "age_years": 40,
            "sex": "M",
            "north": True,
            "urban": True,
            "waist_cm": 80,
            "total_cholesterol_mmol_l": 5.2,
            "hdl_c_mmol_l": 1.3,
            "sbp_mmhg": 145,
            "bp_treated": False,
            "diabetes": False,
            "smoker": False,
            "family_history_ascvd": True,
        },
    )
    assert result.value == pytest.approx(4.7, abs=0.05)
    assert result.category == "low" and result.category_zh == "低危"
    assert result.warnings == ()


def test_china_par_accepts_either_cholesterol_unit() -> None:
    mg = calculate("china_par", {**PAPER_PROFILE, "age_years": 55, "sex": "M"})
    mmol_profile = {k: v for k, v in PAPER_PROFILE.items() if not k.endswith("_mg_dl")}
    mmol = calculate(
        "china_par",
        {
            **mmol_profile,
            "total_cholesterol_mmol_l": 210 / 38.67,
            "hdl_c_mmol_l": 55 / 38.67,
            "age_years": 55,
            "sex": "M",
        },
    )
    assert mmol.value == pytest.approx(mg.value, rel=1e-12)


def test_china_par_women_have_no_urban_or_family_history_terms() -> None:
    base = {**PAPER_PROFILE, "age_years": 55, "sex": "F"}
    rural = {**base, "urban": False, "family_history_ascvd": True}
    assert calculate("china_par", rural).value == calculate("china_par", base).value
    men = {**base, "sex": "M"}
    assert calculate("china_par", {**men, "family_history_ascvd": True}).value > (
        calculate("china_par", men).value
    )


def test_china_par_smoking_and_treated_sbp_use_their_own_terms() -> None:
    base = {**PAPER_PROFILE, "age_years": 50, "sex": "M"}
    smoker = calculate("china_par", {**base, "smoker": True}).details
    assert smoker["smoker"] == 3.955
    assert smoker["ln_age_x_smoker"] == pytest.approx(-0.939 * math.log(50))
    treated = calculate("china_par", {**base, "bp_treated": True}).details
    assert treated["ln_sbp"] == pytest.approx(27.388 * math.log(130))
    assert treated["ln_age_x_ln_sbp"] == pytest.approx(-6.018 * math.log(50) * math.log(130))


@pytest.mark.parametrize(
    ("age", "warned"), [(20, True), (34, True), (35, False), (74, False), (75, True)]
)
def test_china_par_warns_outside_35_to_74(age: int, warned: bool) -> None:
    result = calculate("china_par", {**PAPER_PROFILE, "age_years": age, "sex": "F"})
    assert [w.field for w in result.warnings] == (["age_years"] if warned else [])


def test_china_par_refuses_below_20_the_official_tools_floor() -> None:
    inputs = {**PAPER_PROFILE, "age_years": 19, "sex": "M"}
    error = assert_refused("china_par", inputs, "age_years", "outside_model")
    assert "20" in error.message_zh and "单位" not in error.message_zh  # no "check the unit"


def test_china_par_needs_region_and_urban() -> None:
    inputs = {**PAPER_PROFILE, "age_years": 50, "sex": "M"}
    del inputs["north"]
    assert_refused("china_par", inputs, "north", "missing")


@pytest.mark.parametrize(
    ("risk", "code"),
    [
        (0.0, "low"),
        (4.999, "low"),
        (5.0, "intermediate"),  # 5.0 %–9.9 % 中危 (2019 guideline)
        (9.999, "intermediate"),
        (10.0, "high"),
        (60.0, "high"),
    ],
)
def test_china_par_category_boundaries(risk: float, code: str) -> None:
    assert_both_paths(china_par_category, risk, expected=code)


# --- Pooled Cohort Equations (Goff DC Jr et al., 2013 ACC/AHA guideline) ----------------------

# The guideline's worked example: 55 y, TC 213 mg/dL, HDL-C 50, untreated SBP 120, non-smoker,
# no diabetes. Its sums are truncated to two decimals, so its white-men 5.3 % is 5.38 % exactly;
# tolerance ±0.1 (±0.15 for white men), clinical-references.md §2.
PCE_EXAMPLE: dict[str, Any] = {
    "age_years": 55,
    "total_cholesterol_mg_dl": 213,
    "hdl_c_mg_dl": 50,
    "sbp_mmhg": 120,
    "bp_treated": False,
    "smoker": False,
    "diabetes": False,
}


@pytest.mark.parametrize(
    ("sex", "race", "guideline_sum", "guideline_risk", "tolerance", "equation"),
    [
        ("F", "white", -29.67, 2.1, 0.1, "white_female"),
        ("F", "african_american", 86.16, 3.0, 0.1, "african_american_female"),
        ("M", "white", 60.69, 5.3, 0.15, "white_male"),
        ("M", "african_american", 18.97, 6.1, 0.1, "african_american_male"),
    ],
)
def test_pce_guideline_example_four_groups(
    sex: str,
    race: str,
    guideline_sum: float,
    guideline_risk: float,
    tolerance: float,
    equation: str,
) -> None:
    result = calculate("pce", {**PCE_EXAMPLE, "sex": sex, "race": race})
    assert result.value == pytest.approx(guideline_risk, abs=tolerance)
    assert result.details["sum"] == pytest.approx(guideline_sum, abs=0.02)
    assert result.details["equation"] == equation
    assert result.warnings == ()


def test_pce_white_men_exact_arithmetic_is_5_38() -> None:
    result = calculate("pce", {**PCE_EXAMPLE, "sex": "M", "race": "white"})
    assert result.value == pytest.approx(5.38, abs=0.005)
    assert result.category == "borderline"


@pytest.mark.parametrize("sex", ["M", "F"])
def test_pce_other_race_uses_the_white_equations_and_is_the_default(sex: str) -> None:
    white = calculate("pce", {**PCE_EXAMPLE, "sex": sex, "race": "white"})
    other = calculate("pce", {**PCE_EXAMPLE, "sex": sex, "race": "other"})
    default = calculate("pce", {**PCE_EXAMPLE, "sex": sex})
    assert white.value == other.value == default.value


def test_pce_uses_the_spreadsheet_constants() -> None:
    details = calculate("pce", {**PCE_EXAMPLE, "sex": "F", "race": "african_american"}).details
    assert (details["mean"], details["baseline_survival"]) == (86.6081, 0.95334)
    assert details["ln_age"] == pytest.approx(17.1141 * math.log(55))
    treated = calculate(
        "pce", {**PCE_EXAMPLE, "sex": "F", "race": "african_american", "bp_treated": True}
    ).details
    assert treated["ln_age_x_ln_sbp"] == pytest.approx(-6.4321 * math.log(55) * math.log(120))


@pytest.mark.parametrize(
    ("sex", "race", "treated_sbp", "smoker"),
    [
        ("F", "white", 2.019, 7.574 - 1.665 * math.log(60)),
        ("F", "african_american", 29.2907 - 6.4321 * math.log(60), 0.6908),
        ("M", "white", 1.797, 7.837 - 1.795 * math.log(60)),
        ("M", "african_american", 1.916, 0.549),
    ],
)
def test_pce_treated_sbp_and_smoking_coefficients_of_each_group(
    sex: str, race: str, treated_sbp: float, smoker: float
) -> None:
    # Table A: treated SBP and smoking (with their age interactions) at age 60, SBP 140.
    inputs = {**PCE_EXAMPLE, "age_years": 60, "sbp_mmhg": 140, "sex": sex, "race": race}
    details = calculate("pce", {**inputs, "bp_treated": True, "smoker": True}).details
    sbp = details["ln_sbp"] + details["ln_age_x_ln_sbp"]
    assert sbp == pytest.approx(treated_sbp * math.log(140))
    assert details["smoker"] + details["ln_age_x_smoker"] == pytest.approx(smoker)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"age_years": 39}, "age_years"),
        ({"age_years": 80}, "age_years"),
        ({"total_cholesterol_mg_dl": 129}, "total_cholesterol_mmol_l"),
        ({"total_cholesterol_mg_dl": 321}, "total_cholesterol_mmol_l"),
        ({"hdl_c_mg_dl": 19}, "hdl_c_mmol_l"),
        ({"hdl_c_mg_dl": 101}, "hdl_c_mmol_l"),
        ({"sbp_mmhg": 89}, "sbp_mmhg"),
        ({"sbp_mmhg": 201}, "sbp_mmhg"),
    ],
)
def test_pce_warns_outside_its_valid_ranges(change: dict[str, Any], field: str) -> None:
    result = calculate("pce", {**PCE_EXAMPLE, "sex": "M", **change})
    assert [(w.field, w.code) for w in result.warnings] == [(field, "outside_validated_range")]


@pytest.mark.parametrize(
    "change",
    [
        {"age_years": 40},
        {"age_years": 79},
        {"total_cholesterol_mg_dl": 130},
        {"total_cholesterol_mg_dl": 320},
        {"hdl_c_mg_dl": 20},
        {"hdl_c_mg_dl": 100},
        {"sbp_mmhg": 90},
        {"sbp_mmhg": 200},
    ],
)
def test_pce_range_ends_in_mg_dl_are_inside(change: dict[str, Any]) -> None:
    assert calculate("pce", {**PCE_EXAMPLE, "sex": "F", **change}).warnings == ()


def test_pce_refuses_an_unknown_race() -> None:
    assert_refused("pce", {**PCE_EXAMPLE, "sex": "M", "race": "asian"}, "race", "choice")


@pytest.mark.parametrize(
    ("risk", "code"),
    [
        (4.999, "low"),
        (5.0, "borderline"),
        (7.499, "borderline"),
        (7.5, "intermediate"),
        (19.999, "intermediate"),
        (20.0, "high"),
    ],
)
def test_pce_category_boundaries(risk: float, code: str) -> None:
    assert_both_paths(pce_category, risk, expected=code)


# --- Framingham 2008 general CVD (D'Agostino RB Sr et al., Circulation 2008) ------------------


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        # Man 55, TC 213, HDL 50, SBP 140 untreated, non-smoker, no diabetes.
        (
            {"age_years": 55, "sex": "M", "total_cholesterol_mg_dl": 213, "hdl_c_mg_dl": 50}
            | {"sbp_mmhg": 140, "bp_treated": False, "smoker": False, "diabetes": False},
            13.53,
        ),
        # The paper's woman: 61, TC 180, HDL 47, SBP 124 untreated, smoker (points: 10.0 %).
        (
            {"age_years": 61, "sex": "F", "total_cholesterol_mg_dl": 180, "hdl_c_mg_dl": 47}
            | {"sbp_mmhg": 124, "bp_treated": False, "smoker": True, "diabetes": False},
            10.48,
        ),
        # The paper's man: 53, TC 161, HDL 55, SBP 125 treated, diabetic (points: 15.6 %).
        (
            {"age_years": 53, "sex": "M", "total_cholesterol_mg_dl": 161, "hdl_c_mg_dl": 55}
            | {"sbp_mmhg": 125, "bp_treated": True, "smoker": False, "diabetes": True},
            15.62,
        ),
    ],
)
def test_framingham_2008_worked_examples(inputs: dict[str, Any], expected: float) -> None:
    result = calculate("framingham_2008", inputs)
    assert result.value == pytest.approx(expected, abs=0.005)
    assert result.category == ("intermediate" if expected >= 10 else "low")


def test_framingham_uses_exactly_one_sbp_coefficient() -> None:
    base = {"age_years": 53, "sex": "M", "total_cholesterol_mg_dl": 161, "hdl_c_mg_dl": 55}
    treated = calculate("framingham_2008", {**base, "sbp_mmhg": 125, "bp_treated": True})
    untreated = calculate("framingham_2008", {**base, "sbp_mmhg": 125})
    assert treated.details["ln_sbp"] == pytest.approx(1.99881 * math.log(125))
    assert untreated.details["ln_sbp"] == pytest.approx(1.93303 * math.log(125))
    assert (treated.details["mean"], treated.details["baseline_survival"]) == (23.9802, 0.88936)


@pytest.mark.parametrize(("age", "warned"), [(29, True), (30, False), (74, False), (75, True)])
def test_framingham_warns_outside_30_to_74(age: int, warned: bool) -> None:
    inputs = {"age_years": age, "sex": "F", "total_cholesterol_mmol_l": 5, "hdl_c_mmol_l": 1.3}
    result = calculate("framingham_2008", {**inputs, "sbp_mmhg": 125})
    assert [w.field for w in result.warnings] == (["age_years"] if warned else [])


@pytest.mark.parametrize(
    ("risk", "code"),
    [(9.999, "low"), (10.0, "intermediate"), (19.999, "intermediate"), (20.0, "high")],
)
def test_framingham_category_boundaries(risk: float, code: str) -> None:
    assert_both_paths(framingham_category, risk, expected=code)


# --- refusals, shared by the three models -----------------------------------------------------

VALID: dict[str, dict[str, Any]] = {
    "china_par": {**PAPER_PROFILE, "age_years": 50, "sex": "M"},
    "pce": {**PCE_EXAMPLE, "sex": "M"},
    "framingham_2008": {**PCE_EXAMPLE, "sex": "M"},
}


@pytest.mark.parametrize("model", sorted(VALID))
@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"age_years": -5}, "age_years", "impossible"),
        ({"sbp_mmhg": 20}, "sbp_mmhg", "impossible"),
        ({"sex": None}, "sex", "missing"),
        ({"sex": "X"}, "sex", "sex"),
        ({"age_years": 50.5}, "age_years", "not_an_integer"),
        ({"smoker": "maybe"}, "smoker", "boolean"),
        ({"blood_pressure": 120}, "blood_pressure", "unknown_input"),
    ],
)
def test_bad_inputs_are_refused_naming_the_input(
    model: str, change: dict[str, Any], field: str, code: str
) -> None:
    assert_refused(model, {**VALID[model], **change}, field, code)


@pytest.mark.parametrize("model", sorted(VALID))
def test_cholesterol_in_mg_dl_typed_as_mmol_l_is_refused(model: str) -> None:
    inputs = {k: v for k, v in VALID[model].items() if not k.endswith("_mg_dl")}
    inputs = {**inputs, "total_cholesterol_mmol_l": 210, "hdl_c_mmol_l": 1.3}
    error = assert_refused(model, inputs, "total_cholesterol_mmol_l", "impossible")
    assert "单位" in error.message_zh and "unit" in error.message_en


@pytest.mark.parametrize("model", sorted(VALID))
def test_both_cholesterol_units_at_once_are_refused(model: str) -> None:
    inputs = {**VALID[model], "total_cholesterol_mmol_l": 5.5}
    assert_refused(model, inputs, "total_cholesterol_mmol_l", "given_twice")


# --- explanations and details -----------------------------------------------------------------


@pytest.mark.parametrize("model", sorted(VALID))
def test_explanations_name_value_category_and_drivers(model: str) -> None:
    inputs = {**VALID[model], "smoker": True, "sbp_mmhg": 160}
    result = calculate(model, inputs)
    value = f"{result.value:.1f}"
    assert value in result.explanation_zh and value in result.explanation_en
    assert result.category_zh in result.explanation_zh
    assert result.category_en in result.explanation_en
    assert "吸烟" in result.explanation_zh and "smoking" in result.explanation_en
    assert "160 mmHg" in result.explanation_zh and "160 mmHg" in result.explanation_en
    assert {"sum", "mean", "baseline_survival"} <= set(result.details)


def test_drivers_are_ordered_and_only_those_that_lower_the_risk() -> None:
    # China-PAR men: a smaller waist raises the published risk (negative coefficient), so waist
    # is never named as a driver for men; smoking outweighs a slightly high SBP.
    inputs = {**PAPER_PROFILE, "age_years": 50, "sex": "M", "waist_cm": 100, "smoker": True}
    result = calculate("china_par", {**inputs, "sbp_mmhg": 125})
    assert "腰围" not in result.explanation_zh and "waist" not in result.explanation_en
    assert result.explanation_en.index("smoking") < result.explanation_en.index("systolic")
    women = calculate("china_par", {**inputs, "sex": "F"})
    assert "腰围 100 cm" in women.explanation_zh


def test_no_driver_is_said_plainly() -> None:
    inputs = {**PCE_EXAMPLE, "sex": "F", "sbp_mmhg": 110, "total_cholesterol_mg_dl": 170}
    result = calculate("pce", inputs)
    assert "No modifiable factor stands out" in result.explanation_en


@pytest.mark.parametrize(
    ("value", "thresholds", "text"),
    [
        (9.96, (5.0, 10.0), "9.9"),
        (10.0, (5.0, 10.0), "10.0"),
        (4.96, (5.0, 10.0), "4.9"),
        (7.46, (5.0, 7.5, 20.0), "7.4"),
        (4.72, (5.0, 10.0), "4.7"),
        (12.34, (5.0, 10.0), "12.3"),
    ],
)
def test_the_shown_value_never_sits_on_a_threshold_it_is_below(
    value: float, thresholds: tuple[float, ...], text: str
) -> None:
    assert shown(value, thresholds) == text


# --- one formula, two paths -------------------------------------------------------------------


def _population(model: str, pop: Population) -> dict[str, np.ndarray]:
    age_low, age_high = {"china_par": (15, 80), "pce": (35, 85), "framingham_2008": (25, 80)}[model]
    columns: dict[str, np.ndarray] = {
        "age_years": pop.integers(age_low, age_high),
        "sex": pop.sex(),
        "sbp_mmhg": pop.uniform(85, 210),
        "bp_treated": pop.flags(0.3),
        "smoker": pop.flags(0.3),
        "diabetes": pop.flags(0.15),
    }
    if model == "pce":
        tc = pop.uniform(120, 330)
        hdl = pop.uniform(18, 105)
        tc[:4] = [130, 320, 129.99, 320.01]
        hdl[:4] = [20, 100, 19.99, 100.01]
        columns["total_cholesterol_mg_dl"] = tc
        columns["hdl_c_mg_dl"] = hdl
        columns["race"] = pop.choice(["white", "african_american", "other"])
        columns["age_years"][:4] = [40, 79, 39, 80]
    else:
        columns["total_cholesterol_mmol_l"] = pop.uniform(2.5, 9)
        columns["hdl_c_mmol_l"] = pop.uniform(0.5, 2.6)
    if model == "china_par":
        columns["waist_cm"] = pop.uniform(60, 120)
        columns["north"] = pop.flags(0.5)
        columns["urban"] = pop.flags(0.5)
        columns["family_history_ascvd"] = pop.flags(0.2)
        columns["age_years"][:6] = [19, 20, 34, 35, 74, 75]
    if model == "framingham_2008":
        columns["age_years"][:4] = [29, 30, 74, 75]
    columns["sbp_mmhg"][4:8] = [90, 200, 20, 400]  # the last two are impossible: refused
    return columns


@pytest.mark.parametrize("model", ["china_par", "pce", "framingham_2008"])
def test_calculate_many_agrees_with_calculate_row_by_row(model: str) -> None:
    many = assert_paths_agree(model, _population(model, Population(20240601, 3000)))
    assert many.refused.sum() >= 2
