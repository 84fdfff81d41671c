"""Body weight: BMI and waist classes for Chinese adults (WS/T 428-2013《成人体重判定》).

Source: WS/T 428-2013, as quoted by several pages (clinical-references.md §7.1) [I]. Classes
are half-open intervals: 体重过低 < 18.5 ≤ 体重正常 < 24.0 ≤ 超重 < 28.0 ≤ 肥胖; waist 中心型
肥胖前期 85 ≤ men < 90 cm, 80 ≤ women < 85 cm; 中心型肥胖 men ≥ 90, women ≥ 85 cm. Adults
(≥ 18 years) only: the standard does not classify children, so younger ages are refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..inputs import AGE, BMI, HEIGHT, SEX_INPUT, WAIST, WEIGHT, narrowed
from ..registry import REFUSE, Category, Model, Outcome, register

CITATION = "WS/T 428-2013 成人体重判定 (国家卫生和计划生育委员会, 2013)"
ADULT = narrowed(AGE, valid=(18, None), outside=REFUSE, required=False, default=None)

BMI_CLASSES = (
    Category("underweight", "体重过低", "underweight"),
    Category("normal", "体重正常", "normal weight"),
    Category("overweight", "超重", "overweight"),
    Category("obese", "肥胖", "obese"),
)


def bmi_class(bmi: Any, xp: Any) -> Any:
    return xp.select(
        [bmi < 18.5, bmi < 24.0, bmi < 28.0], ["underweight", "normal", "overweight"], "obese"
    )


def _bmi(x: Mapping[str, Any], xp: Any) -> Outcome:
    metres = x["height_cm"] / 100
    value = x["weight_kg"] / (metres * metres)
    return Outcome(value, bmi_class(value, xp))


def _explain_bmi(value: Any, category: str | None, x: Mapping[str, Any], _: Any) -> tuple[str, str]:
    label = {c.code: c for c in BMI_CLASSES}[str(category)]
    metres = x["height_cm"] / 100
    return (
        f"体质指数 {value:.1f} kg/m²（体重 {x['weight_kg']:g} kg ÷ 身高 {metres:g} m 的平方），"
        f"按 WS/T 428-2013 属于“{label.label_zh}”（正常范围 18.5–23.9）。",
        f"BMI {value:.1f} kg/m² (weight {x['weight_kg']:g} kg over height {metres:g} m "
        f"squared): {label.label_en} by WS/T 428-2013 (normal 18.5–23.9).",
    )


register(
    Model(
        id="bmi",
        title_zh="体质指数及分类",
        title_en="Body-mass index and its class",
        citation=CITATION,
        inputs=(WEIGHT, HEIGHT, ADULT),
        formula=_bmi,
        unit="kg/m2",
        categories=BMI_CLASSES,
        explain=_explain_bmi,
        notes="BMI = weight / height²; classes are half-open intervals, so 23.95 is 体重正常.",
    )
)


def _bmi_given(x: Mapping[str, Any], xp: Any) -> Outcome:
    return Outcome(x["bmi_kg_m2"], bmi_class(x["bmi_kg_m2"], xp))


register(
    Model(
        id="bmi_class",
        title_zh="体质指数分类（已知 BMI）",
        title_en="BMI class from a known BMI",
        citation=CITATION,
        inputs=(BMI, ADULT),
        formula=_bmi_given,
        unit="kg/m2",
        categories=BMI_CLASSES,
        explain=lambda v, c, x, d: _explain_bmi_only(v, c),
    )
)


def _explain_bmi_only(value: Any, category: str | None) -> tuple[str, str]:
    label = {c.code: c for c in BMI_CLASSES}[str(category)]
    return (
        f"体质指数 {value:.1f} kg/m²，按 WS/T 428-2013 属于“{label.label_zh}”"
        "（正常范围 18.5–23.9）。",
        f"BMI {value:.1f} kg/m²: {label.label_en} by WS/T 428-2013 (normal 18.5–23.9).",
    )


WAIST_CLASSES = (
    Category("normal", "腰围正常", "normal waist"),
    Category("pre_central_obesity", "中心型肥胖前期", "central pre-obesity"),
    Category("central_obesity", "中心型肥胖", "central obesity"),
)


def _waist(x: Mapping[str, Any], xp: Any) -> Outcome:
    male = x["sex"] == "M"
    pre = xp.where(male, 85.0, 80.0)
    obese = xp.where(male, 90.0, 85.0)
    waist = x["waist_cm"]
    return Outcome(
        waist,
        xp.select(
            [waist < pre, waist < obese], ["normal", "pre_central_obesity"], "central_obesity"
        ),
    )


def _explain_waist(
    value: Any, category: str | None, x: Mapping[str, Any], _: Any
) -> tuple[str, str]:
    label = {c.code: c for c in WAIST_CLASSES}[str(category)]
    pre, obese = (85, 90) if x["sex"] == "M" else (80, 85)
    sex_zh, sex_en = ("男性", "men") if x["sex"] == "M" else ("女性", "women")
    return (
        f"腰围 {value:g} cm，属于“{label.label_zh}”（WS/T 428-2013：{sex_zh} "
        f"{pre}–{obese - 0.1:g} cm 为中心型肥胖前期，≥ {obese} cm 为中心型肥胖）。",
        f"Waist {value:g} cm: {label.label_en} (WS/T 428-2013, {sex_en}: {pre}–<{obese} cm "
        f"central pre-obesity, ≥ {obese} cm central obesity).",
    )


register(
    Model(
        id="waist_class",
        title_zh="腰围分类（中心型肥胖）",
        title_en="Waist class (central obesity)",
        citation=CITATION,
        inputs=(WAIST, SEX_INPUT, ADULT),
        formula=_waist,
        unit="cm",
        categories=WAIST_CLASSES,
        explain=_explain_waist,
    )
)
