"""Chinese indicator classifications (clinical-references.md §7.2, §7.4, §7.5, §7.6): office BP
(中国高血压防治指南 2018/2024), lipids (中国血脂管理指南 2023), metabolic syndrome (CDS 2017/2020)
and hyperuricaemia (2019 guidelines). Every boundary of every table lands in the right class;
contradictory or missing inputs are refused naming the input; the vectorised path agrees with
the per-customer one row by row."""

from __future__ import annotations

import numpy as np
import pytest

from jianguan.clinical import InvalidInput, calculate, calculate_many

from .helpers import Population, assert_paths_agree, assert_refused, outcomes

# --- office blood pressure: 中国高血压防治指南 2018 (2024 keeps the table) ----------------------


@pytest.mark.parametrize(
    ("sbp", "dbp", "category", "grade", "isolated"),
    [
        (119, 79, "normal", 0, False),
        (120, 79, "high_normal", 0, False),
        (119, 80, "high_normal", 0, False),
        (118, 82, "high_normal", 0, False),  # sheet: "and/or" — DBP alone makes 正常高值
        (125, 85, "high_normal", 0, False),  # sheet's example
        (139, 89, "high_normal", 0, False),
        (139.5, 89.5, "high_normal", 0, False),  # "120–139" is [120, 140): nothing is lost
        (140, 89, "grade_1", 1, True),
        (139, 90, "grade_1", 1, False),
        (140, 90, "grade_1", 1, False),
        (159, 99, "grade_1", 1, False),
        (160, 99, "grade_2", 2, False),
        (159, 100, "grade_2", 2, False),
        (160, 100, "grade_2", 2, False),
        (165, 95, "grade_2", 2, False),  # SBP and DBP in different grades: the higher wins
        (179, 109, "grade_2", 2, False),
        (180, 109, "grade_3", 3, False),
        (179, 110, "grade_3", 3, False),
        (180, 110, "grade_3", 3, False),
        (150, 89, "grade_1", 1, True),  # 单纯收缩期高血压, graded by SBP
        (170, 70, "grade_2", 2, True),
        (185, 80, "grade_3", 3, True),
        (130, 105, "grade_2", 2, False),  # isolated diastolic: graded by DBP
    ],
)
def test_bp_class_boundaries(
    sbp: float, dbp: float, category: str, grade: int, isolated: bool
) -> None:
    result = calculate("bp_class", {"sbp_mmhg": sbp, "dbp_mmhg": dbp})
    assert result.category == category
    assert result.value == grade
    assert result.details["isolated_systolic"] is isolated
    assert result.details["hypertension"] is (grade >= 1)
    assert result.details["level_by_numbers"] == category


@pytest.mark.parametrize(
    ("sbp", "dbp", "category", "by_numbers"),
    [
        (118, 70, "treated_controlled", "normal"),
        (128, 78, "treated_controlled", "high_normal"),
        (139, 89, "treated_controlled", "high_normal"),
        (140, 89, "grade_1", "grade_1"),  # treated but not controlled: graded by the numbers
        (139, 90, "grade_1", "grade_1"),
        (182, 95, "grade_3", "grade_3"),
    ],
)
def test_treated_bp_below_140_90_is_still_hypertension(
    sbp: float, dbp: float, category: str, by_numbers: str
) -> None:
    result = calculate("bp_class", {"sbp_mmhg": sbp, "dbp_mmhg": dbp, "bp_treated": True})
    assert result.category == category
    assert result.details["level_by_numbers"] == by_numbers
    assert result.details["hypertension"] is True and result.details["treated"] is True
    assert result.category != "normal"


@pytest.mark.parametrize(
    ("inputs", "field", "code"),
    [
        ({"sbp_mmhg": 90, "dbp_mmhg": 90}, "dbp_mmhg", "dbp_not_below_sbp"),
        ({"sbp_mmhg": 80, "dbp_mmhg": 120}, "dbp_mmhg", "dbp_not_below_sbp"),  # swapped
        ({"sbp_mmhg": 20, "dbp_mmhg": 15}, "sbp_mmhg", "impossible"),
        ({"sbp_mmhg": 130}, "dbp_mmhg", "missing"),
        ({"sbp_mmhg": 130, "dbp_mmhg": 80, "age_years": -1}, "age_years", "impossible"),
        ({"sbp_mmhg": 130, "dbp_mmhg": 80, "age_years": 12}, "age_years", "outside_model"),
        ({"sbp_mmhg": 130, "dbp_mmhg": 80, "sbp": 130}, "sbp", "unknown_input"),
        ({"sbp_mmhg": 130, "dbp_mmhg": 80, "bp_treated": "maybe"}, "bp_treated", "boolean"),
    ],
)
def test_bp_class_refusals(inputs: dict[str, object], field: str, code: str) -> None:
    assert_refused("bp_class", inputs, field, code)


