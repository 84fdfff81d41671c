"""Energy and lifestyle targets: resting energy, the daily energy target, the 2022 Chinese dietary
guideline's daily quantities, and the WHO 2020 physical-activity check.

Sources (clinical-references.md §11; confidence tags as there):
- Mifflin MD, St Jeor ST, Hill LA, Scott BJ, Daugherty SA, Koh YO. A new predictive equation for
  resting energy expenditure in healthy individuals. Am J Clin Nutr 1990;51:241-247 [P: abstract
  read on mirrored copies of the paper]. REE = 10 W + 6.25 H − 5 A + 5 (men) / − 161 (women);
  derived on 498 healthy adults (251 men, 247 women) aged 19–78 y (45 ± 14), 264 of normal weight
  and 234 obese, REE measured by indirect calorimetry.
- 中国营养学会. 中国居民膳食营养素参考摄入量 (2013版): energy requirement = basal energy × PAL.
  The adult reference EER table (18–49 y: men 2250/2600/3000, women 1800/2100/2400 kcal/d; 50–64 y:
  men 2100/2450/2800, women 1750/2050/2350 kcal/d at light/moderate/heavy activity) [I]. PAL
  1.50/1.75/2.00 [I by derivation: the printed EER rows stand in exactly that ratio; the PAL values
  themselves were not read in the primary text]. The 2023 edition's PAL 1.40/1.70/2.00 could not
  be confirmed and is not used.
- 国家卫生健康委办公厅. 成人肥胖食养指南 (2024年版): restricted-energy balanced diet — cut 500–1000
  kcal/d, or men 1200–1500 and women 1000–1200 kcal/d; intake should stay above basal needs [I].
- 中国营养学会. 中国居民膳食指南 (2022): the eight 准则 and the 2022 pyramid [P for 准则二 and
  准则五, read on dg.cnsoc.org; I for the others, quoted by several pages].
- Bull FC, Al-Ansari SS, Biddle S, et al. World Health Organization 2020 guidelines on physical
  activity and sedentary behaviour. Br J Sports Med 2020;54:1451-1462 [P per the reference
  sheet; the adult and older-adult recommendations re-read on pages quoting them].
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..inputs import AGE, HEIGHT, SEX_INPUT, WEIGHT, narrowed
from ..registry import CHOICE, INTEGER, REFUSE, WARN, Category, Input, Model, Outcome, register
from ._shared import label_of, nan_if_missing, sex_words

# --- helpers of this module -----------------------------------------------------------------------


def _by_sex(table: Mapping[str, float], sex: Any, xp: Any) -> Any:
    """The men's ("M") or the women's ("F") entry of a table, by each row's sex."""
    return xp.where(sex == "M", table["M"], table["F"])


def _none_if_nan(value: Any) -> Any:
    """For one customer's details: an absent number is None (JSON null), not NaN."""
    return None if isinstance(value, float) and math.isnan(value) else value


def _kcal(value: Any) -> str:
    return f"{value:.0f}"


# --- Mifflin–St Jeor resting energy expenditure ---------------------------------------------------

MIFFLIN_CITATION = (
    "Mifflin MD, St Jeor ST, Hill LA, et al. A new predictive equation for resting energy "
    "expenditure in healthy individuals. Am J Clin Nutr 1990;51:241-247"
)
# The derivation sample's ages (19–78 y): computed with a warning outside.
MIFFLIN_AGE = narrowed(AGE, valid=(19, 78), outside=WARN)
MIFFLIN_SEX_CONSTANT_KCAL_D = {"M": 5.0, "F": -161.0}


def mifflin_ree(x: Mapping[str, Any], xp: Any) -> Any:
    """REE in kcal/d = 10 × weight (kg) + 6.25 × height (cm) − 5 × age (y) + 5 (men) / − 161."""
    constant = _by_sex(MIFFLIN_SEX_CONSTANT_KCAL_D, x["sex"], xp)
    return 10.0 * x["weight_kg"] + 6.25 * x["height_cm"] - 5.0 * x["age_years"] + constant


def _mifflin(x: Mapping[str, Any], xp: Any) -> Outcome:
    value = mifflin_ree(x, xp)
    constant = _by_sex(MIFFLIN_SEX_CONSTANT_KCAL_D, x["sex"], xp)
    return Outcome(value, None, {"ree_kcal_d": value, "sex_constant_kcal_d": constant})


