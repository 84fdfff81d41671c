"""Ten-year cardiovascular risk: China-PAR, the ACC/AHA Pooled Cohort Equations, Framingham 2008.

Sources (clinical-references.md §1–3, with the confidence tags used there):
- China-PAR: Yang X, Li J, Hu D, et al. Predicting the 10-year risks of atherosclerotic
  cardiovascular disease in Chinese population: the China-PAR project. Circulation
  2016;134(19):1430-1440 and its Data Supplement. Coefficients as printed to three decimals in
  the group standard T/JPMA 024—2024 (附录 C/D) [I]; women's baseline survival 0.9851 derived
  from the paper's worked example [U — derived]. Categories: 中国心血管病风险评估和管理指南
  (2019) [I].
- PCE: Goff DC Jr, Lloyd-Jones DM, Bennett G, et al. 2013 ACC/AHA guideline on the assessment
  of cardiovascular risk. Circulation 2014;129(25 Suppl 2):S49-S73, Table A [P]/[I], with the
  more precise constants of the ACC spreadsheet [I]. Categories: 2018 AHA/ACC cholesterol
  guideline [I].
- Framingham: D'Agostino RB Sr, Vasan RS, Pencina MJ, et al. General cardiovascular risk
  profile for use in primary care. Circulation 2008;117(6):743-753; lipid model coefficients
  from the Framingham Heart Study's own page [P]. Categories: Canadian Cardiovascular Society
  dyslipidaemia guideline (secondary confirmation only).

All three are Cox models, risk = 1 − S10 ^ exp(Σβx − mean), with natural logarithms and
cholesterol in mg/dL (converted from mmol/L with the project's factor 38.67). Each formula puts
its terms β·x, the sum, the mean and the baseline survival in `details`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .. import units
from ..inputs import (
    AGE,
    BP_TREATED,
    DIABETES,
    HDL,
    SBP,
    SEX_INPUT,
    SMOKER,
    TOTAL_CHOLESTEROL,
    WAIST,
    narrowed,
)
from ..registry import BOOLEAN, CHOICE, WARN, Category, Input, Model, Outcome, register
from ..xp import SCALAR
from ._shared import band, flag, label_of, listed

MG_DL_PER_MMOL_L = units.CHOLESTEROL_MG_DL_PER_MMOL_L
_CHOL = 1 / MG_DL_PER_MMOL_L  # the factor inputs.py converts mg/dL with: bounds match exactly


def _mg_dl(mmol_l: Any) -> Any:
    return mmol_l * MG_DL_PER_MMOL_L


def _cox(terms: Mapping[str, Any], mean: Any, s10: Any, xp: Any) -> tuple[Any, Any]:
    """The sum of the terms and the 10-year risk in percent."""
    total = sum(terms.values())
    return total, 100.0 * (1.0 - xp.power(s10, xp.exp(total - mean)))


# --- plain-word drivers, shared by the three explanations ----------------------------------------

# Reference levels a health manager can aim at (Chinese guidelines): SBP 120 mmHg (normal BP,
# 中国高血压防治指南 2018), TC 5.2 mmol/L and HDL-C 1.0 mmol/L (中国血脂管理指南 2023),
# waist 85 cm (men) / 80 cm (women) (WS/T 428-2013).
REFERENCE_SBP = 120.0
REFERENCE_TC = 5.2
REFERENCE_HDL = 1.0


def _candidates(x: Mapping[str, Any]) -> list[tuple[dict[str, Any], str, str, str, str]]:
    """(changes, label zh, label en, 'if' zh, 'if' en) for each modifiable factor above its
    reference level."""
    found: list[tuple[dict[str, Any], str, str, str, str]] = []
    if x["smoker"]:
        found.append(({"smoker": False}, "吸烟", "smoking", "不吸烟时", "as a non-smoker"))
    sbp = x["sbp_mmhg"]
    if sbp > REFERENCE_SBP:
        found.append(
            (
                {"sbp_mmhg": REFERENCE_SBP},
                f"收缩压 {sbp:g} mmHg",
                f"systolic BP {sbp:g} mmHg",
                f"降至 {REFERENCE_SBP:g} mmHg 时",
                f"at {REFERENCE_SBP:g} mmHg",
            )
        )
    tc = x["total_cholesterol_mmol_l"]
    if tc > REFERENCE_TC:
        found.append(
            (
                {"total_cholesterol_mmol_l": REFERENCE_TC},
                f"总胆固醇 {tc:.2f} mmol/L",
                f"total cholesterol {tc:.2f} mmol/L",
                f"降至 {REFERENCE_TC:g} mmol/L 时",
                f"at {REFERENCE_TC:g} mmol/L",
            )
        )
    hdl = x["hdl_c_mmol_l"]
    if hdl < REFERENCE_HDL:
        found.append(
            (
                {"hdl_c_mmol_l": REFERENCE_HDL},
                f"高密度脂蛋白胆固醇偏低（{hdl:.2f} mmol/L）",
                f"low HDL cholesterol ({hdl:.2f} mmol/L)",
                f"升至 {REFERENCE_HDL:g} mmol/L 时",
                f"at {REFERENCE_HDL:g} mmol/L",
            )
        )
    if "waist_cm" in x:
        waist = x["waist_cm"]
        target = 85.0 if x["sex"] == "M" else 80.0
        if waist > target:
            found.append(
                (
                    {"waist_cm": target},
                    f"腰围 {waist:g} cm",
                    f"waist {waist:g} cm",
                    f"降至 {target:g} cm 时",
                    f"at a waist of {target:g} cm",
                )
            )
    return found


def _drivers(
    x: Mapping[str, Any], value: float, risk_of: Callable[[Mapping[str, Any]], float]
) -> tuple[str, str]:
    """The modifiable factors that raise this person's risk most, each with the risk it would
    be at the reference level (up to three, largest first), as a sentence in zh and en."""
    rows: list[tuple[float, str, str]] = []
    for changes, zh, en, if_zh, if_en in _candidates(x):
        lower = risk_of({**x, **changes})
        if value - lower >= max(0.05, 0.05 * value):
            rows.append(
                (
                    value - lower,
                    f"{zh}（{if_zh}约 {lower:.1f}%）",
                    f"{en} (about {lower:.1f} % {if_en})",
                )
            )
    rows.sort(key=lambda row: -row[0])
    if not rows:
        return "没有突出的可改变危险因素。", "No modifiable factor stands out."
    zh, en = listed(((r[1], r[2]) for r in rows[:3]), "、", "; ")
    return f"主要可改变的危险因素：{zh}。", f"Main modifiable drivers: {en}."


def _also_counted(x: Mapping[str, Any]) -> tuple[str, str]:
    counted: list[tuple[str, str]] = []
    if x["diabetes"]:
        counted.append(("糖尿病", "diabetes"))
    if x["bp_treated"]:
        counted.append(("正在服用降压药", "on blood-pressure treatment"))
    if x.get("family_history_ascvd"):
        counted.append(("心脑血管病家族史", "family history of ASCVD"))
    if not counted:
        return "", ""
    zh, en = listed(counted)
    return f"已计入的其他因素：{zh}。", f" Also counted: {en}."


def shown(value: float, thresholds: tuple[float, ...]) -> str:
    """The risk to one decimal for the explanation: rounded, except that a value just below a
    category threshold is never shown on it (9.96 % is "9.9", not "10.0", beside 中危)."""
    for threshold in thresholds:
        if value < threshold <= round(value, 1):
            return f"{threshold - 0.1:.1f}"
    return f"{value:.1f}"


# --- China-PAR ----------------------------------------------------------------------------------

CHINA_PAR_CITATION = (
    "Yang X, Li J, Hu D, et al. Predicting the 10-year risks of atherosclerotic cardiovascular "
    "disease in Chinese population: the China-PAR project. Circulation 2016;134(19):1430-1440 "
    "(coefficients as in T/JPMA 024—2024); categories: 中国心血管病风险评估和管理指南 "
    "(中华预防医学杂志 2019;53(1))"
)

# Coefficient set "C" of clinical-references.md §1.2 (T/JPMA 024—2024, three decimals) [I].
CHINA_PAR_MEN = {
    "ln_age": 31.967,
    "ln_sbp_treated": 27.388,
    "ln_sbp_untreated": 26.148,
    "ln_tc": 0.621,
    "ln_hdl": -0.695,
    "ln_waist": -0.712,
    "smoker": 3.955,
    "diabetes": 0.357,
    "north": 0.475,
    "urban": -0.164,
    "family_history": 6.221,
    "ln_age_x_ln_sbp_treated": -6.018,
    "ln_age_x_ln_sbp_untreated": -5.731,
    "ln_age_x_smoker": -0.939,
    "ln_age_x_family_history": -1.534,
    "mean": 140.68,
    "baseline_survival": 0.9707,
}
CHINA_PAR_WOMEN = {
    "ln_age": 24.874,
    "ln_sbp_treated": 20.709,
    "ln_sbp_untreated": 19.982,
    "ln_tc": 0.058,
    "ln_hdl": -0.217,
    "ln_waist": 1.475,
    "smoker": 0.495,
    "diabetes": 0.567,
    "north": 0.544,
    "urban": 0.0,  # not in the women's model
    "family_history": 0.0,  # not in the women's model
    "ln_age_x_ln_sbp_treated": -4.528,
    "ln_age_x_ln_sbp_untreated": -4.360,
    "ln_age_x_smoker": 0.0,
    "ln_age_x_family_history": 0.0,
    "mean": 117.26,
    # DERIVED, not printed: the paper prints 0.99, which reproduces neither its worked example
    # nor Table 2; 0.9851 solves the worked example (Σ 119.22 → 10.1 %) and is what the
    # T/JPMA implementation uses (clinical-references.md §1.2, [U — derived]).
    "baseline_survival": 0.9851,
}

CHINA_PAR_CATEGORIES = (
    Category("low", "低危", "low risk"),
    Category("intermediate", "中危", "intermediate risk"),
    Category("high", "高危", "high risk"),
)


def china_par_category(risk: Any, xp: Any) -> Any:
    """2019 Chinese guideline: < 5 % 低危, 5 %–< 10 % 中危, ≥ 10 % 高危."""
    return band(risk, (5.0, 10.0), ("low", "intermediate", "high"), xp)


def china_par_terms(x: Mapping[str, Any], xp: Any) -> dict[str, Any]:
    """β·x for each term of the sex-specific China-PAR equation."""
    male = x["sex"] == "M"

    def beta(name: str) -> Any:
        return xp.where(male, CHINA_PAR_MEN[name], CHINA_PAR_WOMEN[name])

    treated = x["bp_treated"]
    ln_age = xp.log(x["age_years"])
    ln_sbp = xp.log(x["sbp_mmhg"])
    smoker = flag(x["smoker"], xp)
    family = flag(x["family_history_ascvd"], xp)
    sbp = xp.where(treated, beta("ln_sbp_treated"), beta("ln_sbp_untreated"))
    age_sbp = xp.where(treated, beta("ln_age_x_ln_sbp_treated"), beta("ln_age_x_ln_sbp_untreated"))
    return {
        "ln_age": beta("ln_age") * ln_age,
        "ln_sbp": sbp * ln_sbp,
        "ln_tc": beta("ln_tc") * xp.log(_mg_dl(x["total_cholesterol_mmol_l"])),
        "ln_hdl": beta("ln_hdl") * xp.log(_mg_dl(x["hdl_c_mmol_l"])),
        "ln_waist": beta("ln_waist") * xp.log(x["waist_cm"]),
        "smoker": beta("smoker") * smoker,
        "diabetes": beta("diabetes") * flag(x["diabetes"], xp),
        "north": beta("north") * flag(x["north"], xp),
        "urban": beta("urban") * flag(x["urban"], xp),
        "family_history": beta("family_history") * family,
        "ln_age_x_ln_sbp": age_sbp * ln_age * ln_sbp,
        "ln_age_x_smoker": beta("ln_age_x_smoker") * ln_age * smoker,
        "ln_age_x_family_history": beta("ln_age_x_family_history") * ln_age * family,
    }


def _china_par(x: Mapping[str, Any], xp: Any) -> Outcome:
    male = x["sex"] == "M"
    mean = xp.where(male, CHINA_PAR_MEN["mean"], CHINA_PAR_WOMEN["mean"])
    s10 = xp.where(male, CHINA_PAR_MEN["baseline_survival"], CHINA_PAR_WOMEN["baseline_survival"])
    terms = china_par_terms(x, xp)
    total, risk = _cox(terms, mean, s10, xp)
    details = {**terms, "sum": total, "mean": mean, "baseline_survival": s10}
    return Outcome(risk, china_par_category(risk, xp), details)


def _explain_china_par(
    value: Any, category: str | None, x: Mapping[str, Any], _: Mapping[str, Any]
) -> tuple[str, str]:
    label = label_of(CHINA_PAR_CATEGORIES, category)
    risk = shown(value, (5.0, 10.0))
    drivers_zh, drivers_en = _drivers(x, value, lambda y: _china_par(y, SCALAR).value)
    also_zh, also_en = _also_counted(x)
    return (
        f"按 China-PAR 模型，10 年动脉粥样硬化性心血管病（心肌梗死、冠心病死亡、脑卒中）"
        f"发病风险为 {risk}%，属于“{label.label_zh}”（《中国心血管病风险评估和管理指南》"
        f"2019：<5% 低危，5%–<10% 中危，≥10% 高危）。{drivers_zh}{also_zh}",
        f"China-PAR 10-year risk of ASCVD (heart attack, coronary death or stroke): "
        f"{risk} %, {label.label_en} by the 2019 Chinese guideline on cardiovascular risk "
        f"assessment and management (< 5 % low, 5–< 10 % intermediate, ≥ 10 % high). "
        f"{drivers_en}{also_en}",
    )


# Derivation ages 35–74 (warning outside); the official tool starts at 20, so younger ages are
# refused. The registry has one valid range per input, so the floor of 20 is set as `possible`.
CHINA_PAR_AGE = narrowed(AGE, valid=(35, 74), outside=WARN, defined=(20, None))
NORTH = Input("north", BOOLEAN, "北方（以长江为界）", "northern China (north of the Yangtze)")
URBAN = Input("urban", BOOLEAN, "城市居民", "urban resident")
FAMILY_HISTORY_ASCVD = Input(
    "family_history_ascvd",
    BOOLEAN,
    "心脑血管病家族史（父母或兄弟姐妹患心肌梗死或脑卒中）",
    "family history of ASCVD (parent or sibling with heart attack or stroke)",
    required=False,
    default=False,
)

register(
    Model(
        id="china_par",
        title_zh="China-PAR 10 年动脉粥样硬化性心血管病风险",
        title_en="China-PAR 10-year ASCVD risk",
        citation=CHINA_PAR_CITATION,
        inputs=(
            CHINA_PAR_AGE,
            SEX_INPUT,
            SBP,
            BP_TREATED,
            TOTAL_CHOLESTEROL,
            HDL,
            WAIST,
            SMOKER,
            DIABETES,
            NORTH,
            URBAN,
            FAMILY_HISTORY_ASCVD,
        ),
        formula=_china_par,
        unit="%",
        categories=CHINA_PAR_CATEGORIES,
        explain=_explain_china_par,
        notes=(
            "Coefficients: set C of the reference sheet (T/JPMA 024—2024, three decimals, "
            "attributed by one independent implementation) [I]. Chosen over set B (derived from "
            "the paper's worked example) because it carries three decimals for every term, "
            "including the smoking and family-history terms the worked example cannot recover, "
            "and it reproduces the official calculator's result in the 2019 guideline example "
            "(4.72 % vs 4.7 %; set B gives 4.88 %). Cost: against the paper's Table 2 men are "
            "0.03–0.29 percentage points low (19.31 % vs 19.6 % at 70). Women's baseline "
            "survival 0.9851 is DERIVED from the paper's worked example (printed 0.99 does not "
            "reproduce it) [U]. Cholesterol converted to mg/dL with ×38.67 (the paper uses "
            "×38.61; < 0.05 percentage points). Men's waist coefficient is negative as "
            "published. `north`: north of the Yangtze (2019 guideline); urban and family history "
            "are in the men's model only. Ages 35–74 as derived (warning outside); below 20 "
            "refused as `impossible` because the registry has one valid range per input. "
            "Lifetime risk is not implemented (equations unpublished). Categories are the "
            "guideline's three bands, not the five-band US scale some projects borrow."
        ),
    )
)


# --- Pooled Cohort Equations --------------------------------------------------------------------

PCE_CITATION = (
    "Goff DC Jr, Lloyd-Jones DM, Bennett G, et al. 2013 ACC/AHA Guideline on the Assessment of "
    "Cardiovascular Risk. Circulation 2014;129(25 Suppl 2):S49-S73, Table A; categories: 2018 "
    "AHA/ACC Guideline on the Management of Blood Cholesterol"
)

_PCE_TERMS = (
    "ln_age",
    "ln_age_squared",
    "ln_tc",
    "ln_age_x_ln_tc",
    "ln_hdl",
    "ln_age_x_ln_hdl",
    "ln_sbp_treated",
    "ln_age_x_ln_sbp_treated",
    "ln_sbp_untreated",
    "ln_age_x_ln_sbp_untreated",
    "smoker",
    "ln_age_x_smoker",
    "diabetes",
    "mean",
    "baseline_survival",
)
# Table A of the guideline; means, baseline survivals and the African-American women's
# coefficients with the extra digits of the ACC spreadsheet (also in Cerner's calculator and
# the `ascvd` PyPI port), clinical-references.md §2 [P]/[I]. Order as in _PCE_TERMS.
PCE = {
    "white_female": (
        -29.799, 4.884, 13.540, -3.114, -13.578, 3.149, 2.019, 0.0, 1.957, 0.0,
        7.574, -1.665, 0.661, -29.1817, 0.96652,
    ),
    "african_american_female": (
        17.1141, 0.0, 0.9396, 0.0, -18.9196, 4.4748, 29.2907, -6.4321, 27.8197, -6.0873,
        0.6908, 0.0, 0.8738, 86.6081, 0.95334,
    ),
    "white_male": (
        12.344, 0.0, 11.853, -2.664, -7.990, 1.769, 1.797, 0.0, 1.764, 0.0,
        7.837, -1.795, 0.658, 61.1816, 0.91436,
    ),
    "african_american_male": (
        2.469, 0.0, 0.302, 0.0, -0.307, 0.0, 1.916, 0.0, 1.809, 0.0,
        0.549, 0.0, 0.645, 19.5425, 0.89536,
    ),
}  # fmt: skip
PCE_GROUP_ZH = {
    "white_female": "白人女性",
    "african_american_female": "非裔美国女性",
    "white_male": "白人男性",
    "african_american_male": "非裔美国男性",
}

PCE_CATEGORIES = (
    Category("low", "低危", "low risk"),
    Category("borderline", "临界风险", "borderline risk"),
    Category("intermediate", "中危", "intermediate risk"),
    Category("high", "高危", "high risk"),
)


def pce_category(risk: Any, xp: Any) -> Any:
    """2018 AHA/ACC: < 5 % low, 5–< 7.5 % borderline, 7.5–< 20 % intermediate, ≥ 20 % high."""
    return band(risk, (5.0, 7.5, 20.0), ("low", "borderline", "intermediate", "high"), xp)


def _pce(x: Mapping[str, Any], xp: Any) -> Outcome:
    male = x["sex"] == "M"
    black = x["race"] == "african_american"  # "white" and "other" use the white equations
    groups = [
        black & xp.logical_not(male),
        xp.logical_not(black) & male,
        black & male,
    ]
    names = ["african_american_female", "white_male", "african_american_male"]

    def beta(name: str) -> Any:
        i = _PCE_TERMS.index(name)
        return xp.select(groups, [PCE[g][i] for g in names], PCE["white_female"][i])

    treated = x["bp_treated"]
    ln_age = xp.log(x["age_years"])
    ln_tc = xp.log(_mg_dl(x["total_cholesterol_mmol_l"]))
    ln_hdl = xp.log(_mg_dl(x["hdl_c_mmol_l"]))
    ln_sbp = xp.log(x["sbp_mmhg"])
    smoker = flag(x["smoker"], xp)
    sbp = xp.where(treated, beta("ln_sbp_treated"), beta("ln_sbp_untreated"))
    age_sbp = xp.where(treated, beta("ln_age_x_ln_sbp_treated"), beta("ln_age_x_ln_sbp_untreated"))
    terms = {
        "ln_age": beta("ln_age") * ln_age,
        "ln_age_squared": beta("ln_age_squared") * ln_age * ln_age,
        "ln_tc": beta("ln_tc") * ln_tc,
        "ln_age_x_ln_tc": beta("ln_age_x_ln_tc") * ln_age * ln_tc,
        "ln_hdl": beta("ln_hdl") * ln_hdl,
        "ln_age_x_ln_hdl": beta("ln_age_x_ln_hdl") * ln_age * ln_hdl,
        "ln_sbp": sbp * ln_sbp,
        "ln_age_x_ln_sbp": age_sbp * ln_age * ln_sbp,
        "smoker": beta("smoker") * smoker,
        "ln_age_x_smoker": beta("ln_age_x_smoker") * ln_age * smoker,
        "diabetes": beta("diabetes") * flag(x["diabetes"], xp),
    }
    mean, s10 = beta("mean"), beta("baseline_survival")
    total, risk = _cox(terms, mean, s10, xp)
    equation = xp.select(groups, names, "white_female")
    details = {**terms, "sum": total, "mean": mean, "baseline_survival": s10, "equation": equation}
    return Outcome(risk, pce_category(risk, xp), details)


def _explain_pce(
    value: Any, category: str | None, x: Mapping[str, Any], details: Mapping[str, Any]
) -> tuple[str, str]:
    label = label_of(PCE_CATEGORIES, category)
    risk = shown(value, (5.0, 7.5, 20.0))
    equation = str(details["equation"])
    drivers_zh, drivers_en = _drivers(x, value, lambda y: _pce(y, SCALAR).value)
    also_zh, also_en = _also_counted(x)
    return (
        f"按美国 ACC/AHA 汇总队列方程（PCE，{PCE_GROUP_ZH[equation]}方程），10 年动脉粥样硬化性"
        f"心血管病风险为 {risk}%，按 2018 年 AHA/ACC 胆固醇指南属于“{label.label_zh}”"
        f"（<5% 低危，5%–<7.5% 临界，7.5%–<20% 中危，≥20% 高危）。{drivers_zh}{also_zh}"
        "该方程来自美国人群，中国成人请以 China-PAR 为准（2019 中国指南推荐）。",
        f"ACC/AHA Pooled Cohort Equations ({equation.replace('_', ' ')} equation): 10-year "
        f"ASCVD risk {risk} %, {label.label_en} by the 2018 AHA/ACC cholesterol guideline "
        f"(< 5 % low, 5–< 7.5 % borderline, 7.5–< 20 % intermediate, ≥ 20 % high). "
        f"{drivers_en}{also_en} The equations come from US cohorts; for Chinese adults the 2019 "
        "Chinese guideline recommends China-PAR.",
    )


RACE = Input(
    "race",
    CHOICE,
    "种族（选择 PCE 方程）",
    "race (selects the PCE equation)",
    choices=("white", "african_american", "other"),
    required=False,
    default="other",
)

register(
    Model(
        id="pce",
        title_zh="ACC/AHA 汇总队列方程（PCE）10 年 ASCVD 风险",
        title_en="ACC/AHA Pooled Cohort Equations 10-year ASCVD risk",
        citation=PCE_CITATION,
        inputs=(
            narrowed(AGE, valid=(40, 79), outside=WARN, defined=(20, None)),
            SEX_INPUT,
            narrowed(TOTAL_CHOLESTEROL, valid=(130 * _CHOL, 320 * _CHOL), outside=WARN),
            narrowed(HDL, valid=(20 * _CHOL, 100 * _CHOL), outside=WARN),
            narrowed(SBP, valid=(90, 200), outside=WARN),
            BP_TREATED,
            SMOKER,
            DIABETES,
            RACE,
        ),
        formula=_pce,
        unit="%",
        categories=PCE_CATEGORIES,
        explain=_explain_pce,
        notes=(
            'Four sex-and-race equations; `race` "other" (the default, and what Chinese '
            "customers get) uses the white equations, as the guideline says. Means, baseline "
            "survivals and the African-American women's coefficients carry the extra digits of "
            "the ACC spreadsheet (as in Cerner's calculator and the `ascvd` PyPI port), so "
            "results can differ by up to ~0.2 percentage points from the three-decimal table. "
            "The guideline's example sums are truncated to two decimals, hence its 5.3 % for "
            "white men where exact arithmetic gives 5.38 %. Valid ranges (warning outside): "
            "age 40–79, TC 130–320 mg/dL, HDL-C 20–100 mg/dL, SBP 90–200 mmHg (the ACC "
            "calculator's input limits, stored here in mmol/L). Derived in US cohorts: for "
            "Chinese adults the 2019 Chinese guideline recommends China-PAR."
        ),
    )
)


# --- Framingham 2008 general CVD ------------------------------------------------------------------

FRAMINGHAM_CITATION = (
    "D'Agostino RB Sr, Vasan RS, Pencina MJ, et al. General cardiovascular risk profile for use "
    "in primary care: the Framingham Heart Study. Circulation 2008;117(6):743-753 (lipid model); "
    "categories: Canadian Cardiovascular Society dyslipidaemia guidelines (2016, 2021)"
)

# Framingham Heart Study, "Regression Coefficients – Primary Model" [P].
FRAMINGHAM_MEN = {
    "ln_age": 3.06117,
    "ln_tc": 1.12370,
    "ln_hdl": -0.93263,
    "ln_sbp_untreated": 1.93303,
    "ln_sbp_treated": 1.99881,
    "smoker": 0.65451,
    "diabetes": 0.57367,
    "mean": 23.9802,
    "baseline_survival": 0.88936,
}
FRAMINGHAM_WOMEN = {
    "ln_age": 2.32888,
    "ln_tc": 1.20904,
    "ln_hdl": -0.70833,
    "ln_sbp_untreated": 2.76157,
    "ln_sbp_treated": 2.82263,
    "smoker": 0.52873,
    "diabetes": 0.69154,
    "mean": 26.1931,
    "baseline_survival": 0.95012,
}

FRAMINGHAM_CATEGORIES = (
    Category("low", "低危", "low risk"),
    Category("intermediate", "中危", "intermediate risk"),
    Category("high", "高危", "high risk"),
)


def framingham_category(risk: Any, xp: Any) -> Any:
    """CCS: < 10 % low, 10–< 20 % intermediate, ≥ 20 % high."""
    return band(risk, (10.0, 20.0), ("low", "intermediate", "high"), xp)


def _framingham(x: Mapping[str, Any], xp: Any) -> Outcome:
    male = x["sex"] == "M"

    def beta(name: str) -> Any:
        return xp.where(male, FRAMINGHAM_MEN[name], FRAMINGHAM_WOMEN[name])

    sbp = xp.where(x["bp_treated"], beta("ln_sbp_treated"), beta("ln_sbp_untreated"))
    terms = {
        "ln_age": beta("ln_age") * xp.log(x["age_years"]),
        "ln_tc": beta("ln_tc") * xp.log(_mg_dl(x["total_cholesterol_mmol_l"])),
        "ln_hdl": beta("ln_hdl") * xp.log(_mg_dl(x["hdl_c_mmol_l"])),
        "ln_sbp": sbp * xp.log(x["sbp_mmhg"]),
        "smoker": beta("smoker") * flag(x["smoker"], xp),
        "diabetes": beta("diabetes") * flag(x["diabetes"], xp),
    }
    mean, s10 = beta("mean"), beta("baseline_survival")
    total, risk = _cox(terms, mean, s10, xp)
    details = {**terms, "sum": total, "mean": mean, "baseline_survival": s10}
    return Outcome(risk, framingham_category(risk, xp), details)


def _explain_framingham(
    value: Any, category: str | None, x: Mapping[str, Any], _: Mapping[str, Any]
) -> tuple[str, str]:
    label = label_of(FRAMINGHAM_CATEGORIES, category)
    risk = shown(value, (10.0, 20.0))
    drivers_zh, drivers_en = _drivers(x, value, lambda y: _framingham(y, SCALAR).value)
    also_zh, also_en = _also_counted(x)
    return (
        f"按 Framingham 总心血管病模型（D'Agostino 2008），10 年心血管病（冠心病、脑血管病、"
        f"外周动脉病、心力衰竭）风险为 {risk}%，按加拿大心血管学会（CCS）血脂指南属于"
        f"“{label.label_zh}”（<10% 低危，10%–<20% 中危，≥20% 高危）。{drivers_zh}{also_zh}",
        f"Framingham general CVD risk (D'Agostino 2008): 10-year risk of cardiovascular disease "
        f"(coronary, cerebrovascular, peripheral artery disease, heart failure) {risk} %, "
        f"{label.label_en} by the Canadian Cardiovascular Society dyslipidaemia guideline "
        f"(< 10 % low, 10–< 20 % intermediate, ≥ 20 % high). {drivers_en}{also_en}",
    )


register(
    Model(
        id="framingham_2008",
        title_zh="Framingham 10 年总心血管病风险（2008，血脂模型）",
        title_en="Framingham 10-year general CVD risk (2008, lipid model)",
        citation=FRAMINGHAM_CITATION,
        inputs=(
            narrowed(AGE, valid=(30, 74), outside=WARN, defined=(20, None)),
            SEX_INPUT,
            TOTAL_CHOLESTEROL,
            HDL,
            SBP,
            BP_TREATED,
            SMOKER,
            DIABETES,
        ),
        formula=_framingham,
        unit="%",
        categories=FRAMINGHAM_CATEGORIES,
        explain=_explain_framingham,
        notes=(
            "Lipid (primary) model only; the BMI-based office model's coefficients come from a "
            "single secondary source [U] and are not implemented. The equation, not the paper's "
            "points table: the paper's worked examples print 10.0 % and 15.6 % from points, the "
            "equation gives 10.48 % and 15.62 %. Categories (< 10 / 10–< 20 / ≥ 20 %) are the "
            "Canadian Cardiovascular Society's, which uses this score (the paper defines none; "
            "confirmed from a secondary page only); CCS also doubles the risk for a premature "
            "family history — not applied here. Ages 30–74 as derived (warning outside)."
        ),
    )
)