def test_bp_explanation_names_reading_class_threshold_and_guideline() -> None:
    result = calculate("bp_class", {"sbp_mmhg": 150, "dbp_mmhg": 85})
    assert "150/85" in result.explanation_zh and "150/85" in result.explanation_en
    assert "1级高血压" in result.explanation_zh and "grade 1 hypertension" in result.explanation_en
    assert (
        "单纯收缩期高血压" in result.explanation_zh and "isolated systolic" in result.explanation_en
    )
    assert "140–159" in result.explanation_zh and "2018" in result.explanation_en
    treated = calculate("bp_class", {"sbp_mmhg": 128, "dbp_mmhg": 78, "bp_treated": True})
    assert (
        "仍属高血压" in treated.explanation_zh
        and "Still a person with hypertension" in treated.explanation_en
    )
    assert treated.category_zh in treated.explanation_zh


# --- lipids: 中国血脂管理指南 2023 (the 2016 table) ---------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "detail", "cls"),
    [
        ("total_cholesterol_mmol_l", 5.19, "total_cholesterol", "desirable"),
        ("total_cholesterol_mmol_l", 5.2, "total_cholesterol", "borderline_high"),
        ("total_cholesterol_mmol_l", 6.19, "total_cholesterol", "borderline_high"),
        ("total_cholesterol_mmol_l", 6.2, "total_cholesterol", "high"),
        ("ldl_c_mmol_l", 2.59, "ldl_c", "ideal"),
        ("ldl_c_mmol_l", 2.6, "ldl_c", "desirable"),
        ("ldl_c_mmol_l", 3.39, "ldl_c", "desirable"),
        ("ldl_c_mmol_l", 3.4, "ldl_c", "borderline_high"),
        ("ldl_c_mmol_l", 4.09, "ldl_c", "borderline_high"),
        ("ldl_c_mmol_l", 4.1, "ldl_c", "high"),
        ("hdl_c_mmol_l", 0.99, "hdl_c", "low"),
        ("hdl_c_mmol_l", 1.0, "hdl_c", "not_low"),
        ("triglycerides_mmol_l", 1.69, "triglycerides", "desirable"),
        ("triglycerides_mmol_l", 1.7, "triglycerides", "borderline_high"),
        ("triglycerides_mmol_l", 2.29, "triglycerides", "borderline_high"),
        ("triglycerides_mmol_l", 2.3, "triglycerides", "high"),
    ],
)
def test_each_lipid_boundary(key: str, value: float, detail: str, cls: str) -> None:
    result = calculate("lipid_class", {key: value})
    assert result.details[detail] == cls
    others = {"total_cholesterol", "ldl_c", "hdl_c", "triglycerides", "non_hdl_c"} - {detail}
    assert all(result.details[o] == "not_given" for o in others)
    overall = {"high": "raised", "low": "raised", "borderline_high": "borderline"}
    assert result.category == overall.get(cls, "desirable")
    assert result.value == (1 if cls in ("high", "low") else 0)


@pytest.mark.parametrize(
    ("tc", "hdl", "cls"),
    [
        (4.39, 1.0, "ideal"),  # 3.39
        (4.4, 1.0, "desirable"),  # 3.4000000000000004
        (5.0, 1.6, "desirable"),  # 3.4
        (5.09, 1.0, "desirable"),  # 4.09
        (5.1, 1.0, "borderline_high"),  # 4.1
        (5.5, 1.4, "borderline_high"),  # 4.1
        (5.89, 1.0, "borderline_high"),  # 4.89
        (5.9, 1.0, "high"),  # 4.9
        (6.2, 1.3, "high"),  # 4.8999999999999995 in floating point: still 4.9
        (6.0, 1.1, "high"),  # 4.9
    ],
)
def test_non_hdl_cholesterol_is_tc_minus_hdl_with_its_boundaries(
    tc: float, hdl: float, cls: str
) -> None:
    result = calculate("lipid_class", {"total_cholesterol_mmol_l": tc, "hdl_c_mmol_l": hdl})
    assert result.details["non_hdl_c_mmol_l"] == pytest.approx(tc - hdl)
    assert result.details["non_hdl_c"] == cls