def _explain_mifflin(
    value: Any, _category: str | None, x: Mapping[str, Any], _details: Any
) -> tuple[str, str]:
    sex_zh, sex_en = sex_words(x["sex"])
    sign = "+ 5" if x["sex"] == "M" else "− 161"
    weight, height, age = x["weight_kg"], x["height_cm"], x["age_years"]
    return (
        f"静息能量消耗约 {_kcal(value)} kcal/d（Mifflin-St Jeor 公式，{sex_zh}："
        f"10×{weight:g} kg + 6.25×{height:g} cm − 5×{age:g} 岁 {sign}）。"
        "这是安静休息时一天消耗的能量，不含身体活动；公式来自 1990 年美国 19–78 岁健康成人样本，"
        "个体误差可达 ±10%。",
        f"Resting energy expenditure about {_kcal(value)} kcal/d (Mifflin-St Jeor, {sex_en}: "
        f"10×{weight:g} kg + 6.25×{height:g} cm − 5×{age:g} y {sign}). This is the energy used "
        "at rest in a day, without activity; the equation comes from healthy US adults aged "
        "19–78 (1990) and can be off by ±10% for one person.",
    )


register(
    Model(
        id="mifflin_st_jeor",
        title_zh="静息能量消耗（Mifflin-St Jeor 公式）",
        title_en="Resting energy expenditure (Mifflin-St Jeor)",
        citation=MIFFLIN_CITATION,
        inputs=(WEIGHT, HEIGHT, MIFFLIN_AGE, SEX_INPUT),
        formula=_mifflin,
        unit="kcal/d",
        explain=_explain_mifflin,
        notes=(
            "REE = 10·weight(kg) + 6.25·height(cm) − 5·age(y) + 5 (men) or − 161 (women), the "
            "paper's per-sex simplification of 9.99·W + 6.25·H − 4.92·A + 166·male − 161. "
            "Derived on 498 healthy adults (251 men, 247 women) aged 19–78 y (mean 45 ± 14), 264 "
            "of normal weight and 234 obese, REE by indirect calorimetry [P, abstract]; ages "
            "outside 19–78 are computed with a warning. A US sample: its accuracy in Chinese "
            "adults was not checked here. Worked example: man 70 kg, 175 cm, 30 y → 1648.75 kcal/d."
        ),
        decimals=0,
    )
)


# --- daily energy target: REE × PAL (Chinese DRIs) ------------------------------------------------

# PAL by activity level, 中国居民膳食营养素参考摄入量 (2013版), adults. The one table of PAL values.
# [I by derivation]: the 2013 adult EER rows are in exactly the ratio 1.50 : 1.75 : 2.00 (women
# 18–49: 1800 / 2100 / 2400 kcal/d), and the 2022 dietary guideline quotes that table. The 2023
# edition is reported to use 1.40 / 1.70 / 2.00 — unconfirmed, not used.
PAL_DRIS_2013 = {"low": 1.50, "moderate": 1.75, "high": 2.00}
PAL_SOURCE = "中国居民膳食营养素参考摄入量 (2013版)"

# Reference energy requirement (EER, kcal/d) of the 2013 DRIs table [I], by age band, sex and
# activity level (low/light, moderate, high/heavy). Older bands (65–79, ≥ 80) are not given:
# their values were not confirmed, and the table has no heavy level there.
EER_DRIS_2013_KCAL_D = {
    (18, 50): {"M": (2250.0, 2600.0, 3000.0), "F": (1800.0, 2100.0, 2400.0)},
    (50, 65): {"M": (2100.0, 2450.0, 2800.0), "F": (1750.0, 2050.0, 2350.0)},
}

# Weight loss (成人肥胖食养指南 2024年版 [I]): cut 500–1000 kcal/d; restricted-energy diets of
# men 1200–1500, women 1000–1200 kcal/d; stay above basal needs. Product choice: the smaller cut
# (500), never below the larger of REE and the sex's lower bound, never above maintenance.
WEIGHT_LOSS_DEFICIT_KCAL_D = 500.0
WEIGHT_LOSS_MINIMUM_KCAL_D = {"M": 1200.0, "F": 1000.0}
OBESITY_DIET_SOURCE = "成人肥胖食养指南 (2024年版)"

