"""Kidney models (clinical-references.md §6): CKD-EPI 2021 race-free creatinine eGFR (Inker,
NEJM 2021) with KDIGO GFR categories, KDIGO 2012 albuminuria categories, and the KDIGO heat map
that combines them."""

from __future__ import annotations

from typing import Any

import pytest

from jianguan.clinical import calculate
from jianguan.clinical.models.kidney import g_category, risk_category

from .helpers import Population, assert_both_paths, assert_paths_agree, assert_refused, outcomes


def egfr(**inputs: Any) -> Any:
    return calculate("ckd_epi_2021", inputs)


# --- CKD-EPI 2021 ---------------------------------------------------------------------------------


def test_kidney_org_calculator_example_male_55_scr_1_2() -> None:
    # NKF (kidney.org) calculator value quoted by a public repository's test: 71.
    result = egfr(creatinine_mg_dl=1.2, age_years=55, sex="M")
    assert round(result.value) == 71
    assert result.category == "g2"


def test_public_test_vector_male_50_scr_1_1() -> None:
    # A public TypeScript implementation's test: 82.
    assert round(egfr(creatinine_mg_dl=1.1, age_years=50, sex="M").value) == 82


def test_female_above_kappa_computed_by_hand() -> None:
    # Woman, 60 y, Scr 0.8 mg/dL: κ 0.7, Scr/κ = 1.142857 > 1, so the min term is 1 and
    # max term = 1.142857^−1.200 = 0.851941; 0.9938^60 = 0.688556; female 1.012:
    # 142 × 0.851941 × 0.688556 × 1.012 = 84.298 mL/min/1.73 m².
    assert egfr(creatinine_mg_dl=0.8, age_years=60, sex="F").value == pytest.approx(
        84.298, abs=0.001
    )


def test_female_below_kappa_computed_by_hand() -> None:
    # Woman, 40 y, Scr 0.6 mg/dL: Scr/κ = 0.857143 < 1, min term 0.857143^−0.241 = 1.037849,
    # max term 1; 0.9938^40 = 0.779758: 142 × 1.037849 × 0.779758 × 1.012 = 116.295.
    assert egfr(creatinine_mg_dl=0.6, age_years=40, sex="F").value == pytest.approx(
        116.295, abs=0.001
    )


def test_published_worked_example_female_55_scr_0_9() -> None:
    # creatinineclearancecalculator.net's worked CKD-EPI 2021 example says "about 76", from
    # rounded intermediates (1.29^−1.2 ≈ 0.745, 0.9938^55 ≈ 0.711); unrounded it is 75.499.
    value = egfr(creatinine_mg_dl=0.9, age_years=55, sex="F").value
    assert abs(value - 76) < 1 and value == pytest.approx(75.499, abs=1e-3)


def test_micromoles_and_milligrams_agree() -> None:
    # Chinese labs report µmol/L; the equation takes mg/dL = µmol/L ÷ 88.4.
    a = egfr(creatinine_umol_l=106.08, age_years=55, sex="M").value
    b = egfr(creatinine_mg_dl=1.2, age_years=55, sex="M").value
    assert a == pytest.approx(b, rel=1e-12)


def test_the_2009_equation_is_not_used() -> None:
    # CKD-EPI 2009 (141, 0.993, −0.411, no 1.012) gives 67.7 for this man; 2021 gives 71.4.
    assert egfr(creatinine_mg_dl=1.2, age_years=55, sex="M").value == pytest.approx(
        71.418, abs=1e-3
    )


@pytest.mark.parametrize(
    ("value", "category"),
    [
        (120.0, "g1"),
        (90.0, "g1"),
        (89.99, "g2"),
        (60.0, "g2"),
        (59.99, "g3a"),
        (45.0, "g3a"),
        (44.99, "g3b"),
        (30.0, "g3b"),
        (29.99, "g4"),
        (15.0, "g4"),
        (14.99, "g5"),
        (5.0, "g5"),
    ],
)
def test_kdigo_gfr_categories_are_half_open(value: float, category: str) -> None:
    # KDIGO 2012 Table 5: G1 ≥ 90, G2 60–89, G3a 45–59, G3b 30–44, G4 15–29, G5 < 15.
    assert_both_paths(g_category, value, expected=category)


def test_high_creatinine_reaches_g5() -> None:
    result = egfr(creatinine_umol_l=800, age_years=60, sex="M")
    assert result.value < 15 and result.category == "g5"


