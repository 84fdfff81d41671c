"""Questionnaire scores (clinical-references.md §8 and §9): PHQ-9 (Kroenke 2001), GAD-7
(Spitzer 2006), PSQI (Buysse 1989; Chinese cut-off 刘贤臣 1996), AUDIT-C (Bush 1998; Bradley
2003) and the TCM constitution questionnaire (ZYYXH/T157-2009, with its two published examples).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from jianguan.clinical import calculate
from jianguan.clinical.models.questionnaires import (
    BIASED_TYPES,
    TCM_INPUTS,
    TCM_TYPE_ITEMS,
    judge,
)

from .helpers import Population, assert_paths_agree, assert_refused, refusal


def items(n: int, total: int, high: int = 3, **fixed: int) -> dict[str, Any]:
    """`item_1` … `item_n` adding up to `total`, filled from item 1 on, with `fixed` items."""
    answers = {f"item_{i}": 0 for i in range(1, n + 1)}
    answers.update(fixed)
    left = total - sum(answers.values())
    for i in range(1, n + 1):
        key = f"item_{i}"
        if key in fixed:
            continue
        answers[key] = min(high, left)
        left -= answers[key]
    assert left == 0
    return answers


# --- PHQ-9 (Kroenke 2001) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "category"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately_severe"),
        (19, "moderately_severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_bands_of_kroenke_2001(total: int, category: str) -> None:
    result = calculate("phq9", items(9, total, item_9=0) if total <= 24 else items(9, total))
    assert result.value == total and result.category == category
    assert result.details["screen_positive"] is (total >= 10)


def test_phq9_item_9_alerts_whatever_the_total_and_says_so() -> None:
    result = calculate("phq9", items(9, 2, item_9=1))
    assert result.category == "minimal" and result.details["screen_positive"] is False
    assert result.details["urgent_alert"] is True
    assert "第9项" in result.explanation_zh and "当天" in result.explanation_zh
    assert "item 9" in result.explanation_en and "same-day" in result.explanation_en


def test_phq9_without_item_9_has_no_alert() -> None:
    result = calculate("phq9", items(9, 22, item_9=0))
    assert result.category == "severe" and result.details["urgent_alert"] is False
    assert "item 9" not in result.explanation_en and "第9项" not in result.explanation_zh


def test_phq9_explanation_names_value_and_category() -> None:
    result = calculate("phq9", items(9, 12, item_9=0))
    assert "12" in result.explanation_zh and "中度抑郁症状" in result.explanation_zh
    assert "12" in result.explanation_en and "moderate depressive" in result.explanation_en


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"item_3": 4}, "item_3", "impossible"),
        ({"item_9": -1}, "item_9", "impossible"),
        ({"item_2": 1.5}, "item_2", "not_an_integer"),
        ({"item_10": 1}, "item_10", "unknown_input"),
        ({"item_5": None}, "item_5", "missing"),
        ({"item_1": "often"}, "item_1", "not_a_number"),
    ],
)
def test_phq9_refuses_an_answer_outside_its_item_naming_it(
    change: dict[str, Any], field: str, code: str
) -> None:
    assert_refused("phq9", {**items(9, 5), **change}, field, code)


def test_phq9_refusal_message_names_the_item_and_its_range() -> None:
    error = refusal("phq9", {**items(9, 5), "item_9": 7})
    assert "第9项" in error.message_zh and "0–3" in error.message_zh
    assert "item 9" in error.message_en


# --- GAD-7 (Spitzer 2006) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "category"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_bands_of_spitzer_2006(total: int, category: str) -> None:
    result = calculate("gad7", items(7, total))
    assert result.value == total and result.category == category
    assert result.details["screen_positive"] is (total >= 10)
    label = {"minimal": "极轻微", "mild": "轻度", "moderate": "中度", "severe": "重度"}[category]
    assert str(total) in result.explanation_zh and label in result.explanation_zh
    assert str(total) in result.explanation_en and category in result.explanation_en


def test_gad7_refuses_phq9_sized_input() -> None:
    assert_refused("gad7", items(9, 3), "item_8", "unknown_input")
    assert refusal("gad7", {**items(7, 3), "item_7": 3.5}).code == "not_an_integer"


# --- PSQI (Buysse 1989) ---------------------------------------------------------------------------

GOOD_NIGHT: dict[str, Any] = {
    "q1_bedtime_hour": 23.0,
    "q2_latency_min": 10,
    "q3_rise_hour": 7.0,
    "q4_sleep_hours": 7.5,
    **{f"q5{letter}": 0 for letter in "abcdefghi"},
    "q6_quality": 0,
    "q7_medication": 0,
    "q8_sleepy": 0,
    "q9_enthusiasm": 0,
}


def test_psqi_worked_case_computed_by_hand() -> None:
    # Bed 23:30, up 07:00 (7.5 h in bed, across midnight), 40 min to fall asleep, 6 h sleep.
    # C1 = Q6 = 1; C2: 40 min → 2, + Q5a 2 = 4 → 2; C3: 6 h → 1; C4: 6 / 7.5 = 80 % → 1;
    # C5: Q5b–j = 1 + 1 + 1 = 3 → 1; C6 = Q7 = 0; C7: Q8 1 + Q9 2 = 3 → 2. Global 8.
    answers = {
        **GOOD_NIGHT,
        "q1_bedtime_hour": 23.5,
        "q2_latency_min": 40,
        "q4_sleep_hours": 6,
        "q5a": 2,
        "q5b": 1,
        "q5c": 1,
        "q5h": 1,
        "q6_quality": 1,
        "q8_sleepy": 1,
        "q9_enthusiasm": 2,
    }
    result = calculate("psqi", answers)
    d = result.details
    assert [
        d["c1_quality"],
        d["c2_latency"],
        d["c3_duration"],
        d["c4_efficiency"],
        d["c5_disturbance"],
        d["c6_medication"],
        d["c7_daytime"],
    ] == [1, 2, 1, 1, 1, 0, 2]
    assert d["time_in_bed_hours"] == pytest.approx(7.5)
    assert d["efficiency_percent"] == pytest.approx(80.0)
    assert result.value == 8 and result.category == "poor_sleeper"
    assert d["poor_by_chinese_cutoff"] is True
    assert "8" in result.explanation_zh and "睡眠质量差" in result.explanation_zh
    assert "poor sleeper" in result.explanation_en


def test_psqi_good_night_scores_zero() -> None:
    result = calculate("psqi", GOOD_NIGHT)
    assert result.value == 0 and result.category == "good_sleeper"
    assert "良好" in result.explanation_zh or "睡眠质量好" in result.explanation_zh
    assert "good sleeper" in result.explanation_en


@pytest.mark.parametrize(
    ("minutes", "q5a", "component"),
    [
        (15, 0, 0),
        (16, 0, 1),
        (30, 0, 1),
        (31, 0, 1),  # 2 points + 0 = 2 → 1
        (60, 0, 1),
        (61, 0, 2),  # 3 points + 0 = 3 → 2
        (61, 3, 3),  # 3 + 3 = 6 → 3
        (15, 1, 1),  # 0 + 1 = 1 → 1
        (30, 1, 1),  # 1 + 1 = 2 → 1
        (30, 2, 2),  # 1 + 2 = 3 → 2
        (60, 2, 2),  # 2 + 2 = 4 → 2
        (61, 2, 3),  # 3 + 2 = 5 → 3
        (15.5, 0, 1),  # more than 15 minutes
    ],
)
def test_psqi_latency_component(minutes: float, q5a: int, component: int) -> None:
    result = calculate("psqi", {**GOOD_NIGHT, "q2_latency_min": minutes, "q5a": q5a})
    assert result.details["c2_latency"] == component


@pytest.mark.parametrize(
    ("hours", "component"),
    [(8, 0), (7, 0), (6.99, 1), (6, 1), (5.99, 2), (5, 2), (4.99, 3), (0, 3)],
)
def test_psqi_duration_component_convention(hours: float, component: int) -> None:
    # ≥ 7 → 0, ≥ 6 → 1, ≥ 5 → 2, else 3 (the reference sheet's convention for > 7 / 6–7 / 5–6).
    answers = {**GOOD_NIGHT, "q1_bedtime_hour": 0.0, "q3_rise_hour": 12.0, "q4_sleep_hours": hours}
    assert calculate("psqi", answers).details["c3_duration"] == component


@pytest.mark.parametrize(
    ("bed", "rise", "sleep", "in_bed", "component"),
    [
        (23.0, 7.0, 6.8, 8.0, 0),  # 85 % exactly → 0
        (23.0, 7.0, 6.7, 8.0, 1),  # 83.75 %
        (23.0, 7.0, 6.0, 8.0, 1),  # 75 % exactly → 1
        (23.0, 7.0, 5.2, 8.0, 2),  # 65 % exactly → 2
        (23.0, 7.0, 5.1, 8.0, 3),  # 63.75 %
        (22.0, 6.0, 7.5, 8.0, 0),  # across midnight
        (0.5, 7.5, 6.0, 7.0, 0),  # bedtime after midnight: 6 / 7 = 85.7 %
        (1.0, 9.0, 6.0, 8.0, 1),  # after midnight, 75 %
        (21.0, 23.0, 1.5, 2.0, 1),  # same evening, no midnight
        (0.0, 24.0, 7.0, 24.0, 3),  # 24:00 is midnight of the next day
        (23.0, 23.0, 8.0, 24.0, 3),  # equal clock times read as 24 h in bed
    ],
)
def test_psqi_efficiency_handles_midnight(
    bed: float, rise: float, sleep: float, in_bed: float, component: int
) -> None:
    answers = {**GOOD_NIGHT, "q1_bedtime_hour": bed, "q3_rise_hour": rise, "q4_sleep_hours": sleep}
    details = calculate("psqi", answers).details
    assert details["time_in_bed_hours"] == pytest.approx(in_bed)
    assert details["c4_efficiency"] == component


def test_psqi_efficiency_is_capped_at_100_percent() -> None:
    answers = {**GOOD_NIGHT, "q1_bedtime_hour": 23.0, "q3_rise_hour": 5.0, "q4_sleep_hours": 8}
    details = calculate("psqi", answers).details
    assert details["efficiency_percent"] == 100.0 and details["c4_efficiency"] == 0


@pytest.mark.parametrize(
    ("disturbance_total", "component"),
    [(0, 0), (1, 1), (9, 1), (10, 2), (18, 2), (19, 3), (27, 3)],
)
def test_psqi_disturbance_component(disturbance_total: int, component: int) -> None:
    answers = dict(GOOD_NIGHT)
    left = disturbance_total
    for letter in "bcdefghij":
        answers[f"q5{letter}"] = min(3, left)
        left -= answers[f"q5{letter}"]
    assert calculate("psqi", answers).details["c5_disturbance"] == component


def test_psqi_q5a_counts_only_in_latency_and_q5j_defaults_to_zero() -> None:
    result = calculate("psqi", {**GOOD_NIGHT, "q5a": 3})
    assert result.details["c5_disturbance"] == 0 and result.details["c2_latency"] == 2
    assert calculate("psqi", GOOD_NIGHT).inputs["q5j"] == 0
    assert calculate("psqi", {**GOOD_NIGHT, "q5j": 1}).details["c5_disturbance"] == 1


@pytest.mark.parametrize(
    ("daytime", "component"), [((0, 0), 0), ((1, 0), 1), ((1, 1), 1), ((3, 0), 2), ((2, 2), 2)]
)
def test_psqi_daytime_component(daytime: tuple[int, int], component: int) -> None:
    answers = {**GOOD_NIGHT, "q8_sleepy": daytime[0], "q9_enthusiasm": daytime[1]}
    assert calculate("psqi", answers).details["c7_daytime"] == component
    answers = {**GOOD_NIGHT, "q8_sleepy": 3, "q9_enthusiasm": 2}
    assert calculate("psqi", answers).details["c7_daytime"] == 3


@pytest.mark.parametrize(
    ("global_score", "category", "chinese_poor"),
    [
        (5, "good_sleeper", False),
        (6, "poor_sleeper", False),
        (7, "poor_sleeper", False),
        (8, "poor_sleeper", True),
    ],
)
def test_psqi_cutoffs_buysse_and_chinese(
    global_score: int, category: str, chinese_poor: bool
) -> None:
    # Q6 (C1), Q7 (C6) give 0–3 each; C7 via Q8 + Q9 (5–6 → 3) adds the rest.
    c1 = min(3, global_score)
    c6 = min(3, global_score - c1)
    c7 = global_score - c1 - c6
    q8, q9 = {0: (0, 0), 1: (1, 0), 2: (3, 0), 3: (3, 3)}[c7]
    answers = {
        **GOOD_NIGHT,
        "q6_quality": c1,
        "q7_medication": c6,
        "q8_sleepy": q8,
        "q9_enthusiasm": q9,
    }
    result = calculate("psqi", answers)
    assert result.value == global_score and result.category == category
    assert result.details["poor_by_chinese_cutoff"] is chinese_poor


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"q2_latency_min": -5}, "q2_latency_min", "impossible"),
        ({"q1_bedtime_hour": 25}, "q1_bedtime_hour", "impossible"),
        ({"q1_bedtime_hour": "23:30"}, "q1_bedtime_hour", "not_a_number"),
        ({"q4_sleep_hours": 30}, "q4_sleep_hours", "impossible"),
        ({"q5c": 4}, "q5c", "impossible"),
        ({"q6_quality": None}, "q6_quality", "missing"),
        ({"q10": 1}, "q10", "unknown_input"),
    ],
)
def test_psqi_refusals_name_the_input(change: dict[str, Any], field: str, code: str) -> None:
    assert_refused("psqi", {**GOOD_NIGHT, **change}, field, code)


# --- AUDIT-C (Bush 1998; Bradley 2003) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("sex", "answers", "category"),
    [
        ("M", (1, 1, 1), "negative"),  # 3 < 4
        ("M", (2, 1, 1), "positive"),  # 4 ≥ 4
        ("F", (1, 1, 0), "negative"),  # 2 < 3
        ("F", (1, 1, 1), "positive"),  # 3 ≥ 3
        ("M", (0, 0, 0), "negative"),
        ("F", (4, 4, 4), "positive"),
    ],
)
def test_audit_c_cutoffs_by_sex(sex: str, answers: tuple[int, int, int], category: str) -> None:
    given = {"item_1": answers[0], "item_2": answers[1], "item_3": answers[2], "sex": sex}
    result = calculate("audit_c", given)
    assert result.value == sum(answers) and result.category == category
    assert result.details["cutoff"] == (4 if sex == "M" else 3)
    label = "筛查阳性" if category == "positive" else "筛查阴性"
    assert str(sum(answers)) in result.explanation_zh and label in result.explanation_zh
    assert f"{category} screen" in result.explanation_en


def test_audit_c_points_from_frequency_alone_read_as_low_risk() -> None:
    result = calculate("audit_c", {"item_1": 4, "item_2": 0, "item_3": 0, "sex": "男"})
    assert result.category == "positive" and result.details["only_frequency"] is True
    assert "低风险" in result.explanation_zh and "low-risk" in result.explanation_en
    mixed = calculate("audit_c", {"item_1": 3, "item_2": 1, "item_3": 0, "sex": "M"})
    assert mixed.details["only_frequency"] is False and "low-risk" not in mixed.explanation_en
    none = calculate("audit_c", {"item_1": 0, "item_2": 0, "item_3": 0, "sex": "F"})
    assert none.details["only_frequency"] is False


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"sex": None}, "sex", "missing"),
        ({"sex": "X"}, "sex", "sex"),
        ({"item_2": 5}, "item_2", "impossible"),
        ({"drinks_per_week": 3}, "drinks_per_week", "unknown_input"),
    ],
)
def test_audit_c_refusals(change: dict[str, Any], field: str, code: str) -> None:
    inputs = {"item_1": 1, "item_2": 1, "item_3": 1, "sex": "F", **change}
    assert_refused("audit_c", inputs, field, code)


# --- TCM constitution (ZYYXH/T157-2009) -----------------------------------------------------------

EXAMPLE_1 = {
    "pinghe": 75,
    "qixu": 56,
    "yangxu": 27,
    "yinxu": 25,
    "tanshi": 12,
    "shire": 15,
    "xueyu": 20,
    "qiyu": 18,
    "tebing": 10,
}
EXAMPLE_2 = {**EXAMPLE_1, "qixu": 16, "tanshi": 32, "shire": 25, "xueyu": 10}


def test_tcm_published_example_1_is_qixu_not_pinghe() -> None:
    # 示例1: 平和 75 but 气虚 56 ≥ 40 → not 平和质; 气虚质 (是).
    result = judge(EXAMPLE_1)
    assert result.category == "biased" and result.judgements["pinghe"] == "no"
    assert result.biased_yes == ["qixu"] and result.biased_tending == []
    assert result.judgements["yangxu"] == "no"


def test_tcm_published_example_2_is_basically_pinghe_tending_to_tanshi() -> None:
    # 示例2: 平和 75, 痰湿 32 (30–39) → 基本是平和质, 有痰湿质倾向.
    result = judge(EXAMPLE_2)
    assert result.category == "basically_pinghe" and result.judgements["pinghe"] == "basically"
    assert result.biased_yes == [] and result.biased_tending == ["tanshi"]


@pytest.mark.parametrize(
    ("pinghe", "highest", "category", "judgement"),
    [
        (60, 29.99, "pinghe", "no"),
        (60, 30, "basically_pinghe", "tending"),
        (60, 39.99, "basically_pinghe", "tending"),
        (60, 40, "biased", "yes"),
        (59.99, 0, "biased", "no"),
        (100, 0, "pinghe", "no"),
    ],
)
def test_tcm_judgement_boundaries(
    pinghe: float, highest: float, category: str, judgement: str
) -> None:
    scores = {t: 0.0 for t in BIASED_TYPES} | {"pinghe": pinghe, "xueyu": highest}
    result = judge(scores)
    assert result.category == category
    assert result.judgements["xueyu"] == judgement
    assert all(result.judgements[t] == "no" for t in BIASED_TYPES if t != "xueyu")


def test_tcm_judge_needs_all_nine_scores() -> None:
    with pytest.raises(KeyError):
        judge({"pinghe": 75})


def tcm_answers(**given: int) -> dict[str, int]:
    """Every item 1 (没有) except those given."""
    answers = {spec.key: 1 for spec in TCM_INPUTS}
    answers.update(given)
    return answers


def test_tcm_has_sixty_distinct_items() -> None:
    assert len(TCM_INPUTS) == 60
    counts = {t: len(keys) for t, keys in TCM_TYPE_ITEMS.items()}
    assert counts == {
        "pinghe": 8,
        "qixu": 8,
        "yangxu": 7,
        "yinxu": 8,
        "tanshi": 8,
        "shire": 6,
        "xueyu": 7,
        "qiyu": 7,
        "tebing": 7,
    }


def test_tcm_item_level_case_computed_by_hand() -> None:
    answers = tcm_answers(
        pinghe_1=4,
        pinghe_6=4,
        pinghe_7=2,
        qixu_1=3,
        qixu_2=2,
        qixu_4=2,
        qixu_5=3,
        qixu_6=2,
        qixu_7=2,
        qixu_8=3,
        yangxu_1=4,
        yangxu_2=3,
        yangxu_3=3,
        yangxu_4=3,
        yangxu_6=4,
        yangxu_7=2,
        **{f"tanshi_{i}": 2 for i in range(1, 9)},
        shire_3=2,
        xueyu_6=3,
        qiyu_1=2,
        tebing_1=3,
        tebing_2=3,
        tebing_3=2,
        tebing_4=2,
    )
    result = calculate("tcm_constitution", answers)
    converted = result.details["converted"]
    # 平和: 4 + (6−3) + (6−2) + (6−2) + (6−3) + 4 + (6−2) + (6−3) = 29 → (29−8)/32 = 65.625
    assert result.value == pytest.approx(65.625)
    assert converted["qixu"] == pytest.approx(31.25)  # raw 18: (18−8)/32
    assert converted["yangxu"] == pytest.approx(1500 / 28)  # raw 22 incl. 气虚5 = 3: 15/28
    assert converted["yinxu"] == 0
    assert converted["tanshi"] == pytest.approx(25.0)  # raw 16: 8/32
    assert converted["shire"] == pytest.approx(100 / 24)  # raw 7: 1/24
    assert converted["xueyu"] == pytest.approx(200 / 28)  # raw 9: 2/28
    assert converted["qiyu"] == pytest.approx(100 / 28)  # raw 8: 1/28
    assert converted["tebing"] == pytest.approx(600 / 28)  # raw 13: 6/28
    assert result.category == "biased"  # 平和 ≥ 60 but 阳虚 53.6 ≥ 40
    assert result.details["biased_yes"] == ["yangxu"]
    assert result.details["biased_tending"] == ["qixu"]
    assert result.details["judgement"]["tanshi"] == "no"
    assert "65.6" in result.explanation_zh and "偏颇体质" in result.explanation_zh
    assert "阳虚质" in result.explanation_zh and "气虚质" in result.explanation_zh
    assert "65.6" in result.explanation_en and "biased constitution" in result.explanation_en


def test_tcm_balanced_respondent_is_pinghe() -> None:
    # Every complaint "没有" (1), the two positive 平和 items "总是" (5): 平和 raw 40 → 100.
    result = calculate("tcm_constitution", tcm_answers(pinghe_1=5, pinghe_6=5))
    assert result.value == 100 and result.category == "pinghe"
    assert all(result.details["converted"][t] == 0 for t in BIASED_TYPES)
    assert result.details["biased_yes"] == [] and result.details["biased_tending"] == []
    assert "100.0" in result.explanation_zh and "“平和质”" in result.explanation_zh


def test_tcm_low_pinghe_without_a_biased_type_is_biased_and_called_atypical() -> None:
    # 平和 items all "有时" (3): raw 24 → 50 < 60; every 偏颇 item 1 except the shared ones at 3.
    answers = tcm_answers(pinghe_1=3, pinghe_6=3, pinghe_7=3, qixu_1=3, qixu_7=3, qiyu_1=3)
    answers.update(yangxu_4=3, xueyu_6=3)
    result = calculate("tcm_constitution", answers)
    assert result.value == pytest.approx(50.0) and result.category == "biased"
    assert result.details["biased_yes"] == [] and result.details["biased_tending"] == []
    assert "不典型" in result.explanation_zh and "atypical" in result.explanation_en


def test_tcm_basically_pinghe_at_item_level() -> None:
    # 痰湿 raw 18 → 31.25 (倾向是); 平和 100 → 基本是平和质.
    answers = tcm_answers(
        pinghe_1=5,
        pinghe_6=5,
        tanshi_1=3,
        tanshi_2=3,
        tanshi_3=3,
        tanshi_4=3,
        tanshi_5=3,
        tanshi_6=1,
        tanshi_7=1,
        tanshi_8=1,
    )
    result = calculate("tcm_constitution", answers)
    assert result.details["converted"]["tanshi"] == pytest.approx(31.25)
    assert result.category == "basically_pinghe" and result.details["biased_tending"] == ["tanshi"]
    assert "基本是平和质" in result.explanation_zh and "痰湿质" in result.explanation_zh


def test_tcm_reverse_scored_pinghe_items_lower_the_pinghe_score() -> None:
    # 易失眠 (平和 7, reverse-scored) answered 5 instead of 1: 平和 raw 40 → 36.
    result = calculate("tcm_constitution", tcm_answers(pinghe_1=5, pinghe_6=5, pinghe_7=5))
    assert result.value == pytest.approx(87.5)


def test_tcm_shared_items_are_one_answer_under_either_key() -> None:
    by_qixu = calculate("tcm_constitution", tcm_answers(qixu_1=5))
    answers = tcm_answers()
    del answers["qixu_1"]
    by_pinghe = calculate("tcm_constitution", {**answers, "pinghe_2": 5})
    assert by_pinghe.details["converted"] == by_qixu.details["converted"]
    assert by_qixu.details["converted"]["qixu"] == pytest.approx(12.5)
    # 平和 with every item 1: 1 + 1 + 6 × 5 (reversed) = 32 → 75; 平和 2 reversed 5 → 1: 62.5.
    assert calculate("tcm_constitution", tcm_answers()).value == pytest.approx(75.0)
    assert by_qixu.value == pytest.approx(62.5)
    # 气虚 5 counts in 阳虚 too.
    colds = calculate("tcm_constitution", tcm_answers(qixu_5=5)).details["converted"]
    assert colds["yangxu"] == pytest.approx(400 / 28) and colds["qixu"] == pytest.approx(12.5)


@pytest.mark.parametrize(
    ("change", "drop", "field", "code"),
    [
        ({"pinghe_2": 3}, None, "qixu_1", "given_twice"),
        ({"tanshi_3": 0}, None, "tanshi_3", "impossible"),
        ({"tanshi_3": 6}, None, "tanshi_3", "impossible"),
        ({"qiyu_2": 2.5}, None, "qiyu_2", "not_an_integer"),
        ({}, "shire_6", "shire_6", "missing"),
        ({"shire_7": 1}, None, "shire_7", "unknown_input"),
    ],
)
def test_tcm_refusals(change: dict[str, Any], drop: str | None, field: str, code: str) -> None:
    answers: dict[str, Any] = {**tcm_answers(), **change}
    if drop:
        del answers[drop]
    assert_refused("tcm_constitution", answers, field, code)


# --- scalar and vectorised agree ------------------------------------------------------------------

N = 3000


def skewed_answers(
    pop: Population, keys: list[str], low: int, high: int, top: float = 1
) -> dict[str, np.ndarray]:
    """Answers whose level (0 to `top`) varies by row, so every band is reached."""
    level = pop.uniform(0, top)
    return {k: (low + pop.rng.binomial(high - low, level)).astype(float) for k in keys}


@pytest.mark.parametrize(("model", "n_items"), [("phq9", 9), ("gad7", 7)])
def test_phq9_and_gad7_scalar_and_vectorised_agree(model: str, n_items: int) -> None:
    pop = Population(20240605, N)
    columns = skewed_answers(pop, [f"item_{i}" for i in range(1, n_items + 1)], 0, 3)
    columns["item_1"][::211] = 4  # impossible
    columns["item_2"][::307] = 1.5  # not an integer
    result = assert_paths_agree(model, columns)
    assert result.refused.sum() > 0
    assert set(result.category[~result.refused]) >= {"minimal", "mild", "moderate", "severe"}


def test_psqi_scalar_and_vectorised_agree() -> None:
    pop = Population(11, N)
    frequencies = [f"q5{c}" for c in "abcdefghij"] + [
        "q6_quality",
        "q7_medication",
        "q8_sleepy",
        "q9_enthusiasm",
    ]
    columns = skewed_answers(pop, frequencies, 0, 3)
    columns["q1_bedtime_hour"] = np.round(pop.uniform(0, 24) * 4) / 4
    columns["q3_rise_hour"] = np.round(pop.uniform(0, 24) * 4) / 4
    columns["q4_sleep_hours"] = np.round(pop.uniform(2, 10) * 2) / 2
    columns["q2_latency_min"] = pop.choice([5, 15, 16, 30, 31, 45, 60, 61, 90]).astype(float)
    # boundary rows: equal clock times, 24:00, exact efficiency thresholds
    columns["q1_bedtime_hour"][:4] = [23.0, 23.0, 23.0, 0.0]
    columns["q3_rise_hour"][:4] = [7.0, 7.0, 23.0, 24.0]
    columns["q4_sleep_hours"][:4] = [6.8, 5.2, 8.0, 7.0]
    columns["q1_bedtime_hour"][::401] = 25  # impossible
    columns["q2_latency_min"][::503] = -1  # impossible
    result = assert_paths_agree("psqi", columns)
    assert result.refused.sum() > 0
    assert set(result.category[~result.refused]) == {"good_sleeper", "poor_sleeper"}


def test_audit_c_scalar_and_vectorised_agree() -> None:
    pop = Population(3, N)
    columns = skewed_answers(pop, ["item_1", "item_2", "item_3"], 0, 4)
    columns["sex"] = pop.sex()
    columns["sex"][::97] = "X"  # refused
    columns["item_3"][::389] = 5  # impossible
    result = assert_paths_agree("audit_c", columns)
    assert result.refused.sum() > 0
    assert set(result.category[~result.refused]) == {"positive", "negative"}


def test_tcm_scalar_and_vectorised_agree() -> None:
    pop = Population(2009, 2000)
    columns = skewed_answers(pop, [spec.key for spec in TCM_INPUTS], 1, 5, top=0.45)
    healthy = pop.uniform(0, 1) < 0.6
    for key in ("pinghe_1", "pinghe_6"):
        columns[key] = np.where(healthy, 5.0, columns[key])
    columns["tanshi_1"][::173] = 0  # impossible
    columns["qiyu_3"][::251] = 3.5  # not an integer
    result = assert_paths_agree("tcm_constitution", columns)
    assert result.refused.sum() > 0
    assert set(result.category[~result.refused]) == {"pinghe", "basically_pinghe", "biased"}
