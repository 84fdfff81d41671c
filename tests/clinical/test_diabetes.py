"""Diabetes models (clinical-references.md §4, §5, §7.3): the Chinese Diabetes Risk Score
(Zhou 2013; 中国2型糖尿病防治指南 2020), FINDRISC (Lindström & Tuomilehto 2003, eight-question
form) and the glycaemic categories of the Chinese 2020 guideline."""

from __future__ import annotations

from typing import Any

import pytest

from jianguan.clinical import calculate

from .helpers import Population, assert_paths_agree, assert_refused, refusal

# --- Chinese Diabetes Risk Score ------------------------------------------------------------------

# Every item at 0 points: a woman of 20 with waist 60 cm, BMI 20, SBP 100, no family history.
CDRS_ZERO: dict[str, Any] = {
    "age_years": 20,
    "sex": "F",
    "waist_cm": 60,
    "bmi_kg_m2": 20,
    "sbp_mmhg": 100,
    "family_history_diabetes": False,
}


def cdrs(**changes: Any) -> Any:
    return calculate("cdrs", {**CDRS_ZERO, **changes})


def test_cdrs_maximum_is_the_published_51_and_minimum_0() -> None:
    # Zhou 2013 abstract: "The score ranges from 0 to 51" (18 + 5 + 10 + 10 + 6 + 2).
    top = cdrs(
        age_years=65,
        sex="M",
        waist_cm=95,
        bmi_kg_m2=30,
        sbp_mmhg=160,
        family_history_diabetes=True,
    )
    assert top.value == 51 and top.category == "ogtt_recommended"
    assert cdrs().value == 0 and cdrs().category == "low"


def test_cdrs_guideline_table_example() -> None:
    # Guideline table: man 55 (15), BMI 26 (3), waist 92 (8), SBP 135 (6), family history (6),
    # male (2) = 40.
    result = cdrs(
        age_years=55,
        sex="M",
        waist_cm=92,
        bmi_kg_m2=26,
        sbp_mmhg=135,
        family_history_diabetes=True,
    )
    assert result.value == 40
    assert {k: result.details[k] for k in ("age_points", "waist_points", "sbp_points")} == {
        "age_points": 15,
        "waist_points": 8,
        "sbp_points": 6,
    }


@pytest.mark.parametrize(
    ("age", "points"),
    [
        (20, 0),
        (24, 0),
        (25, 4),
        (34, 4),
        (35, 8),
        (39, 8),
        (40, 11),
        (44, 11),
        (45, 12),
        (49, 12),
        (50, 13),
        (54, 13),
        (55, 15),
        (59, 15),
        (60, 16),
        (64, 16),
        (65, 18),
        (74, 18),
    ],
)
def test_cdrs_age_bands(age: int, points: int) -> None:
    assert cdrs(age_years=age).details["age_points"] == points


@pytest.mark.parametrize(
    ("bmi", "points"), [(21.99, 0), (22.0, 1), (23.95, 1), (24.0, 3), (29.99, 3), (30.0, 5)]
)
def test_cdrs_bmi_bands_are_half_open(bmi: float, points: int) -> None:
    assert cdrs(bmi_kg_m2=bmi).details["bmi_points"] == points


@pytest.mark.parametrize(
    ("sex", "waist", "points"),
    [
        ("M", 74.9, 0),
        ("M", 75, 3),
        ("M", 79.95, 3),
        ("M", 80, 5),
        ("M", 85, 7),
        ("M", 90, 8),
        ("M", 94.9, 8),
        ("M", 95, 10),
        ("F", 69.9, 0),
        ("F", 70, 3),
        ("F", 75, 5),
        ("F", 80, 7),
        ("F", 85, 8),
        ("F", 89.9, 8),
        ("F", 90, 10),
    ],
)
def test_cdrs_waist_bands_by_sex(sex: str, waist: float, points: int) -> None:
    assert cdrs(sex=sex, waist_cm=waist).details["waist_points"] == points