ENERGY_CITATION = (
    f"REE: {MIFFLIN_CITATION}; PAL and reference EER: 中国营养学会, {PAL_SOURCE}; "
    f"weight-loss deficit: 国家卫生健康委办公厅, {OBESITY_DIET_SOURCE}"
)

ACTIVITY_LEVEL = Input(
    "activity_level",
    CHOICE,
    "身体活动水平",
    "physical activity level",
    choices=("low", "moderate", "high"),
)
TARGET = Input(
    "target",
    CHOICE,
    "能量目标",
    "energy goal",
    choices=("maintain", "lose_weight"),
    required=False,
    default="maintain",
)

ACTIVITY_CLASSES = (
    Category("low", "轻身体活动水平", "low physical activity"),
    Category("moderate", "中身体活动水平", "moderate physical activity"),
    Category("high", "重身体活动水平", "high physical activity"),
)
_ACTIVITY_EXAMPLES = {
    "low": ("以坐为主，如办公室工作", "mostly sitting, such as office work"),
    "moderate": ("站立走动较多，如教师、售货员", "much standing and walking, e.g. teaching, sales"),
    "high": ("体力劳动或大量运动", "manual labour or much sport"),
}


def pal(level: Any, xp: Any) -> Any:
    return xp.select(
        [level == "low", level == "moderate"],
        [PAL_DRIS_2013["low"], PAL_DRIS_2013["moderate"]],
        PAL_DRIS_2013["high"],
    )


def reference_eer(age: Any, sex: Any, level: Any, xp: Any) -> Any:
    """The 2013 DRIs reference EER for the age band, sex and level; NaN where none is given."""
    by_band = []
    for table in EER_DRIS_2013_KCAL_D.values():
        men = xp.select([level == "low", level == "moderate"], list(table["M"][:2]), table["M"][2])
        women = xp.select(
            [level == "low", level == "moderate"], list(table["F"][:2]), table["F"][2]
        )
        by_band.append(xp.where(sex == "M", men, women))
    bands = list(EER_DRIS_2013_KCAL_D)
    return xp.select(
        [age < bands[0][0], age < bands[0][1], age < bands[1][1]],
        [math.nan, by_band[0], by_band[1]],
        math.nan,
    )


def _energy_target(x: Mapping[str, Any], xp: Any) -> Outcome:
    ree = mifflin_ree(x, xp)
    factor = pal(x["activity_level"], xp)
    maintain = ree * factor
    minimum = _by_sex(WEIGHT_LOSS_MINIMUM_KCAL_D, x["sex"], xp)
    floor = xp.maximum(ree, minimum)
    reduced = xp.minimum(maintain, xp.maximum(maintain - WEIGHT_LOSS_DEFICIT_KCAL_D, floor))
    lose = x["target"] == "lose_weight"
    value = xp.where(lose, reduced, maintain)
    metres = x["height_cm"] / 100
    bmi = x["weight_kg"] / (metres * metres)
    details = {
        "ree_kcal_d": ree,
        "pal": factor,
        "pal_source": PAL_SOURCE,
        "maintenance_kcal_d": maintain,
        "target": x["target"],
        "deficit_kcal_d": maintain - value,
        "floor_kcal_d": xp.where(lose, floor, math.nan),
        "reference_eer_kcal_d": reference_eer(x["age_years"], x["sex"], x["activity_level"], xp),
        "bmi_kg_m2": bmi,
        # WS/T 428-2013: weight loss is for overweight (BMI ≥ 24.0) or obesity.
        "weight_loss_indicated": bmi >= 24.0,
    }
    return Outcome(value, x["activity_level"], {k: _none_if_nan(v) for k, v in details.items()})