@pytest.mark.parametrize(
    ("inputs", "category", "count"),
    [
        (
            {"total_cholesterol_mmol_l": 4.8, "hdl_c_mmol_l": 1.4, "ldl_c_mmol_l": 2.5},
            "desirable",
            0,
        ),
        ({"total_cholesterol_mmol_l": 5.6, "triglycerides_mmol_l": 1.2}, "borderline", 0),
        ({"ldl_c_mmol_l": 3.0, "triglycerides_mmol_l": 1.8}, "borderline", 0),
        ({"total_cholesterol_mmol_l": 6.3, "hdl_c_mmol_l": 0.9}, "raised", 3),  # TC, HDL, non-HDL
        ({"hdl_c_mmol_l": 0.9, "triglycerides_mmol_l": 1.0}, "raised", 1),  # low HDL alone
        # TC borderline and HDL normal, but non-HDL-C 5.0 is 升高: raised by non-HDL-C alone
        ({"total_cholesterol_mmol_l": 6.1, "hdl_c_mmol_l": 1.1}, "raised", 1),
        (
            {
                "total_cholesterol_mmol_l": 7.0,
                "ldl_c_mmol_l": 4.5,
                "hdl_c_mmol_l": 0.8,
                "triglycerides_mmol_l": 3.0,
            },
            "raised",
            5,
        ),
    ],
)
def test_overall_lipid_category_is_the_worst_and_value_counts_abnormal_lipids(
    inputs: dict[str, float], category: str, count: int
) -> None:
    result = calculate("lipid_class", inputs)
    assert result.category == category
    assert result.value == count


def test_lipids_in_mg_dl_are_converted_before_classing() -> None:
    # 200 mg/dL is 5.17 mmol/L: still 合适 (the guideline's mg/dL column prints 200 for 5.2)
    assert calculate("lipid_class", {"total_cholesterol_mg_dl": 200}).category == "desirable"
    # 159 mg/dL is 4.11 mmol/L: 升高 in mmol/L, the documented pitfall of the rounded column
    result = calculate("lipid_class", {"ldl_c_mg_dl": 159})
    assert result.details["ldl_c"] == "high"
    tg = calculate("lipid_class", {"triglycerides_mg_dl": 1.7 * 88.57 + 0.01})
    assert tg.details["triglycerides"] == "borderline_high"


@pytest.mark.parametrize(
    ("inputs", "field", "code"),
    [
        ({}, "total_cholesterol_mmol_l", "no_lipid_given"),
        ({"age_years": 40}, "total_cholesterol_mmol_l", "no_lipid_given"),
        ({"total_cholesterol_mmol_l": 210}, "total_cholesterol_mmol_l", "impossible"),  # mg/dL
        (
            {"total_cholesterol_mmol_l": 2.0, "hdl_c_mmol_l": 2.0},
            "hdl_c_mmol_l",
            "hdl_not_below_total",
        ),
        (
            {"total_cholesterol_mmol_l": 4.0, "ldl_c_mmol_l": 4.5},
            "ldl_c_mmol_l",
            "ldl_not_below_total",
        ),
        (
            {"total_cholesterol_mmol_l": 5.0, "total_cholesterol_mg_dl": 193},
            "total_cholesterol_mmol_l",
            "given_twice",
        ),
        ({"ldl_mmol_l": 3.0}, "ldl_mmol_l", "unknown_input"),
        ({"ldl_c_mmol_l": 3.0, "age_years": 10}, "age_years", "outside_model"),
    ],
)
def test_lipid_class_refusals(inputs: dict[str, object], field: str, code: str) -> None:
    assert_refused("lipid_class", inputs, field, code)


def test_lipid_explanation_lists_each_lipid_with_class_and_guideline() -> None:
    result = calculate(
        "lipid_class",
        {"total_cholesterol_mmol_l": 6.2, "hdl_c_mmol_l": 1.3, "triglycerides_mmol_l": 1.8},
    )
    assert result.category == "raised" and result.value == 2  # TC 6.2 and non-HDL-C 4.9
    zh, en = result.explanation_zh, result.explanation_en
    assert "6.20" in zh and "4.90" in zh and "边缘升高" in zh and "共 2 项" in zh
    assert result.category_zh in zh and result.category_en in en
    assert "2023" in zh and "2023" in en and "≥6.2" in zh and "≥ 4.9" in en
    assert "LDL" not in en  # not given, not mentioned