@pytest.mark.parametrize(
    ("sbp", "points"),
    [(109, 0), (110, 1), (119.5, 1), (120, 3), (130, 6), (140, 7), (150, 8), (159, 8), (160, 10)],
)
def test_cdrs_sbp_bands(sbp: float, points: int) -> None:
    assert cdrs(sbp_mmhg=sbp).details["sbp_points"] == points


def test_cdrs_cutoff_25_recommends_ogtt_24_does_not() -> None:
    # 18 (age 65) + 2 (male) + 1 (BMI 22) + 3 (SBP 120) = 24; 18 + 2 + 5 (BMI 30) = 25.
    below = cdrs(age_years=65, sex="M", bmi_kg_m2=22, sbp_mmhg=120)
    at = cdrs(age_years=65, sex="M", bmi_kg_m2=30)
    assert (below.value, below.category) == (24, "low")
    assert (at.value, at.category) == (25, "ogtt_recommended")


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"age_years": 19}, "age_years", "outside_model"),
        ({"age_years": 75}, "age_years", "outside_model"),
        ({"age_years": -1}, "age_years", "impossible"),
        ({"sbp_mmhg": 20}, "sbp_mmhg", "impossible"),
        ({"waist_cm": 0.9}, "waist_cm", "impossible"),  # metres typed as centimetres
        ({"sex": None}, "sex", "missing"),
        ({"family_history_diabetes": "maybe"}, "family_history_diabetes", "boolean"),
        ({"diagnosed_diabetes": True}, "diagnosed_diabetes", "outside_model"),
        ({"height_cm": 170}, "height_cm", "unknown_input"),
    ],
)
def test_cdrs_refusals_name_the_input(changes: dict[str, Any], field: str, code: str) -> None:
    assert_refused("cdrs", {**CDRS_ZERO, **changes}, field, code)


def test_cdrs_refusal_says_where_it_applies() -> None:
    assert "20–74" in refusal("cdrs", {**CDRS_ZERO, "age_years": 80}).message_zh
    assert "已确诊" in refusal("cdrs", {**CDRS_ZERO, "diagnosed_diabetes": True}).message_zh


def test_cdrs_explanation_carries_value_and_category() -> None:
    result = cdrs(age_years=65, sex="M", bmi_kg_m2=30)
    assert "25" in result.explanation_zh and "建议做 OGTT" in result.explanation_zh
    assert "25" in result.explanation_en and "OGTT recommended" in result.explanation_en
    low = cdrs()
    assert "0 分" in low.explanation_zh and "低于筛查切点" in low.explanation_zh
    assert "0 of 51" in low.explanation_en and "below the screening cut-off" in low.explanation_en


def test_cdrs_population_agrees_with_single_runs() -> None:
    pop = Population(20130, 3000)
    age = pop.integers(20, 74)
    sex = pop.sex()
    waist = pop.uniform(55, 115, decimals=1)
    bmi = pop.uniform(16, 38, decimals=2)
    sbp = pop.integers(90, 189).astype(float)
    family = pop.flags(0.3)
    diagnosed = pop.flags(0.02)
    # boundary values on purpose
    waist[:12] = [70, 75, 80, 85, 90, 95, 69.9, 74.9, 79.9, 84.9, 89.9, 94.9]
    bmi[12:18] = [22, 24, 30, 21.99, 23.99, 29.99]
    sbp[18:25] = [110, 120, 130, 140, 150, 160, 109]
    age[25:30] = [19, 75, 24, 25, 74]  # 19 and 75 are refused
    columns = {
        "age_years": age,
        "sex": sex,
        "waist_cm": waist,
        "bmi_kg_m2": bmi,
        "sbp_mmhg": sbp,
        "family_history_diabetes": family,
        "diagnosed_diabetes": diagnosed,
    }
    population = assert_paths_agree("cdrs", columns)
    assert population.refused[25] and population.refused[26]


# --- FINDRISC -------------------------------------------------------------------------------------