def _explain_energy(
    value: Any, category: str | None, x: Mapping[str, Any], details: Mapping[str, Any]
) -> tuple[str, str]:
    label = label_of(ACTIVITY_CLASSES, category)
    example_zh, example_en = _ACTIVITY_EXAMPLES[str(category)]
    ree, factor = details["ree_kcal_d"], details["pal"]
    maintain = details["maintenance_kcal_d"]
    zh = (
        f"每日能量目标约 {_kcal(value)} kcal/d。维持体重约需 {_kcal(maintain)} kcal/d："
        f"静息能量消耗 {_kcal(ree)} kcal/d（Mifflin-St Jeor）× 身体活动水平系数 {factor:g}"
        f"（{label.label_zh}，{example_zh}；{PAL_SOURCE}）。"
    )
    en = (
        f"Daily energy target about {_kcal(value)} kcal/d. Keeping weight needs about "
        f"{_kcal(maintain)} kcal/d: resting energy {_kcal(ree)} kcal/d (Mifflin-St Jeor) × "
        f"physical activity level {factor:g} ({label.label_en}: {example_en}; Chinese DRIs 2013)."
    )
    if x["target"] == "lose_weight":
        zh += (
            f"减重：在此基础上减少 {_kcal(details['deficit_kcal_d'])} kcal/d，"
            f"不低于 {_kcal(details['floor_kcal_d'])} kcal/d（静息能量消耗与男性 1200、"
            f"女性 1000 kcal/d 中的较高者；{OBESITY_DIET_SOURCE}）。"
        )
        en += (
            f" Weight loss: {_kcal(details['deficit_kcal_d'])} kcal/d less, never below "
            f"{_kcal(details['floor_kcal_d'])} kcal/d (the higher of resting energy and "
            "1200 kcal/d for men, 1000 for women; Chinese adult obesity diet guide 2024)."
        )
        if not details["weight_loss_indicated"]:
            zh += f"注意：BMI {details['bmi_kg_m2']:.1f} 未达超重（< 24.0），减重需先评估。"
            en += (
                f" Note: BMI {details['bmi_kg_m2']:.1f} is below overweight (< 24.0); "
                "review before advising weight loss."
            )
    reference = details["reference_eer_kcal_d"]
    if reference is not None:
        zh += f"同年龄性别的参考能量需要量为 {_kcal(reference)} kcal/d（{PAL_SOURCE}）。"
        en += f" The DRIs reference for this age, sex and level is {_kcal(reference)} kcal/d."
    return zh, en


register(
    Model(
        id="energy_target",
        title_zh="每日能量目标（静息能量 × 身体活动水平）",
        title_en="Daily energy target (resting energy × physical activity level)",
        citation=ENERGY_CITATION,
        inputs=(WEIGHT, HEIGHT, MIFFLIN_AGE, SEX_INPUT, ACTIVITY_LEVEL, TARGET),
        formula=_energy_target,
        unit="kcal/d",
        categories=ACTIVITY_CLASSES,
        explain=_explain_energy,
        notes=(
            "Energy requirement = REE (Mifflin-St Jeor) × PAL, with the adult PAL of the Chinese "
            "DRIs 2013: low 1.50, moderate 1.75, high 2.00 (PAL_DRIS_2013). Confidence [I by "
            "derivation]: the 2013 reference EER rows (18–49 y: men 2250/2600/3000, women "
            "1800/2100/2400 kcal/d) stand in exactly that ratio; the 2023 edition's reported "
            "1.40/1.70/2.00 could not be confirmed and is not used. The DRIs multiply basal "
            "energy, not Mifflin's resting energy (a little higher), so the product is an "
            "approximation (product choice). Details give the DRIs reference EER for 18–49 and "
            "50–64 y [I]; none for ≥ 65 (not confirmed). `lose_weight`: maintenance − 500 kcal/d, "
            "never below the higher of REE and 1200 kcal/d (men) / 1000 kcal/d (women), never "
            "above maintenance — the smaller cut and the lower bounds of 成人肥胖食养指南 "
            "(2024年版) [I]; combining them is a product choice. `weight_loss_indicated` is "
            "BMI ≥ 24.0 (WS/T 428-2013)."
        ),
        decimals=0,
    )
)


# --- 中国居民膳食指南 (2022): daily quantities ---------------------------------------------------