# --- metabolic syndrome: CDS 2017 (kept in 2020) ----------------------------------------------

NONE_MET = {
    "waist_cm": 80,
    "sex": "M",
    "fasting_glucose_mmol_l": 5.0,
    "sbp_mmhg": 118,
    "dbp_mmhg": 75,
    "triglycerides_mmol_l": 1.0,
    "hdl_c_mmol_l": 1.5,
}


@pytest.mark.parametrize(
    ("change", "component", "state"),
    [
        ({"waist_cm": 89.9}, "waist", "not_met"),
        ({"waist_cm": 90}, "waist", "met"),
        ({"sex": "F", "waist_cm": 84.9}, "waist", "not_met"),
        ({"sex": "F", "waist_cm": 85}, "waist", "met"),
        ({"fasting_glucose_mmol_l": 6.09}, "glucose", "not_met"),
        ({"fasting_glucose_mmol_l": 6.1}, "glucose", "met"),
        ({"ogtt_2h_glucose_mmol_l": 7.79}, "glucose", "not_met"),
        ({"ogtt_2h_glucose_mmol_l": 7.8}, "glucose", "met"),
        ({"diabetes": True}, "glucose", "met"),
        ({"sbp_mmhg": 129, "dbp_mmhg": 84}, "blood_pressure", "not_met"),
        ({"sbp_mmhg": 130, "dbp_mmhg": 84}, "blood_pressure", "met"),
        ({"sbp_mmhg": 129, "dbp_mmhg": 85}, "blood_pressure", "met"),  # and/or
        ({"bp_treated": True}, "blood_pressure", "met"),
        ({"triglycerides_mmol_l": 1.69}, "triglycerides", "not_met"),
        ({"triglycerides_mmol_l": 1.7}, "triglycerides", "met"),
        ({"hdl_c_mmol_l": 1.04}, "hdl_c", "not_met"),
        ({"hdl_c_mmol_l": 1.03}, "hdl_c", "met"),
        ({"sex": "F", "hdl_c_mmol_l": 1.03}, "hdl_c", "met"),  # same cut-off for both sexes
        ({"sex": "F", "hdl_c_mmol_l": 1.2}, "hdl_c", "not_met"),  # not ATP III's 1.29
    ],
)
def test_mets_component_boundaries(change: dict[str, object], component: str, state: str) -> None:
    result = calculate("metabolic_syndrome_cds", {**NONE_MET, **change})
    assert result.details[component] == state
    assert result.value == (1 if state == "met" else 0)
    assert result.category == "not_met"


def test_three_components_make_metabolic_syndrome() -> None:
    three = {**NONE_MET, "waist_cm": 90, "triglycerides_mmol_l": 1.7, "hdl_c_mmol_l": 1.03}
    result = calculate("metabolic_syndrome_cds", three)
    assert (result.value, result.category) == (3, "metabolic_syndrome")
    two = {**three, "hdl_c_mmol_l": 1.04}
    assert calculate("metabolic_syndrome_cds", two).category == "not_met"
    five = {**three, "fasting_glucose_mmol_l": 7.2, "sbp_mmhg": 135, "dbp_mmhg": 80}
    assert calculate("metabolic_syndrome_cds", five).value == 5


def test_the_2004_cds_definition_is_not_used() -> None:
    # 2004: BP ≥ 140/90, HDL < 0.9 (men); CDS 2017: BP ≥ 130/85, HDL < 1.04 — here 3 components
    person = {**NONE_MET, "waist_cm": 95, "sbp_mmhg": 135, "dbp_mmhg": 82, "hdl_c_mmol_l": 0.95}
    result = calculate("metabolic_syndrome_cds", person)
    assert result.category == "metabolic_syndrome"
    with pytest.raises(InvalidInput):
        calculate("metabolic_syndrome_cds", {**person, "bmi_kg_m2": 26})  # BMI is no input