FINDRISC_ZERO: dict[str, Any] = {
    "age_years": 40,
    "sex": "F",
    "bmi_kg_m2": 22,
    "waist_cm": 70,
    "active_30min_daily": True,
    "vegetables_daily": True,
    "antihypertensive_ever": False,
    "high_glucose_ever": False,
    "family_diabetes": "none",
}


def findrisc(**changes: Any) -> Any:
    return calculate("findrisc", {**FINDRISC_ZERO, **changes})


def test_findrisc_maximum_26_and_minimum_0() -> None:
    top = findrisc(
        age_years=64 + 1,
        sex="M",
        bmi_kg_m2=31,
        waist_cm=103,
        active_30min_daily=False,
        vegetables_daily=False,
        antihypertensive_ever=True,
        high_glucose_ever=True,
        family_diabetes="first_degree",
    )
    assert top.value == 26 and top.category == "very_high"
    assert findrisc().value == 0 and findrisc().category == "low"


def test_findrisc_public_calculator_example() -> None:
    # induwara.lk FINDRISC calculator's shown example: man 35, BMI 24.2, waist 90 cm, not active,
    # no daily vegetables, no BP drugs, no high glucose, no family history → 3 points, low.
    result = findrisc(
        age_years=35,
        sex="M",
        bmi_kg_m2=24.2,
        waist_cm=90,
        active_30min_daily=False,
        vegetables_daily=False,
    )
    assert (result.value, result.category) == (3, "low")
    assert result.details["approx_10y_risk_percent"] == 1


@pytest.mark.parametrize(("age", "points"), [(44, 0), (45, 2), (54, 2), (55, 3), (64, 3), (65, 4)])
def test_findrisc_age_bands(age: int, points: int) -> None:
    assert findrisc(age_years=age).details["age_points"] == points


@pytest.mark.parametrize(
    ("bmi", "points"), [(24.99, 0), (25.0, 1), (27.5, 1), (30.0, 1), (30.01, 3)]
)
def test_findrisc_bmi_25_to_30_includes_both_ends(bmi: float, points: int) -> None:
    assert findrisc(bmi_kg_m2=bmi).details["bmi_points"] == points


@pytest.mark.parametrize(
    ("sex", "waist", "points"),
    [
        ("M", 93.9, 0),
        ("M", 94, 3),
        ("M", 102, 3),
        ("M", 102.1, 4),
        ("F", 79.9, 0),
        ("F", 80, 3),
        ("F", 88, 3),
        ("F", 88.1, 4),
    ],
)
def test_findrisc_waist_bands_by_sex(sex: str, waist: float, points: int) -> None:
    assert findrisc(sex=sex, waist_cm=waist).details["waist_points"] == points


@pytest.mark.parametrize(
    ("family", "points"), [("none", 0), ("second_degree", 3), ("first_degree", 5)]
)
def test_findrisc_family_history_keeps_second_degree_at_3(family: str, points: int) -> None:
    assert findrisc(family_diabetes=family).value == points


