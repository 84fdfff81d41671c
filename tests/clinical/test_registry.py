"""The registry every model goes through: unit-named inputs in either unit, refusal of what is
impossible (naming the input), warnings beyond a model's validated range, the same formula
for one customer and for arrays, and JSON-ready results."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jianguan import clinical
from jianguan.clinical import InvalidInput, UnknownModel, calculate, calculate_many
from jianguan.clinical.inputs import TOTAL_CHOLESTEROL
from jianguan.clinical.registry import WARN, Input, Model, Outcome, read_inputs
from jianguan.clinical.xp import SCALAR, VECTOR

from .helpers import refusal


def test_an_unknown_model_is_named() -> None:
    with pytest.raises(UnknownModel):
        calculate("no_such_model", {})


def test_an_unknown_input_key_is_refused_listing_the_known_ones() -> None:
    error = refusal("bmi", {"weight_kg": 70, "height_cm": 175, "height_m": 1.75})
    assert (error.field, error.code) == ("height_m", "unknown_input")
    assert "height_cm" in error.message_en


def test_a_missing_input_is_refused_by_its_key() -> None:
    error = refusal("bmi", {"weight_kg": 70})
    assert (error.field, error.code) == ("height_cm", "missing")


@pytest.mark.parametrize("raw", ["abc", "", None, float("nan"), float("inf"), True, [1]])
def test_a_value_that_is_not_a_number_is_refused(raw: object) -> None:
    inputs = {"weight_kg": 70, "height_cm": raw}
    if raw is None:
        error = refusal("bmi", inputs)
        assert error.code == "missing"  # None means not given
        return
    error = refusal("bmi", inputs)
    assert (error.field, error.code) == ("height_cm", "not_a_number")


def test_an_impossible_value_says_to_check_the_unit() -> None:
    error = refusal("bmi", {"weight_kg": 70, "height_cm": 1.75})
    assert (error.field, error.code) == ("height_cm", "impossible")
    assert "单位" in error.message_zh and "unit" in error.message_en


def test_either_unit_is_accepted_and_converted_but_not_both() -> None:
    model = Model(
        id="_test_tc",
        title_zh="测试",
        title_en="test",
        citation="test",
        inputs=(TOTAL_CHOLESTEROL,),
        formula=lambda x, xp: Outcome(x["total_cholesterol_mmol_l"]),
    )
    mmol, _ = read_inputs(model, {"total_cholesterol_mmol_l": 5.5})
    mg, _ = read_inputs(model, {"total_cholesterol_mg_dl": 5.5 * 38.67})
    assert mg["total_cholesterol_mmol_l"] == pytest.approx(mmol["total_cholesterol_mmol_l"])
    with pytest.raises(InvalidInput) as caught:
        read_inputs(model, {"total_cholesterol_mmol_l": 5.5, "total_cholesterol_mg_dl": 212})
    assert caught.value.code == "given_twice"
    with pytest.raises(InvalidInput) as caught:
        read_inputs(model, {"total_cholesterol_mmol_l": 212})  # mg/dL typed as mmol/L
    assert (caught.value.field, caught.value.code) == ("total_cholesterol_mmol_l", "impossible")


def test_beyond_the_validated_range_is_a_warning_not_a_refusal() -> None:
    spec = Input("x_mmhg", valid=(90, 200), outside=WARN, possible=(50, 300), label_en="x")
    model = Model("_test_warn", "测试", "test", "test", (spec,), lambda x, xp: Outcome(x["x_mmhg"]))
    values, warnings = read_inputs(model, {"x_mmhg": 210})
    assert values["x_mmhg"] == 210
    assert [(w.field, w.code) for w in warnings] == [("x_mmhg", "outside_validated_range")]


def test_a_model_whose_range_refuses_says_where_it_applies() -> None:
    error = refusal("bmi", {"weight_kg": 30, "height_cm": 130, "age_years": 12})
    assert (error.field, error.code) == ("age_years", "outside_model")
    assert "18" in error.message_zh


@pytest.mark.parametrize("sex", ["M", "m", "male", "男"])
def test_sex_is_accepted_in_its_usual_spellings(sex: str) -> None:
    assert calculate("waist_class", {"waist_cm": 86, "sex": sex}).inputs["sex"] == "M"


def test_a_bad_sex_is_refused() -> None:
    assert refusal("waist_class", {"waist_cm": 86, "sex": "X"}).code == "sex"


def test_the_result_is_json_ready_and_carries_citation_and_ranges() -> None:
    import json

    data = calculate("bmi", {"weight_kg": 72.3, "height_cm": 170}).to_dict()
    text = json.dumps(data, ensure_ascii=False)
    assert data["category"] == "overweight" and data["category_zh"] == "超重"
    assert "WS/T 428-2013" in data["citation"]
    assert data["valid_ranges"]["age_years"]["low"] == 18
    assert data["out_of_range"] == [] and "25.0" in data["explanation_zh"]
    assert "25.0" in text


def test_every_registered_model_has_citation_inputs_and_explanation_metadata() -> None:
    assert len(clinical.models()) >= 3
    for model in clinical.models():
        assert model.citation and model.title_zh and model.title_en, model.id
        assert model.inputs, model.id
        for spec in model.inputs:
            assert spec.key == spec.key.lower() and " " not in spec.key, (model.id, spec.key)


# --- the array namespace and population runs ----------------------------------------------------


def test_the_scalar_namespace_mirrors_numpy() -> None:
    values = [0.5, 1.0, 2.0]
    for v in values:
        assert SCALAR.log(v) == pytest.approx(float(VECTOR.log(v)))
        assert SCALAR.exp(v) == pytest.approx(float(VECTOR.exp(v)))
        assert SCALAR.where(v > 1, "a", "b") == str(VECTOR.where(v > 1, "a", "b"))
        assert SCALAR.select([v < 1, v < 2], ["x", "y"], "z") == str(
            VECTOR.select([v < 1, v < 2], ["x", "y"], "z")
        )
    assert SCALAR.logical_not(True) is False
    assert SCALAR.minimum(1, 2) == 1 and SCALAR.maximum(1, 2) == 2


def test_population_rows_are_refused_not_raised_and_agree_with_single_runs() -> None:
    rng = np.random.default_rng(7)
    n = 2000
    weight = rng.uniform(30, 150, n)
    height = rng.uniform(140, 200, n)
    weight[::97] = 1.0  # impossible: refused rows
    result = calculate_many("bmi", {"weight_kg": weight, "height_cm": height})
    assert result.refused.sum() == len(range(0, n, 97))
    for i in range(n):
        if result.refused[i]:
            assert math.isnan(result.value[i]) and result.category[i] == ""
            continue
        one = calculate("bmi", {"weight_kg": float(weight[i]), "height_cm": float(height[i])})
        assert result.value[i] == pytest.approx(one.value, rel=1e-12)
        assert result.category[i] == one.category


def test_population_columns_must_have_one_length_and_known_keys() -> None:
    with pytest.raises(InvalidInput):
        calculate_many("bmi", {"weight_kg": [70, 80], "height_cm": [170]})
    with pytest.raises(InvalidInput):
        calculate_many("bmi", {"weight_kg": [70], "height_cm": [170], "mass": [1]})


def test_rows_a_formula_refuses_are_flagged_refused_in_population_runs() -> None:
    out = calculate_many("bp_class", {"sbp_mmhg": [150, 80], "dbp_mmhg": [95, 90]})
    assert list(out.refused) == [False, True]  # DBP not below SBP, as one customer is refused
    assert out.category[0] == "grade_1" and math.isnan(out.value[1])


def test_boolean_columns_read_words_as_one_customer_does_and_refuse_others() -> None:
    base = {"sbp_mmhg": [115, 115, 115], "dbp_mmhg": [70, 70, 70]}
    out = calculate_many("bp_class", {**base, "bp_treated": np.array(["false", "是", "maybe"])})
    assert list(out.refused) == [False, False, True]
    assert out.category[0] == "normal" and out.category[1] == "treated_controlled"


def test_an_input_outside_where_the_model_is_defined_is_refused_not_warned() -> None:
    error = refusal(
        "china_par",
        {
            "age_years": 19,
            "sex": "M",
            "sbp_mmhg": 120,
            "total_cholesterol_mmol_l": 5,
            "hdl_c_mmol_l": 1.3,
            "waist_cm": 80,
            "north": True,
            "urban": True,
        },
    )
    assert (error.field, error.code) == ("age_years", "outside_model")


@pytest.mark.parametrize("raw", [[], {}, [1]])
def test_a_yes_no_input_given_as_a_list_or_object_is_refused_not_a_traceback(raw: object) -> None:
    error = refusal("bp_class", {"sbp_mmhg": 120, "dbp_mmhg": 70, "bp_treated": raw})
    assert (error.field, error.code) == ("bp_treated", "boolean")


def test_population_sex_reads_every_spelling_one_customer_accepts() -> None:
    out = calculate_many(
        "waist_class", {"waist_cm": [86, 86, 86, 86], "sex": ["男", "female", " m ", "x"]}
    )
    # 86 cm: central pre-obesity for a man, central obesity for a woman (WS/T 428-2013)
    assert list(out.category[:3]) == [
        "pre_central_obesity",
        "central_obesity",
        "pre_central_obesity",
    ]
    assert list(out.refused) == [False, False, False, True]


def test_population_yes_no_numbers_other_than_0_and_1_are_refused() -> None:
    out = calculate_many(
        "bp_class", {"sbp_mmhg": [115, 115, 115], "dbp_mmhg": [70, 70, 70], "bp_treated": [0, 1, 2]}
    )
    assert list(out.refused) == [False, False, True]


def test_a_percentage_typed_into_the_ifcc_key_is_refused() -> None:
    error = refusal("glycaemic_status", {"hba1c_mmol_mol": 6.5})
    assert (error.field, error.code) == ("hba1c_mmol_mol", "impossible")
    assert calculate("glycaemic_status", {"hba1c_mmol_mol": 48}).category == "diabetes_range"