DIET_CITATION = "中国营养学会. 中国居民膳食指南 (2022). 北京: 人民卫生出版社, 2022 (平衡膳食八准则)"
DIET_AGE = narrowed(AGE, valid=(18, None), outside=REFUSE, required=False, default=None)
SALT_LIMIT_G_D = 5.0
WATER_ML_D = {"M": 1700.0, "F": 1500.0}  # low activity, temperate climate (准则六)
BMI_HEALTHY = {"adult": (18.5, 23.9), "older_adult": (20.0, 26.9)}  # 准则二 [P]

# key (unit in the key): low, high (None = open), unit, label_zh, label_en. Highs are "不超过"
# (at most) unless the label says otherwise.
DIET_QUANTITIES: dict[str, tuple[float | None, float | None, str, str, str]] = {
    "food_kinds_per_d": (12, None, "kinds/d", "每天食物种类", "kinds of food a day"),
    "food_kinds_per_week": (25, None, "kinds/wk", "每周食物种类", "kinds of food a week"),
    "grains_g_d": (200, 300, "g/d", "谷类", "grains"),
    "whole_grains_legumes_g_d": (50, 150, "g/d", "全谷物和杂豆", "whole grains and mixed beans"),
    "tubers_g_d": (50, 100, "g/d", "薯类", "tubers"),
    "vegetables_g_d": (300, 500, "g/d", "蔬菜（至少 300 g）", "vegetables (at least 300 g)"),
    "dark_vegetables_fraction": (0.5, None, "1", "深色蔬菜占蔬菜的比例", "dark vegetables share"),
    "fruit_g_d": (200, 350, "g/d", "新鲜水果（果汁不能代替）", "fresh fruit (not juice)"),
    "dairy_g_d": (300, 500, "g/d", "奶及奶制品（按液态奶计）", "dairy (as liquid milk)"),
    "soy_nuts_g_d": (25, 35, "g/d", "大豆及坚果", "soy and nuts"),
    "fish_poultry_eggs_meat_g_d": (120, 200, "g/d", "鱼禽蛋瘦肉", "fish, poultry, eggs, lean meat"),
    "fish_g_week": (300, 500, "g/wk", "水产品（每周至少 2 次）", "fish (at least twice a week)"),
    "meat_poultry_g_week": (300, 500, "g/wk", "畜禽肉", "meat and poultry"),
    "eggs_g_week": (300, 350, "g/wk", "蛋类（约每天 1 个）", "eggs (about one a day)"),
    "salt_g_d": (None, SALT_LIMIT_G_D, "g/d", "食盐", "salt"),
    "cooking_oil_g_d": (25, 30, "g/d", "烹调油", "cooking oil"),
    "added_sugar_g_d": (None, 50, "g/d", "添加糖", "added sugar"),
    "added_sugar_preferred_g_d": (
        None,
        25,
        "g/d",
        "添加糖（最好 25 g 以下）",
        "added sugar, ideal",
    ),
    "trans_fat_g_d": (None, 2, "g/d", "反式脂肪酸", "trans fat"),
    "alcohol_g_d": (None, 15, "g/d", "酒精（成人如饮酒）", "alcohol, adults who drink"),
    "moderate_activity_days_per_week": (5, None, "d/wk", "中等强度活动天数", "moderate days"),
    "moderate_activity_min_per_week": (150, None, "min/wk", "中等强度活动累计", "moderate minutes"),
    "active_steps_per_d": (6000, None, "steps/d", "主动身体活动步数", "active steps"),
    "resistance_days_per_week": (2, 3, "d/wk", "抗阻运动天数", "resistance exercise days"),
    "sitting_break_interval_h": (None, 1, "h", "久坐后起来活动间隔", "break up sitting every"),
}


def _quantity(key: str) -> dict[str, Any]:
    low, high, unit, label_zh, label_en = DIET_QUANTITIES[key]
    return {
        "low": None if low is None else float(low),
        "high": None if high is None else float(high),
        "unit": unit,
        "label_zh": label_zh,
        "label_en": label_en,
    }


DIET_GROUPS = (
    Category("adult", "成年人（18–64 岁）", "adult (18–64 y)"),
    Category("older_adult", "老年人（≥ 65 岁）", "older adult (≥ 65 y)"),
)