@pytest.mark.parametrize(
    ("inputs", "met", "missing", "category"),
    [
        # 2 met, TG and HDL-C not measured: could still reach 3
        (
            {
                "waist_cm": 92,
                "sex": "M",
                "sbp_mmhg": 132,
                "dbp_mmhg": 80,
                "fasting_glucose_mmol_l": 5,
            },
            2,
            2,
            "indeterminate",
        ),
        # 0 met of 3 assessed, 2 missing: 0 + 2 < 3, cannot reach 3
        (
            {
                "waist_cm": 80,
                "sex": "M",
                "sbp_mmhg": 118,
                "dbp_mmhg": 70,
                "fasting_glucose_mmol_l": 5,
            },
            0,
            2,
            "not_met",
        ),
        # 1 met, 2 missing: 1 + 2 = 3, undecided
        (
            {
                "waist_cm": 95,
                "sex": "M",
                "sbp_mmhg": 118,
                "dbp_mmhg": 70,
                "fasting_glucose_mmol_l": 5,
            },
            1,
            2,
            "indeterminate",
        ),
        # 3 met: decided whatever is missing
        (
            {"waist_cm": 86, "sex": "F", "bp_treated": True, "diabetes": True},
            3,
            2,
            "metabolic_syndrome",
        ),
        ({"waist_cm": 80, "sex": "F"}, 0, 4, "indeterminate"),
        # FPG alone assesses glucose (no OGTT needed); SBP alone assesses BP
        (
            {"waist_cm": 80, "sex": "F", "fasting_glucose_mmol_l": 5.0, "sbp_mmhg": 120},
            0,
            2,
            "not_met",
        ),
    ],
)
def test_missing_components_are_not_assessed_and_can_leave_it_undecided(
    inputs: dict[str, object], met: int, missing: int, category: str
) -> None:
    result = calculate("metabolic_syndrome_cds", inputs)
    assert result.value == met
    assert result.details["components_not_assessed"] == missing
    assert result.category == category
    states = [result.details[c] for c in ("glucose", "blood_pressure", "triglycerides", "hdl_c")]
    assert states.count("not_assessed") == missing


@pytest.mark.parametrize(
    ("inputs", "field", "code"),
    [
        ({"sex": "M"}, "waist_cm", "missing"),
        ({"waist_cm": 90}, "sex", "missing"),
        ({"waist_cm": 90, "sex": "X"}, "sex", "sex"),
        (
            {"waist_cm": 90, "sex": "M", "sbp_mmhg": 85, "dbp_mmhg": 85},
            "dbp_mmhg",
            "dbp_not_below_sbp",
        ),
        ({"waist_cm": 90, "sex": "M", "hdl_c_mmol_l": 40}, "hdl_c_mmol_l", "impossible"),  # mg/dL
        ({"waist_cm": 90, "sex": "M", "age_years": 15}, "age_years", "outside_model"),
        ({"waist_cm": 90, "sex": "M", "fpg": 6.0}, "fpg", "unknown_input"),
    ],
)
def test_mets_refusals(inputs: dict[str, object], field: str, code: str) -> None:
    assert_refused("metabolic_syndrome_cds", inputs, field, code)


def test_mets_explanation_lists_components_and_the_definition() -> None:
    result = calculate(
        "metabolic_syndrome_cds",
        {**NONE_MET, "waist_cm": 93, "triglycerides_mmol_l": 2.0, "hdl_c_mmol_l": 0.9},
    )
    zh, en = result.explanation_zh, result.explanation_en
    assert "3 项" in zh and "3 of 5" in en
    assert "腹型肥胖" in zh and "abdominal obesity" in en and "low HDL-C" in en
    assert result.category_zh in zh and result.category_en in en
    assert "1.04" in zh and "1.04" in en and "CDS" in zh and "Chinese Diabetes Society" in en
    partial = calculate("metabolic_syndrome_cds", {"waist_cm": 93, "sex": "M"})
    assert "未评估" in partial.explanation_zh and "Not assessed" in partial.explanation_en


# --- hyperuricaemia: 2019 guidelines ---------------------------------------------------------