@pytest.mark.parametrize(
    ("changes", "score", "band", "risk"),
    [
        ({"high_glucose_ever": True, "vegetables_daily": False}, 6, "low", 1),
        ({"high_glucose_ever": True, "active_30min_daily": False}, 7, "slightly_elevated", 4),
        (
            {
                "high_glucose_ever": True,
                "active_30min_daily": False,
                "age_years": 45,
                "antihypertensive_ever": True,
            },
            11,
            "slightly_elevated",
            4,
        ),
        (
            {
                "high_glucose_ever": True,
                "active_30min_daily": False,
                "age_years": 45,
                "antihypertensive_ever": True,
                "vegetables_daily": False,
            },
            12,
            "moderate",
            17,
        ),
        (
            {
                "high_glucose_ever": True,
                "family_diabetes": "first_degree",
                "antihypertensive_ever": True,
                "active_30min_daily": False,
            },
            14,
            "moderate",
            17,
        ),
        (
            {
                "high_glucose_ever": True,
                "family_diabetes": "first_degree",
                "antihypertensive_ever": True,
                "active_30min_daily": False,
                "vegetables_daily": False,
            },
            15,
            "high",
            33,
        ),
        (
            {
                "high_glucose_ever": True,
                "family_diabetes": "first_degree",
                "waist_cm": 90,
                "active_30min_daily": False,
                "antihypertensive_ever": True,
                "age_years": 45,
            },
            20,
            "high",
            33,
        ),
        (
            {
                "high_glucose_ever": True,
                "family_diabetes": "first_degree",
                "waist_cm": 90,
                "active_30min_daily": False,
                "antihypertensive_ever": True,
                "age_years": 45,
                "vegetables_daily": False,
            },
            21,
            "very_high",
            50,
        ),
    ],
)
def test_findrisc_bands_at_their_edges(
    changes: dict[str, Any], score: int, band: str, risk: int
) -> None:
    # Bands (Lindström & Tuomilehto, form): < 7 low ~1 %, 7–11 ~4 %, 12–14 ~17 %, 15–20 ~33 %,
    # > 20 ~50 % (10-year risk).
    result = findrisc(**changes)
    assert (result.value, result.category) == (score, band)
    assert result.details["approx_10y_risk_percent"] == risk


def test_findrisc_outside_the_derivation_ages_is_a_warning() -> None:
    result = findrisc(age_years=70)
    assert result.value == 4
    assert [(w.field, w.code) for w in result.warnings] == [
        ("age_years", "outside_validated_range")
    ]
    assert findrisc(age_years=50).warnings == ()


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"family_diabetes": "cousin"}, "family_diabetes", "choice"),
        ({"active_30min_daily": None}, "active_30min_daily", "missing"),
        ({"vegetables_daily": "sometimes"}, "vegetables_daily", "boolean"),
        ({"age_years": -5}, "age_years", "impossible"),
        ({"bmi_kg_m2": 240}, "bmi_kg_m2", "impossible"),
        ({"sex": "X"}, "sex", "sex"),
        ({"fruit_daily": True}, "fruit_daily", "unknown_input"),
    ],
)
def test_findrisc_refusals_name_the_input(changes: dict[str, Any], field: str, code: str) -> None:
    assert_refused("findrisc", {**FINDRISC_ZERO, **changes}, field, code)


def test_findrisc_explanation_carries_value_category_and_risk() -> None:
    result = findrisc(
        high_glucose_ever=True,
        family_diabetes="first_degree",
        vegetables_daily=False,
        antihypertensive_ever=True,
        active_30min_daily=False,
    )
    assert "15 分" in result.explanation_zh and "高风险" in result.explanation_zh
    assert "33%" in result.explanation_zh
    assert "15 of 26" in result.explanation_en and "high" in result.explanation_en


def test_findrisc_population_agrees_with_single_runs() -> None:
    pop = Population(2003, 3000)
    columns: dict[str, Any] = {
        "age_years": pop.integers(25, 84),
        "sex": pop.sex(),
        "bmi_kg_m2": pop.uniform(17, 40, decimals=1),
        "waist_cm": pop.uniform(60, 120, decimals=1),
        "active_30min_daily": pop.flags(0.5),
        "vegetables_daily": pop.flags(0.5),
        "antihypertensive_ever": pop.flags(0.3),
        "high_glucose_ever": pop.flags(0.2),
        "family_diabetes": pop.choice(["none", "second_degree", "first_degree"]),
    }
    columns["bmi_kg_m2"][:4] = [25.0, 30.0, 24.99, 30.01]
    columns["waist_cm"][4:10] = [94, 102, 80, 88, 102.1, 88.1]
    columns["age_years"][10:16] = [44, 45, 54, 55, 64, 65]
    columns["family_diabetes"][16] = "aunt"  # not a choice: refused
    columns["bmi_kg_m2"][17] = 200  # impossible: refused
    population = assert_paths_agree("findrisc", columns)
    assert population.refused[16] and population.refused[17]