def _dietary_guideline(x: Mapping[str, Any], xp: Any) -> Outcome:
    older = nan_if_missing(x["age_years"]) >= 65
    male = x["sex"] == "M"
    details: dict[str, Any] = {key: _quantity(key) for key in DIET_QUANTITIES}
    details["water_ml_d"] = {
        "low": _by_sex(WATER_ML_D, x["sex"], xp),
        "high": None,
        "unit": "mL/d",
        "label_zh": "饮水（低身体活动、温和气候；天热或活动多时增加）",
        "label_en": "drinking water (low activity, mild climate; more in heat or activity)",
    }
    details["bmi_kg_m2"] = {
        "low": xp.where(older, BMI_HEALTHY["older_adult"][0], BMI_HEALTHY["adult"][0]),
        "high": xp.where(older, BMI_HEALTHY["older_adult"][1], BMI_HEALTHY["adult"][1]),
        "unit": "kg/m2",
        "label_zh": "健康体重 BMI",
        "label_en": "healthy BMI",
    }
    details["energy_reference_kcal_d"] = {
        "low": xp.where(male, 2250.0, 1800.0),
        "high": xp.where(male, 2250.0, 1800.0),
        "unit": "kcal/d",
        "label_zh": "参考能量需要量（18–49 岁，低身体活动水平）",
        "label_en": "reference energy requirement (18–49 y, low activity)",
    }
    return Outcome(SALT_LIMIT_G_D, xp.where(older, "older_adult", "adult"), details)


def _explain_diet(
    value: Any, category: str | None, x: Mapping[str, Any], details: Mapping[str, Any]
) -> tuple[str, str]:
    group = label_of(DIET_GROUPS, category)
    water = details["water_ml_d"]["low"]
    bmi = details["bmi_kg_m2"]
    return (
        f"按《中国居民膳食指南（2022）》，{group.label_zh}每天食盐不超过 {value:g} g，"
        "烹调油 25–30 g，添加糖不超过 50 g（最好 25 g 以下），反式脂肪酸不超过 2 g；"
        "如饮酒，酒精不超过 15 g。每天蔬菜至少 300 g、水果 200–350 g、奶类 300–500 g、"
        f"谷类 200–300 g；喝水 {water:g} mL。每周至少 5 天中等强度活动，累计 150 分钟以上；"
        f"健康 BMI {bmi['low']:g}–{bmi['high']:g}。",
        f"By the Chinese Dietary Guidelines 2022, for an {group.label_en}: salt at most "
        f"{value:g} g a day, cooking oil 25–30 g, added sugar at most 50 g (ideally under "
        "25 g), trans fat at most 2 g; if drinking, at most 15 g alcohol. Each day at least "
        "300 g vegetables, 200–350 g fruit, 300–500 g dairy, 200–300 g grains; drink "
        f"{water:g} mL of water. Moderate activity on at least 5 days, 150 min or more a week; "
        f"healthy BMI {bmi['low']:g}–{bmi['high']:g}.",
    )


register(
    Model(
        id="dietary_guideline_2022",
        title_zh="中国居民膳食指南（2022）每日推荐量",
        title_en="Chinese Dietary Guidelines 2022: daily quantities",
        citation=DIET_CITATION,
        inputs=(SEX_INPUT, DIET_AGE),
        formula=_dietary_guideline,
        unit="g/d",
        categories=DIET_GROUPS,
        explain=_explain_diet,
        notes=(
            "Value: the salt limit, 5 g/d. Details: every quantity as {low, high, unit, "
            "label_zh, label_en} (None = open end; highs are the guideline's 不超过, i.e. at "
            "most, so 5.0 g meets the salt limit — the reference sheet writes < 5). 准则五 read "
            "on dg.cnsoc.org [P]: salt ≤ 5 g, oil 25–30 g, added sugar ≤ 50 g (best < 25 g), trans "
            "fat ≤ 2 g, and alcohol ≤ 15 g a day for every adult who drinks (the 2016 values of "
            "25 g men / 15 g women are superseded; children, pregnant or lactating women and "
            "people with chronic disease should not drink). 准则二 [P]: ≥ 5 days and ≥ 150 min "
            "moderate activity a week, 6000 active steps, resistance 2–3 days, healthy BMI "
            "18.5–23.9 (≥ 65 y: 20–26.9), reference energy 2250 / 1800 kcal/d (men / women, "
            "18–49 y, low activity). Other quantities [I]; vegetables and dairy use the pyramid "
            "ranges (300–500 g), the core text gives their minimum (≥ 300 g; ≥ 300 mL milk). "
            "Water 1700 / 1500 mL (men / women) at low activity in a mild climate. Adults only "
            "(children have their own guideline): age < 18 refused; without age, adult values."
        ),
        decimals=0,
    )
)