@pytest.mark.parametrize(
    ("inputs", "category"),
    [
        ({"uric_acid_umol_l": 420}, "normal"),
        ({"uric_acid_umol_l": 420.1}, "hyperuricaemia"),
        ({"uric_acid_umol_l": 380, "sex": "F"}, "normal"),  # 2019: no lower cut-off for women
        ({"uric_acid_umol_l": 420.1, "sex": "F"}, "hyperuricaemia"),
        ({"uric_acid_mg_dl": 7.0}, "normal"),  # 416.4 µmol/L
        ({"uric_acid_mg_dl": 7.1}, "hyperuricaemia"),  # 422.3 µmol/L
        ({"uric_acid_umol_l": 360, "sex": "F", "definition": "sex_specific_legacy"}, "normal"),
        (
            {"uric_acid_umol_l": 360.1, "sex": "F", "definition": "sex_specific_legacy"},
            "hyperuricaemia",
        ),
        ({"uric_acid_umol_l": 420, "sex": "M", "definition": "sex_specific_legacy"}, "normal"),
        (
            {"uric_acid_umol_l": 420.1, "sex": "M", "definition": "sex_specific_legacy"},
            "hyperuricaemia",
        ),
        ({"uric_acid_umol_l": 400, "definition": "2019"}, "normal"),
    ],
)
def test_hyperuricaemia_cut_offs(inputs: dict[str, object], category: str) -> None:
    result = calculate("hyperuricaemia", inputs)
    assert result.category == category
    assert result.unit == "umol/L"


def test_urate_value_is_in_umol_per_litre() -> None:
    result = calculate("hyperuricaemia", {"uric_acid_mg_dl": 7.0})
    assert result.value == pytest.approx(7.0 * 59.48)
    assert result.details["uric_acid_mg_dl"] == pytest.approx(7.0)
    assert result.details["threshold_umol_l"] == 420


@pytest.mark.parametrize(
    ("inputs", "field", "code"),
    [
        ({"uric_acid_umol_l": 400, "definition": "sex_specific_legacy"}, "sex", "missing"),
        ({"uric_acid_umol_l": 400, "definition": "2017"}, "definition", "choice"),
        ({"uric_acid_umol_l": 7.2}, "uric_acid_umol_l", "impossible"),  # mg/dL typed as µmol/L
        ({"uric_acid_umol_l": -3}, "uric_acid_umol_l", "impossible"),
        ({}, "uric_acid_umol_l", "missing"),
        ({"uric_acid_umol_l": 400, "uric_acid_mg_dl": 6.7}, "uric_acid_umol_l", "given_twice"),
        ({"uric_acid_umol_l": 400, "sex": "?"}, "sex", "sex"),
        ({"urate": 400}, "urate", "unknown_input"),
    ],
)
def test_hyperuricaemia_refusals(inputs: dict[str, object], field: str, code: str) -> None:
    assert_refused("hyperuricaemia", inputs, field, code)


def test_urate_explanation_says_cut_off_and_two_measurements() -> None:
    result = calculate("hyperuricaemia", {"uric_acid_umol_l": 455})
    zh, en = result.explanation_zh, result.explanation_en
    assert "455" in zh and "455" in en and "高尿酸血症" in zh and "hyperuricaemia" in en
    assert "420" in zh and "420" in en and "2019" in zh and "2019" in en
    assert "非同日 2 次" in zh and "two fasting measurements" in en
    legacy = calculate(
        "hyperuricaemia", {"uric_acid_umol_l": 370, "sex": "F", "definition": "sex_specific_legacy"}
    )
    assert ">360" in legacy.explanation_zh and "360" in legacy.explanation_en


# --- one formula, two paths: scalar and vectorised agree -------------------------------------


RNG_SEED = 20240605


def test_bp_class_scalar_and_vector_agree() -> None:
    pop = Population(RNG_SEED, 3000)
    sbp = pop.integers(90, 199).astype(float)
    dbp = pop.integers(50, 124).astype(float)
    edges = [(119, 79), (120, 80), (139, 89), (140, 90), (159, 99), (160, 100), (179, 109)]
    edges += [(180, 110), (125, 85), (118, 82), (140, 89), (100, 100), (95, 120), (20, 10)]
    for j, (s, d) in enumerate(edges):
        sbp[j], dbp[j] = s, d
    treated = pop.flags(0.3)
    columns = {"sbp_mmhg": sbp, "dbp_mmhg": dbp, "bp_treated": treated}
    seen = outcomes(assert_paths_agree("bp_class", columns))
    assert {"normal", "high_normal", "treated_controlled", "refused"} <= set(seen)
    assert {"grade_1", "grade_2", "grade_3"} <= set(seen)
    result = calculate_many("bp_class", {"sbp_mmhg": sbp, "dbp_mmhg": dbp})
    assert result.refused[len(edges) - 1]  # SBP 20 is impossible: refused by the registry