# --- glycaemic status (中国2型糖尿病防治指南 2020) ------------------------------------------------


def glycaemic(**inputs: Any) -> Any:
    return calculate("glycaemic_status", inputs)


@pytest.mark.parametrize(
    ("fpg", "category"),
    [(3.9, "normal"), (6.09, "normal"), (6.1, "ifg"), (6.99, "ifg"), (7.0, "diabetes_range")],
)
def test_fasting_glucose_cut_points_6_1_and_7_0(fpg: float, category: str) -> None:
    assert glycaemic(fasting_glucose_mmol_l=fpg).category == category


@pytest.mark.parametrize(
    ("two_hour", "category"),
    [(7.79, "normal"), (7.8, "igt"), (11.09, "igt"), (11.1, "diabetes_range")],
)
def test_ogtt_cut_points_7_8_and_11_1(two_hour: float, category: str) -> None:
    result = glycaemic(fasting_glucose_mmol_l=5.0, ogtt_2h_glucose_mmol_l=two_hour)
    assert result.category == category


@pytest.mark.parametrize(
    ("hba1c", "category", "attention"),
    [
        (5.69, "normal", False),
        (5.7, "normal", True),
        (6.49, "normal", True),
        (6.5, "diabetes_range", False),
    ],
)
def test_hba1c_6_5_is_diabetes_range_and_5_7_only_a_flag(
    hba1c: float, category: str, attention: bool
) -> None:
    result = glycaemic(hba1c_percent=hba1c)
    assert result.category == category
    assert result.details["hba1c_attention"] is attention


@pytest.mark.parametrize(
    ("inputs", "category", "value"),
    [
        ({"fasting_glucose_mmol_l": 6.5, "ogtt_2h_glucose_mmol_l": 9.0}, "ifg_igt", 0),
        ({"fasting_glucose_mmol_l": 5.0, "ogtt_2h_glucose_mmol_l": 9.0}, "igt", 0),
        ({"fasting_glucose_mmol_l": 6.5, "ogtt_2h_glucose_mmol_l": 7.0}, "ifg", 0),
        ({"fasting_glucose_mmol_l": 5.0, "ogtt_2h_glucose_mmol_l": 7.0}, "normal", 0),
        ({"fasting_glucose_mmol_l": 6.5, "ogtt_2h_glucose_mmol_l": 12.0}, "diabetes_range", 1),
        ({"fasting_glucose_mmol_l": 6.5, "hba1c_percent": 6.6}, "diabetes_range", 1),
        (
            {
                "fasting_glucose_mmol_l": 7.2,
                "ogtt_2h_glucose_mmol_l": 12.0,
                "hba1c_percent": 6.8,
            },
            "diabetes_range",
            3,
        ),
    ],
)
def test_guideline_classification_table(
    inputs: dict[str, float], category: str, value: int
) -> None:
    # 中国2型糖尿病防治指南 2020, 糖代谢状态分类: IFG 6.1–<7.0 with 2hPG < 7.8; IGT FPG < 7.0 with
    # 2hPG 7.8–<11.1; diabetes FPG ≥ 7.0 or 2hPG ≥ 11.1 or HbA1c ≥ 6.5 %.
    result = calculate("glycaemic_status", inputs)
    assert (result.category, result.value) == (category, value)


def test_other_units_are_converted_before_the_cut_points() -> None:
    assert glycaemic(fasting_glucose_mg_dl=126).category == "diabetes_range"  # 126 / 18 = 7.0
    assert glycaemic(hba1c_mmol_mol=48).category == "diabetes_range"  # 48 mmol/mol ≈ 6.54 %
    assert glycaemic(hba1c_mmol_mol=47).category == "normal"  # ≈ 6.45 %
    # 140 mg/dL is 7.78 mmol/L: below the WHO/Chinese 7.8 (documented in the model's notes).
    assert glycaemic(fasting_glucose_mmol_l=5, ogtt_2h_glucose_mg_dl=140).category == "normal"