@pytest.mark.parametrize(
    ("inputs", "field", "code"),
    [
        ({"creatinine_umol_l": 80, "age_years": 17, "sex": "M"}, "age_years", "outside_model"),
        ({"creatinine_umol_l": 80, "age_years": -1, "sex": "M"}, "age_years", "impossible"),
        (
            {"creatinine_umol_l": 1.2, "age_years": 55, "sex": "M"},
            "creatinine_umol_l",
            "impossible",
        ),
        ({"creatinine_mg_dl": 106, "age_years": 55, "sex": "M"}, "creatinine_mg_dl", "impossible"),
        ({"creatinine_umol_l": 80, "age_years": 55}, "sex", "missing"),
        ({"age_years": 55, "sex": "F"}, "creatinine_umol_l", "missing"),
        (
            {"creatinine_umol_l": 80, "creatinine_mg_dl": 0.9, "age_years": 55, "sex": "F"},
            "creatinine_umol_l",
            "given_twice",
        ),
        (
            {"creatinine_umol_l": 80, "age_years": 55, "sex": "F", "race": "black"},
            "race",
            "unknown_input",
        ),
    ],
)
def test_ckd_epi_refusals_name_the_input(inputs: dict[str, Any], field: str, code: str) -> None:
    assert_refused("ckd_epi_2021", inputs, field, code)


def test_ckd_epi_explanation_carries_value_and_category() -> None:
    result = egfr(creatinine_umol_l=106.08, age_years=55, sex="M")
    assert "71.4" in result.explanation_zh and "G2 轻度下降" in result.explanation_zh
    assert "71.4" in result.explanation_en and "G2 mildly decreased" in result.explanation_en
    low = egfr(creatinine_umol_l=180, age_years=70, sex="F")
    assert low.category in ("g3b", "g4") and "3 个月" in low.explanation_zh


def adults(pop: Population, creatinine_median: float, sigma: float) -> dict[str, Any]:
    """Creatinine (log-normal around the median), age 18–94 and sex: the CKD-EPI inputs."""
    return {
        "creatinine_umol_l": pop.lognormal(creatinine_median, sigma, decimals=1),
        "age_years": pop.integers(18, 94),
        "sex": pop.sex(),
    }


def test_ckd_epi_population_agrees_with_single_runs() -> None:
    columns = adults(Population(2021, 3000), 85, 0.5)
    # Scr exactly at κ (0.7 and 0.9 mg/dL), and refused rows: a child, an impossible value.
    columns["creatinine_umol_l"][:4] = [0.7 * 88.4, 0.9 * 88.4, 61.88, 79.56]
    columns["age_years"][4] = 12
    columns["creatinine_umol_l"][5] = 1.1
    population = assert_paths_agree("ckd_epi_2021", columns)
    assert population.refused[4] and population.refused[5]


# --- Albuminuria ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inputs", "category"),
    [
        ({"acr_mg_g": 0}, "a1"),
        ({"acr_mg_g": 29.9}, "a1"),
        ({"acr_mg_g": 30}, "a2"),
        ({"acr_mg_g": 300}, "a2"),
        ({"acr_mg_g": 300.1}, "a3"),
        ({"acr_mg_mmol": 2.99}, "a1"),
        ({"acr_mg_mmol": 3}, "a2"),  # KDIGO 2012 Table 6: 3 mg/mmol is A2's lower limit
        ({"acr_mg_mmol": 30}, "a2"),
        ({"acr_mg_mmol": 30.01}, "a3"),  # A3 > 30 mg/mmol
    ],
)
def test_kdigo_albuminuria_limits_in_each_unit(inputs: dict[str, float], category: str) -> None:
    assert calculate("kdigo_albuminuria", inputs).category == category


def test_mg_per_mmol_is_reported_in_mg_per_g_with_the_exact_factor() -> None:
    result = calculate("kdigo_albuminuria", {"acr_mg_mmol": 3})
    assert result.value == pytest.approx(26.52)  # 3 × 8.84
    assert result.category == "a2"  # classified by the mg/mmol limits KDIGO prints
    assert calculate("kdigo_albuminuria", {"acr_mg_g": 26.52}).category == "a1"
    assert result.details["classified_in"] == "mg/mmol"


@pytest.mark.parametrize(
    ("inputs", "field", "code"),
    [
        ({}, "acr_mg_g", "missing"),
        ({"acr_mg_g": 40, "acr_mg_mmol": 4.5}, "acr_mg_g", "given_twice"),
        ({"acr_mg_g": -3}, "acr_mg_g", "impossible"),
        ({"acr_mg_g": "high"}, "acr_mg_g", "not_a_number"),
        ({"acr_mg_l": 40}, "acr_mg_l", "unknown_input"),
    ],
)
def test_albuminuria_refusals_name_the_input(inputs: dict[str, Any], field: str, code: str) -> None:
    assert_refused("kdigo_albuminuria", inputs, field, code)