def test_lipid_class_scalar_and_vector_agree() -> None:
    pop = Population(RNG_SEED + 1, 3000)
    tc = pop.uniform(2.5, 8.5, decimals=2)
    hdl = pop.uniform(0.6, 2.6, decimals=2)
    ldl = pop.uniform(1.0, 6.0, decimals=2)
    tg = pop.uniform(0.4, 4.0, decimals=2)
    for j, (a, b, c, d) in enumerate(
        [
            (5.2, 1.0, 2.6, 1.7),
            (6.2, 1.3, 4.1, 2.3),
            (5.19, 0.99, 3.39, 1.69),
            (4.4, 1.0, 3.4, 2.29),
        ]
    ):
        tc[j], hdl[j], ldl[j], tg[j] = a, b, c, d
    columns = {
        "total_cholesterol_mmol_l": tc,
        "hdl_c_mmol_l": hdl,
        "ldl_c_mmol_l": ldl,
        "triglycerides_mmol_l": tg,
    }
    seen = outcomes(assert_paths_agree("lipid_class", columns))
    assert {"desirable", "borderline", "raised", "refused"} <= set(seen)  # LDL ≥ TC refused
    # columns left out: each row classed on what it has
    columns = {"ldl_c_mmol_l": ldl, "triglycerides_mg_dl": tg * 88.57}
    seen = outcomes(assert_paths_agree("lipid_class", columns))
    assert "refused" not in seen
    # no lipid column at all: every row comes back refused, not an exception
    nothing = calculate_many("lipid_class", {"age_years": np.full(5, 50)})
    assert np.isnan(nothing.value).all() and (nothing.category == "").all()


def test_metabolic_syndrome_scalar_and_vector_agree() -> None:
    pop = Population(RNG_SEED + 2, 3000)
    columns: dict[str, np.ndarray] = {
        "waist_cm": pop.uniform(65, 110, decimals=1),
        "sex": pop.sex(),
        "fasting_glucose_mmol_l": pop.uniform(4.0, 8.0, decimals=1),
        "ogtt_2h_glucose_mmol_l": pop.uniform(4.0, 12.0, decimals=1),
        "diabetes": pop.flags(0.1),
        "sbp_mmhg": pop.integers(95, 169).astype(float),
        "dbp_mmhg": pop.integers(55, 109).astype(float),
        "bp_treated": pop.flags(0.2),
        "triglycerides_mmol_l": pop.uniform(0.5, 3.5, decimals=2),
        "hdl_c_mmol_l": pop.uniform(0.7, 2.0, decimals=2),
    }
    columns["waist_cm"][:4] = [89.9, 90, 84.9, 85]
    columns["sex"][:4] = ["M", "M", "F", "F"]
    columns["hdl_c_mmol_l"][:2] = [1.03, 1.04]
    columns["sbp_mmhg"][4], columns["dbp_mmhg"][4] = 100, 100
    seen = outcomes(assert_paths_agree("metabolic_syndrome_cds", columns))
    assert {"metabolic_syndrome", "not_met", "refused"} <= set(seen)
    partial = {k: columns[k] for k in ("waist_cm", "sex", "fasting_glucose_mmol_l", "sbp_mmhg")}
    partial["dbp_mmhg"] = columns["dbp_mmhg"]
    seen = outcomes(assert_paths_agree("metabolic_syndrome_cds", partial))
    assert {"indeterminate", "not_met"} <= set(seen)


def test_hyperuricaemia_scalar_and_vector_agree() -> None:
    pop = Population(RNG_SEED + 3, 3000)
    urate = pop.uniform(150, 650, decimals=1)
    urate[:6] = [420, 420.1, 360, 360.1, 10, 419.9]  # 10 µmol/L is impossible: refused
    columns = {
        "uric_acid_umol_l": urate,
        "sex": pop.sex(),
        "definition": pop.choice(["2019", "sex_specific_legacy"]),
    }
    seen = outcomes(assert_paths_agree("hyperuricaemia", columns))
    assert {"normal", "hyperuricaemia", "refused"} <= set(seen)
    # the legacy rule without a sex column: those rows come back refused, the others computed
    no_sex = {"uric_acid_umol_l": urate, "definition": columns["definition"]}
    seen = outcomes(assert_paths_agree("hyperuricaemia", no_sex))
    legacy = columns["definition"] == "sex_specific_legacy"
    assert seen["refused"] == int((legacy | (urate < 20)).sum())  # and the impossible row