# --- WHO 2020 physical-activity guideline ---------------------------------------------------------

WHO_CITATION = (
    "Bull FC, Al-Ansari SS, Biddle S, et al. World Health Organization 2020 guidelines on "
    "physical activity and sedentary behaviour. Br J Sports Med 2020;54:1451-1462"
)
_MINUTES_IN_A_WEEK = 7 * 24 * 60
MODERATE = Input(
    "moderate_min_per_week",
    label_zh="中等强度有氧活动",
    label_en="moderate-intensity aerobic activity",
    unit="min/wk",
    possible=(0, _MINUTES_IN_A_WEEK),
)
VIGOROUS = Input(
    "vigorous_min_per_week",
    label_zh="高强度有氧活动",
    label_en="vigorous-intensity aerobic activity",
    unit="min/wk",
    possible=(0, _MINUTES_IN_A_WEEK),
)
STRENGTH_DAYS = Input(
    "strength_days_per_week",
    INTEGER,
    "肌肉力量练习天数",
    "muscle-strengthening days",
    unit="d/wk",
    possible=(0, 7),
)
BALANCE_DAYS = Input(
    "balance_days_per_week",
    INTEGER,
    "平衡与力量多元活动天数（≥ 65 岁）",
    "balance-and-strength multicomponent days (≥ 65 y)",
    unit="d/wk",
    possible=(0, 7),
    required=False,
    default=None,
)
# WHO 2020 adults are 18–64 and older adults ≥ 65; children 5–17 have a per-day target
# (average 60 min/day) not modelled here, so under 18 is refused.
WHO_ADULT = narrowed(AGE, valid=(18, None), outside=REFUSE)

AEROBIC_MIN_PER_WEEK = 150.0  # moderate-equivalent; 75 min vigorous counts as 150
AEROBIC_UPPER_MIN_PER_WEEK = 300.0  # "more than 300" gives additional benefit
VIGOROUS_FACTOR = 2.0  # 1 min vigorous ≈ 2 min moderate
STRENGTH_DAYS_MIN = 2.0
BALANCE_DAYS_MIN = 3.0
OLDER_ADULT_AGE = 65

WHO_CLASSES = (
    Category("meets", "达到推荐", "meets the guideline"),
    Category("partly", "部分达到", "partly meets the guideline"),
    Category("below", "未达到", "below the guideline"),
)


def _who_activity(x: Mapping[str, Any], xp: Any) -> Outcome:
    value = x["moderate_min_per_week"] + VIGOROUS_FACTOR * x["vigorous_min_per_week"]
    strength = x["strength_days_per_week"]
    balance = nan_if_missing(x["balance_days_per_week"])
    older = x["age_years"] >= OLDER_ADULT_AGE
    aerobic_met = value >= AEROBIC_MIN_PER_WEEK
    strength_met = strength >= STRENGTH_DAYS_MIN
    balance_done = balance >= BALANCE_DAYS_MIN  # False when not given
    balance_ok = xp.logical_not(older) | balance_done
    everything = aerobic_met & strength_met & balance_ok
    something = aerobic_met | strength_met | (older & balance_done)
    category = xp.select([everything, something], ["meets", "partly"], "below")
    balance_given = balance >= 0  # False for NaN
    balance_short = xp.where(
        older & xp.logical_not(balance_done),
        BALANCE_DAYS_MIN - xp.where(balance_given, balance, 0.0),
        0.0,
    )
    details = {
        "moderate_equivalent_min_per_week": value,
        "aerobic_met": aerobic_met,
        "aerobic_shortfall_min_per_week": xp.maximum(AEROBIC_MIN_PER_WEEK - value, 0.0),
        "above_300_min_per_week": value > AEROBIC_UPPER_MIN_PER_WEEK,
        "strength_met": strength_met,
        "strength_shortfall_days_per_week": xp.maximum(STRENGTH_DAYS_MIN - strength, 0.0),
        "balance_applies": older,
        "balance_met": older & balance_done,
        "balance_recorded": balance_given,
        "balance_shortfall_days_per_week": balance_short,
    }
    return Outcome(value, category, details)