def test_albuminuria_explanation_carries_value_and_category() -> None:
    result = calculate("kdigo_albuminuria", {"acr_mg_mmol": 3})
    assert "3 mg/mmol" in result.explanation_zh and "26.5 mg/g" in result.explanation_zh
    assert "A2 中度增加" in result.explanation_zh
    assert "26.5 mg/g" in result.explanation_en and "A2 moderately" in result.explanation_en


@pytest.mark.parametrize(("key", "high"), [("acr_mg_g", 5000.0), ("acr_mg_mmol", 600.0)])
def test_albuminuria_population_agrees_with_single_runs(key: str, high: float) -> None:
    values = Population(2012, 2000).uniform(0, high, decimals=2)
    edges = [30, 300, 29.99, 300.01] if key == "acr_mg_g" else [3, 30, 2.99, 30.01]
    values[:4] = edges
    values[4] = -1  # impossible: refused
    population = assert_paths_agree("kdigo_albuminuria", {key: values})
    assert population.refused[4]


# --- CKD risk: GFR × albuminuria ------------------------------------------------------------------

# KDIGO 2012 Figure 9 (unchanged in KDIGO 2024), read row by row: A1, A2, A3.
HEAT_MAP = {
    "g1": ("low", "moderately_increased", "high"),
    "g2": ("low", "moderately_increased", "high"),
    "g3a": ("moderately_increased", "high", "very_high"),
    "g3b": ("high", "very_high", "very_high"),
    "g4": ("very_high", "very_high", "very_high"),
    "g5": ("very_high", "very_high", "very_high"),
}


@pytest.mark.parametrize(
    ("g", "a", "risk"),
    [
        (g, a, risk)
        for g, row in HEAT_MAP.items()
        for a, risk in zip(("a1", "a2", "a3"), row, strict=True)
    ],
)
def test_every_cell_of_the_kdigo_heat_map(g: str, a: str, risk: str) -> None:
    assert_both_paths(risk_category, g, a, expected=risk)


def test_ckd_stage_combines_egfr_and_acr() -> None:
    result = calculate(
        "ckd_stage", {"creatinine_umol_l": 150, "age_years": 70, "sex": "F", "acr_mg_g": 45}
    )
    alone = egfr(creatinine_umol_l=150, age_years=70, sex="F")
    assert result.value == pytest.approx(alone.value, rel=1e-12)
    assert (result.details["g_category"], result.details["a_category"]) == (alone.category, "a2")
    assert result.category == HEAT_MAP[alone.category][1]
    assert "G3b" in result.explanation_zh or "G4" in result.explanation_zh
    assert "极高风险" in result.explanation_zh and "very high risk" in result.explanation_en
    shown = f"{result.value:.1f}"
    assert shown in result.explanation_zh and shown in result.explanation_en


def test_ckd_stage_g1_a1_is_low_and_says_it_is_not_ckd_by_itself() -> None:
    result = calculate(
        "ckd_stage", {"creatinine_mg_dl": 0.8, "age_years": 30, "sex": "M", "acr_mg_mmol": 1}
    )
    assert result.category == "low"
    assert "不属于慢性肾脏病" in result.category_zh and "no CKD" in result.category_en


@pytest.mark.parametrize(
    ("inputs", "field", "code"),
    [
        ({"creatinine_umol_l": 80, "age_years": 50, "sex": "M"}, "acr_mg_g", "missing"),
        (
            {"creatinine_umol_l": 80, "age_years": 16, "sex": "M", "acr_mg_g": 10},
            "age_years",
            "outside_model",
        ),
        (
            {
                "creatinine_umol_l": 80,
                "age_years": 50,
                "sex": "M",
                "acr_mg_g": 10,
                "acr_mg_mmol": 1,
            },
            "acr_mg_g",
            "given_twice",
        ),
    ],
)
def test_ckd_stage_refusals_name_the_input(inputs: dict[str, Any], field: str, code: str) -> None:
    assert_refused("ckd_stage", inputs, field, code)


def test_ckd_stage_population_agrees_with_single_runs() -> None:
    pop = Population(9, 3000)
    columns = adults(pop, 100, 0.7)
    columns["acr_mg_mmol"] = pop.lognormal(5, 1.5, decimals=2)
    columns["acr_mg_mmol"][:3] = [3, 30, 30.01]
    columns["age_years"][3] = 10  # refused
    population = assert_paths_agree("ckd_stage", columns)
    assert population.refused[3]
    seen = set(outcomes(population)) - {"refused"}
    assert seen == {"low", "moderately_increased", "high", "very_high"}