def test_diabetes_range_needs_confirmation_unless_symptomatic() -> None:
    quiet = glycaemic(fasting_glucose_mmol_l=7.4)
    assert quiet.details["confirm_on_another_day"] is True
    assert "另日复查" in quiet.explanation_zh and "another day" in quiet.explanation_en
    symptomatic = glycaemic(fasting_glucose_mmol_l=7.4, diabetes_symptoms=True)
    assert symptomatic.category == "diabetes_range"
    assert symptomatic.details["confirm_on_another_day"] is False


def test_fasting_glucose_alone_says_igt_is_not_excluded() -> None:
    result = glycaemic(fasting_glucose_mmol_l=5.2)
    assert result.category == "normal" and result.details["ogtt_done"] is False
    assert "OGTT" in result.explanation_zh and "not excluded" in result.explanation_en


@pytest.mark.parametrize(
    ("inputs", "field", "code"),
    [
        ({}, "fasting_glucose_mmol_l", "missing"),
        ({"diabetes_symptoms": True}, "fasting_glucose_mmol_l", "missing"),
        ({"fasting_glucose_mmol_l": 110}, "fasting_glucose_mmol_l", "impossible"),  # mg/dL
        ({"hba1c_percent": 48}, "hba1c_percent", "impossible"),  # mmol/mol typed as %
        ({"fasting_glucose_mmol_l": -1}, "fasting_glucose_mmol_l", "impossible"),
        (
            {"fasting_glucose_mmol_l": 5.0, "fasting_glucose_mg_dl": 90},
            "fasting_glucose_mmol_l",
            "given_twice",
        ),
        ({"random_glucose_mmol_l": 12}, "random_glucose_mmol_l", "unknown_input"),
    ],
)
def test_glycaemic_refusals_name_the_input(inputs: dict[str, Any], field: str, code: str) -> None:
    assert_refused("glycaemic_status", inputs, field, code)


def test_glycaemic_explanation_carries_values_and_category() -> None:
    result = glycaemic(fasting_glucose_mmol_l=6.4, ogtt_2h_glucose_mmol_l=8.6)
    assert "6.4" in result.explanation_zh and "8.6" in result.explanation_zh
    assert "空腹血糖受损合并糖耐量减低" in result.explanation_zh
    assert "IFG with IGT" in result.explanation_en and "2020" in result.explanation_en


@pytest.mark.parametrize(
    "keys",
    [
        ("fasting_glucose_mmol_l",),
        ("fasting_glucose_mmol_l", "ogtt_2h_glucose_mmol_l"),
        ("hba1c_percent",),
        ("fasting_glucose_mmol_l", "ogtt_2h_glucose_mmol_l", "hba1c_percent"),
    ],
)
def test_glycaemic_population_agrees_with_single_runs(keys: tuple[str, ...]) -> None:
    # A population column is all-or-nothing (a NaN in a column is refused), so each combination
    # of measures is its own run.
    pop = Population(2020, 2000)
    make = {
        "fasting_glucose_mmol_l": lambda: pop.uniform(3.5, 12, decimals=2),
        "ogtt_2h_glucose_mmol_l": lambda: pop.uniform(4, 18, decimals=2),
        "hba1c_percent": lambda: pop.uniform(4.5, 9, decimals=2),
    }
    edges = {
        "fasting_glucose_mmol_l": [6.1, 7.0, 6.09, 6.99, 60.0],
        "ogtt_2h_glucose_mmol_l": [7.8, 11.1, 7.79, 11.09, 70.0],
        "hba1c_percent": [6.5, 5.7, 6.49, 5.69, 25.0],
    }
    columns: dict[str, Any] = {key: make[key]() for key in keys}
    for key in keys:
        columns[key][:5] = edges[key]  # the last edge is impossible: refused
    columns["diabetes_symptoms"] = pop.flags(0.1)
    population = assert_paths_agree("glycaemic_status", columns)
    assert population.refused[4]