def _explain_who(
    value: Any, category: str | None, x: Mapping[str, Any], details: Mapping[str, Any]
) -> tuple[str, str]:
    label = label_of(WHO_CLASSES, category)
    zh = (
        f"每周中等强度当量活动 {value:g} 分钟（中等 {x['moderate_min_per_week']:g} + "
        f"2 × 高强度 {x['vigorous_min_per_week']:g}），肌肉力量练习每周 "
        f"{x['strength_days_per_week']:g} 天：{label.label_zh}（WHO 2020 身体活动指南："
        "每周至少 150 分钟中等强度或 75 分钟高强度有氧活动，力量练习每周至少 2 天"
    )
    en = (
        f"{value:g} moderate-equivalent minutes a week (moderate {x['moderate_min_per_week']:g} "
        f"+ 2 × vigorous {x['vigorous_min_per_week']:g}) and muscle strengthening on "
        f"{x['strength_days_per_week']:g} day(s) a week: {label.label_en} (WHO 2020: at least "
        "150 min moderate or 75 min vigorous aerobic activity a week, strength on 2 or more days"
    )
    if details["balance_applies"]:
        zh += "；65 岁及以上另需每周至少 3 天平衡与力量多元活动"
        en += "; from 65, balance-and-strength multicomponent activity on 3 or more days"
    zh += "）。"
    en += ")."
    missing_zh: list[str] = []
    missing_en: list[str] = []
    if not details["aerobic_met"]:
        short = details["aerobic_shortfall_min_per_week"]
        missing_zh.append(f"有氧活动每周还差 {short:g} 分钟中等强度当量")
        missing_en.append(f"{short:g} more moderate-equivalent minutes a week")
    if not details["strength_met"]:
        short = details["strength_shortfall_days_per_week"]
        missing_zh.append(f"力量练习每周还差 {short:g} 天")
        missing_en.append(f"{short:g} more strength day(s) a week")
    if details["balance_applies"] and not details["balance_met"]:
        short = details["balance_shortfall_days_per_week"]
        if details["balance_recorded"]:
            missing_zh.append(f"平衡与力量多元活动每周还差 {short:g} 天")
            missing_en.append(f"{short:g} more balance-and-strength day(s) a week")
        else:
            missing_zh.append("平衡与力量多元活动天数未填写，按未达到计")
            missing_en.append("balance-and-strength days not recorded, counted as not met")
    if missing_zh:
        zh += "尚缺：" + "；".join(missing_zh) + "。"
        en += " Missing: " + "; ".join(missing_en) + "."
    if details["above_300_min_per_week"]:
        zh += "已超过 300 分钟，可获得额外健康益处。"
        en += " Above 300 minutes: additional health benefit."
    return zh, en


register(
    Model(
        id="who_activity_2020",
        title_zh="WHO 2020 身体活动指南达标评估（成人）",
        title_en="WHO 2020 physical-activity guideline check (adults)",
        citation=WHO_CITATION,
        inputs=(MODERATE, VIGOROUS, STRENGTH_DAYS, WHO_ADULT, BALANCE_DAYS),
        formula=_who_activity,
        unit="min/wk",
        categories=WHO_CLASSES,
        explain=_explain_who,
        notes=(
            "Value: moderate-equivalent minutes a week = moderate + 2 × vigorous (1 min vigorous "
            "≈ 2 min moderate). Parts: aerobic ≥ 150 (so 75 vigorous minutes meet it, 149 do "
            "not); muscle strengthening on ≥ 2 days a week; from age 65 also varied "
            "multicomponent balance-and-strength activity on ≥ 3 days a week (not recorded "
            "counts as not met). `meets` = every part; `below` = none; `partly` otherwise. "
            "Adults only: the guideline for 5–17 y (an average of 60 min a day, vigorous and "
            "bone-strengthening on 3 days) is not modelled, so age < 18 is refused. The 2020 "
            "guideline dropped the 10-minute bout rule of 2010; sedentary time is not assessed."
        ),
        decimals=0,
    )
)
