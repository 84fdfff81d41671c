"""Advice rules: the shipped rule file names real models, categories and placeholders; each
finding gives the advice its rule says, with what triggered it and the guideline; urgent items
come first; a broken rule file fails naming the rule."""

from __future__ import annotations

import pytest

from jianguan.clinical import calculate
from jianguan.clinical.advice import RuleError, advise, parse_rules, rules


def findings(**inputs: dict[str, object]) -> dict[str, object]:
    return {model: calculate(model, values) for model, values in inputs.items()}


def ids(items: list[object]) -> list[str]:
    return [a.rule_id for a in items]  # type: ignore[attr-defined]


def test_the_shipped_rules_load_and_cover_the_three_domains() -> None:
    loaded = rules()
    assert len(loaded) >= 15
    assert {r.domain for r in loaded} == {"diet", "exercise", "mental"}
    assert all(r.source and r.text_zh and r.text_en for r in loaded)


def test_everyone_gets_the_general_advice_and_nothing_else_without_findings() -> None:
    got = advise({})
    assert set(ids(got)) == {
        "diet.general.guideline",
        "diet.general.limits",
        "exercise.general.aerobic",
    }
    assert all(a.because_zh == "一般健康建议" for a in got)


def test_grade_3_blood_pressure_defers_exercise_urgently_and_limits_salt() -> None:
    got = advise(findings(bp_class={"sbp_mmhg": 185, "dbp_mmhg": 100}))
    assert got[0].rule_id == "exercise.bp.defer" and got[0].urgent
    salt = next(a for a in got if a.rule_id == "diet.hypertension.salt")
    assert "3级高血压" in salt.because_zh and "中国高血压防治指南" in salt.source


def test_grade_1_gets_salt_advice_but_no_exercise_deferral() -> None:
    got = ids(advise(findings(bp_class={"sbp_mmhg": 145, "dbp_mmhg": 85})))
    assert "diet.hypertension.salt" in got and "exercise.bp.defer" not in got


def test_placeholders_are_filled_with_the_models_value() -> None:
    got = advise(findings(bmi={"weight_kg": 85, "height_cm": 170}))
    weight = next(a for a in got if a.rule_id == "diet.weight.reduce")
    assert "体质指数 29.4" in weight.text_zh and "BMI 29.4" in weight.text_en


def test_an_energy_rule_without_its_value_is_left_out_not_shown_blank() -> None:
    assert "diet.energy.target" not in ids(advise({}))
    got = advise(
        findings(
            energy_target={
                "weight_kg": 70,
                "height_cm": 175,
                "age_years": 30,
                "sex": "M",
                "activity_level": "moderate",
            }
        )
    )
    energy = next(a for a in got if a.rule_id == "diet.energy.target")
    assert "2885 千卡" in energy.text_zh  # 1648.75 × 1.75


def test_phq9_item_9_raises_the_urgent_alert_whatever_the_total() -> None:
    answers = {f"item_{i}": 0 for i in range(1, 10)}
    answers["item_9"] = 1
    got = advise(findings(phq9=answers))
    assert got[0].rule_id == "mental.phq9.self_harm" and got[0].urgent
    assert got[0].because_zh.endswith("第 9 题得分大于 0")
    assert "mental.phq9.refer" not in ids(got)  # the total (1) is minimal


def test_urate_lipids_and_glucose_each_bring_their_diet_rule() -> None:
    got = ids(
        advise(
            findings(
                hyperuricaemia={"uric_acid_umol_l": 480},
                lipid_class={"total_cholesterol_mmol_l": 6.5},
                glycaemic_status={"fasting_glucose_mmol_l": 6.5},
            )
        )
    )
    assert {"diet.urate.purine", "diet.lipids.fat", "diet.glucose.carbohydrate"} <= set(got)
    assert "exercise.glucose.safety" not in got  # IFG, not the diabetes range


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"when": {"model": "no_such_model", "categories": ["x"]}}, "no_such_model"),
        ({"when": {"model": "bp_class", "categories": ["grade_9"]}}, "no category grade_9"),
        ({"when": {"model": "bp_class"}}, "needs categories or a detail"),
        ({"domain": "sleep"}, "domain must be one of"),
        ({"priority": 5}, "priority must be"),
        ({"text_zh": "值 {nope}"}, "nope"),
    ],
)
def test_a_broken_rule_names_itself_and_what_is_wrong(
    rule: dict[str, object], message: str
) -> None:
    base: dict[str, object] = {
        "id": "diet.test.broken",
        "domain": "diet",
        "priority": 2,
        "when": {"always": True},
        "text_zh": "中",
        "text_en": "en",
        "source": "test",
    }
    with pytest.raises(RuleError) as caught:
        parse_rules({"rule": [{**base, **rule}]}, "test.toml")
    assert "diet.test.broken" in str(caught.value) and message in str(caught.value)


def test_an_id_used_twice_is_refused() -> None:
    one = {
        "id": "x.y",
        "domain": "diet",
        "priority": 3,
        "when": {"always": True},
        "text_zh": "a",
        "text_en": "a",
        "source": "s",
    }
    with pytest.raises(RuleError, match="used twice"):
        parse_rules({"rule": [one, one]})


def test_an_active_fatty_liver_condition_brings_its_diet_rule() -> None:
    got = advise({}, conditions=["k76.0"])
    rule = next(a for a in got if a.rule_id == "diet.fatty_liver")
    assert rule.because_zh == "既往史：脂肪肝（K76.0）" and "不饮酒" in rule.text_zh
    assert "diet.fatty_liver" not in ids(advise({}, conditions=["I10"]))
