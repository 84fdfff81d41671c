"""Chinese indicator classifications: office blood pressure, blood lipids, metabolic syndrome and
hyperuricaemia (clinical-references.md §7.2, §7.4, §7.5, §7.6). BMI and waist are in body.py.

Sources, and how sure we are of the cut-offs:
- Blood pressure: 中国高血压防治指南（2018年修订版）; the 2024 revision keeps the same office
  table [I]. 正常血压 SBP < 120 and DBP < 80; 正常高值 120–139 and/or 80–89; 1 级 140–159 and/or
  90–99; 2 级 160–179 and/or 100–109; 3 级 ≥ 180 and/or ≥ 110; 单纯收缩期高血压 SBP ≥ 140 and
  DBP < 90. The higher class wins when SBP and DBP disagree. Adults (≥ 18) only.
- Lipids: 中国血脂管理指南（2023年）, table for primary prevention in low-risk adults, the same
  cut-offs as the 2016 table [I] (re-checked on a page reproducing the 2016 table with mg/dL).
- Metabolic syndrome: 中华医学会糖尿病学分会 (CDS) definition of the 2017 T2DM guideline, kept in
  the 2020 edition [I] (re-checked on a secondary page: waist 90/85, FPG ≥ 6.1 or 2hPG ≥ 7.8 or
  treated diabetes, BP ≥ 130/85 or treated hypertension, TG ≥ 1.70, HDL-C < 1.04). Not the 2004
  CDS definition (BMI ≥ 25, BP ≥ 140/90, HDL < 0.9/1.0) that many web pages still print.
- Hyperuricaemia: 中国高尿酸血症与痛风诊疗指南（2019）and 痛风及高尿酸血症基层诊疗指南（2019年）:
  serum urate > 420 µmol/L for both sexes [P] (the 基层 guideline's own text, read on the journal's
  page, says > 420 µmol/L (约 7 mg/dl)). The older men > 420 / women > 360 rule is an option.

Every table is implemented as half-open intervals: "120–139" means 120 ≤ SBP < 140, so 139.5
is 正常高值, never lost between two classes.

Checks across inputs (DBP below SBP, HDL-C and LDL-C below TC, at least one lipid, sex for the
legacy urate rule) cannot be declared on one `Input`; the formula makes them. For one customer
it raises InvalidInput naming the input; in a population run the row comes back with value NaN
and category '' like a refused row (the registry's `refused` flag only knows per-input checks).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..inputs import (
    AGE,
    BP_TREATED,
    DBP,
    DIABETES,
    FASTING_GLUCOSE,
    HDL,
    LDL,
    OGTT_2H,
    SBP,
    SEX_INPUT,
    TOTAL_CHOLESTEROL,
    TRIGLYCERIDES,
    URIC_ACID,
    WAIST,
    narrowed,
)
from ..registry import CHOICE, REFUSE, Category, Input, InvalidInput, Model, Outcome, register
from ..units import URIC_ACID_UMOL_L_PER_MG_DL
from ._shared import band, flag, given, label_of, listed, masked, nan_if_missing, refuse_one

# Every table here is for adults; children have their own (percentile) tables.
ADULT = narrowed(AGE, valid=(18, None), outside=REFUSE, required=False, default=None)


# --- blood pressure -------------------------------------------------------------------------------

BP_CITATION = (
    "中国高血压防治指南修订委员会. 中国高血压防治指南（2018年修订版）. 中国心血管杂志 "
    "2019;24(1):24-56; 中国高血压防治指南（2024年修订版）. 中华高血压杂志 2024;32(7):603-700 "
    "(same office BP classification)"
)

BP_CLASSES = (
    Category("normal", "正常血压", "normal blood pressure"),
    Category("high_normal", "正常高值", "high-normal blood pressure"),
    Category("grade_1", "1级高血压", "grade 1 hypertension"),
    Category("grade_2", "2级高血压", "grade 2 hypertension"),
    Category("grade_3", "3级高血压", "grade 3 hypertension"),
    Category(
        "treated_controlled",
        "高血压（服降压药，血压<140/90）",
        "hypertension, treated, BP below 140/90",
    ),
)

_BP_LEVELS = ("normal", "high_normal", "grade_1", "grade_2", "grade_3")
_BP_RANGE_ZH = {
    "normal": "收缩压<120 且舒张压<80 mmHg",
    "high_normal": "收缩压 120–139 和/或舒张压 80–89 mmHg",
    "grade_1": "收缩压 140–159 和/或舒张压 90–99 mmHg",
    "grade_2": "收缩压 160–179 和/或舒张压 100–109 mmHg",
    "grade_3": "收缩压≥180 和/或舒张压≥110 mmHg",
    "treated_controlled": "正在服用降压药，血压<140/90 mmHg",
}
_BP_RANGE_EN = {
    "normal": "SBP < 120 and DBP < 80 mmHg",
    "high_normal": "SBP 120–139 and/or DBP 80–89 mmHg",
    "grade_1": "SBP 140–159 and/or DBP 90–99 mmHg",
    "grade_2": "SBP 160–179 and/or DBP 100–109 mmHg",
    "grade_3": "SBP ≥ 180 and/or DBP ≥ 110 mmHg",
    "treated_controlled": "on antihypertensive drugs with BP < 140/90 mmHg",
}


def bp_level(sbp: Any, dbp: Any, xp: Any) -> Any:
    """0 normal, 1 high-normal, 2–4 grade 1–3: each pressure on its own, the higher one wins."""
    s = xp.select([sbp >= 180, sbp >= 160, sbp >= 140, sbp >= 120], [4, 3, 2, 1], 0)
    d = xp.select([dbp >= 110, dbp >= 100, dbp >= 90, dbp >= 80], [4, 3, 2, 1], 0)
    return xp.maximum(s, d)


def _bp(x: Mapping[str, Any], xp: Any) -> Outcome:
    sbp, dbp, treated = x["sbp_mmhg"], x["dbp_mmhg"], x["bp_treated"]
    bad = dbp >= sbp
    refuse_one(
        bad,
        xp,
        lambda: InvalidInput(
            "dbp_mmhg",
            "dbp_not_below_sbp",
            f"舒张压 {dbp:g} 不低于收缩压 {sbp:g}，请检查是否填反",
            f"diastolic BP {dbp:g} is not below systolic BP {sbp:g}; were they swapped?",
        ),
    )
    level = bp_level(sbp, dbp, xp)
    by_numbers = xp.select([level == i for i in range(4)], list(_BP_LEVELS[:4]), "grade_3")
    controlled = treated & (level < 2)
    category = xp.where(controlled, "treated_controlled", by_numbers)
    grade = xp.maximum(level - 1, 0) * 1.0
    value, category = masked(bad, grade, category, xp)
    details = {
        "level_by_numbers": by_numbers,
        "isolated_systolic": (sbp >= 140) & (dbp < 90),
        "hypertension": (level >= 2) | treated,
        "treated": treated,
    }
    return Outcome(value, category, details)


_BP_MEANING_ZH = {
    "normal": "本次血压在正常范围。",
    "high_normal": (
        "尚未达到高血压，但心血管风险已高于正常血压者，宜从生活方式入手（限盐、减重、运动）。"
    ),
    "grade_1": "达到高血压水平（轻度升高）。",
    "grade_2": "达到高血压水平（中度升高）。",
    "grade_3": "达到高血压水平（重度升高），应尽快就医。",
    "treated_controlled": "仍属高血压患者，服药后血压已控制在 140/90 以下，请继续遵医嘱治疗。",
}
_BP_MEANING_EN = {
    "normal": "This reading is in the normal range.",
    "high_normal": "Not hypertension, but cardiovascular risk is already higher than at normal "
    "BP; start with lifestyle (less salt, weight, exercise).",
    "grade_1": "This is a hypertensive level (mildly raised).",
    "grade_2": "This is a hypertensive level (moderately raised).",
    "grade_3": "This is a hypertensive level (severely raised); see a doctor soon.",
    "treated_controlled": "Still a person with hypertension, whose treated BP is now below "
    "140/90; keep to the prescribed treatment.",
}


def _explain_bp(
    value: Any, category: str | None, x: Mapping[str, Any], details: Mapping[str, Any]
) -> tuple[str, str]:
    code = str(category)
    label = label_of(BP_CLASSES, code)
    bp = f"{x['sbp_mmhg']:g}/{x['dbp_mmhg']:g} mmHg"
    grade = int(value)
    zh = (
        f"诊室血压 {bp}，按《中国高血压防治指南（2018年修订版）》（2024 年修订版沿用同一分类）"
        f"属于“{label.label_zh}”（{_BP_RANGE_ZH[code]}），高血压分级 {grade}（0 表示未达 "
        f"140/90）。{_BP_MEANING_ZH[code]}"
    )
    en = (
        f"Office BP {bp}: {label.label_en} by the Chinese hypertension guideline 2018 (the 2024 "
        f"revision keeps the table): {_BP_RANGE_EN[code]}; hypertension grade {grade} "
        f"(0 = below 140/90). {_BP_MEANING_EN[code]}"
    )
    if details["isolated_systolic"]:
        zh += f"收缩压≥140 而舒张压<90，为单纯收缩期高血压，按收缩压分为 {grade} 级。"
        en += f" SBP ≥ 140 with DBP < 90 is isolated systolic hypertension, grade {grade} by SBP."
    if code == "treated_controlled":
        numbers = label_of(BP_CLASSES, details["level_by_numbers"])
        zh += f"仅看数值属于“{numbers.label_zh}”。"
        en += f" The numbers alone would read {numbers.label_en}."
    elif x["bp_treated"]:
        zh += "正在服用降压药，血压仍≥140/90，未控制达标。"
        en += " Despite antihypertensive treatment BP is still ≥ 140/90 (not controlled)."
    else:
        zh += (
            "收缩压与舒张压分属不同级别时按较高者。一次测量只说明本次血压；"
            "诊断高血压需未服药时非同日 3 次诊室血压≥140/90。"
        )
        en += (
            " When SBP and DBP fall in different classes the higher one counts. One reading "
            "describes this visit only; diagnosing hypertension needs office BP ≥ 140/90 on "
            "three separate days without drugs."
        )
    return zh, en


register(
    Model(
        id="bp_class",
        title_zh="诊室血压水平分类",
        title_en="Office blood pressure class",
        citation=BP_CITATION,
        inputs=(SBP, DBP, BP_TREATED, ADULT),
        formula=_bp,
        unit="",
        categories=BP_CLASSES,
        explain=_explain_bp,
        decimals=0,
        notes=(
            "Value: the hypertension grade 0–3 (0 = below 140/90 by the numbers). Each pressure is "
            "classed on its own with half-open intervals and the higher class wins, which is the "
            "table's and/or rule: 118/82 and 125/85 are 正常高值, 139/89 正常高值, 140/89 1 级, "
            "160/100 2 级, 180/110 3 级. 单纯收缩期高血压 (SBP ≥ 140 and DBP < 90) is not a "
            "category of its own: the category is its grade, which is then the SBP grade, and "
            "`details.isolated_systolic` is true. Someone on antihypertensive drugs with BP < "
            "140/90 still has hypertension: category `treated_controlled` (never `normal`), with "
            "the class of the numbers in `details.level_by_numbers`; treated BP ≥ 140/90 is graded "
            "by the numbers. `details.hypertension` = grade ≥ 1 or treated. DBP ≥ SBP is refused "
            "(field `dbp_mmhg`, code `dbp_not_below_sbp`). Office BP only: home and ambulatory "
            "thresholds (135/85, 24 h 130/80) differ. The guideline's diagnostic threshold stays "
            "140/90 (not the 130/80 of a separate 2022 guideline)."
        ),
    )
)


# --- lipids ---------------------------------------------------------------------------------------

LIPID_CITATION = (
    "中国血脂管理指南修订联合专家委员会. 中国血脂管理指南（2023年）. 中华心血管病杂志 "
    "2023;51(3):221-255 (ASCVD 一级预防低危人群主要血脂指标的参考标准; the 2016 cut-offs)"
)

LIPID_CLASSES = (
    Category("desirable", "血脂处于合适水平", "lipids at desirable levels"),
    Category("borderline", "血脂边缘升高", "borderline-high lipids"),
    Category("raised", "血脂异常（有升高或 HDL-C 降低）", "dyslipidaemia (raised, or low HDL-C)"),
)

# per-lipid classes, in details
_LIPID_CLASS_LABELS = {
    "ideal": ("理想水平", "ideal"),
    "desirable": ("合适水平", "desirable"),
    "borderline_high": ("边缘升高", "borderline high"),
    "high": ("升高", "high"),
    "low": ("降低", "low"),
    "not_low": ("未降低", "not low"),
    "not_given": ("未检测", "not given"),
}

# detail key, input key, name zh, name en, upper bounds of each class, class codes, cut-offs text
_LIPIDS: tuple[tuple[str, str, str, str, tuple[float, ...], tuple[str, ...], str, str], ...] = (
    (
        "total_cholesterol",
        "total_cholesterol_mmol_l",
        "总胆固醇",
        "TC",
        (5.2, 6.2),
        ("desirable", "borderline_high", "high"),
        "合适<5.2，边缘升高 5.2–<6.2，升高≥6.2",
        "desirable < 5.2, borderline high 5.2–<6.2, high ≥ 6.2",
    ),
    (
        "ldl_c",
        "ldl_c_mmol_l",
        "低密度脂蛋白胆固醇",
        "LDL-C",
        (2.6, 3.4, 4.1),
        ("ideal", "desirable", "borderline_high", "high"),
        "理想<2.6，合适 2.6–<3.4，边缘升高 3.4–<4.1，升高≥4.1",
        "ideal < 2.6, desirable 2.6–<3.4, borderline high 3.4–<4.1, high ≥ 4.1",
    ),
    (
        "hdl_c",
        "hdl_c_mmol_l",
        "高密度脂蛋白胆固醇",
        "HDL-C",
        (1.0,),
        ("low", "not_low"),
        "降低<1.0",
        "low < 1.0",
    ),
    (
        "triglycerides",
        "triglycerides_mmol_l",
        "甘油三酯",
        "TG",
        (1.7, 2.3),
        ("desirable", "borderline_high", "high"),
        "合适<1.7，边缘升高 1.7–<2.3，升高≥2.3",
        "desirable < 1.7, borderline high 1.7–<2.3, high ≥ 2.3",
    ),
    (
        "non_hdl_c",
        "non_hdl_c_mmol_l",
        "非高密度脂蛋白胆固醇",
        "non-HDL-C",
        (3.4, 4.1, 4.9),
        ("ideal", "desirable", "borderline_high", "high"),
        "理想<3.4，合适 3.4–<4.1，边缘升高 4.1–<4.9，升高≥4.9",
        "ideal < 3.4, desirable 3.4–<4.1, borderline high 4.1–<4.9, high ≥ 4.9",
    ),
)

# non-HDL-C = TC − HDL-C is classed with this tolerance, so that 6.2 − 1.3 (4.8999999999999995
# in binary floating point) lands on 4.9 as it does on paper.
_DIFFERENCE_TOLERANCE = 1e-9

_LIPID_INPUTS = tuple(
    narrowed(spec, required=False, default=None)
    for spec in (TOTAL_CHOLESTEROL, LDL, HDL, TRIGLYCERIDES)
)


def _lipid_class(value: Any, bounds: tuple[float, ...], codes: tuple[str, ...], xp: Any) -> Any:
    return xp.where(given(value), band(value, bounds, codes, xp), "not_given")


def _lipids(x: Mapping[str, Any], xp: Any) -> Outcome:
    tc = nan_if_missing(x["total_cholesterol_mmol_l"])
    hdl = nan_if_missing(x["hdl_c_mmol_l"])
    ldl = nan_if_missing(x["ldl_c_mmol_l"])
    tg = nan_if_missing(x["triglycerides_mmol_l"])
    none_given = xp.logical_not(given(tc) | given(hdl) | given(ldl) | given(tg))
    refuse_one(
        none_given,
        xp,
        lambda: InvalidInput(
            "total_cholesterol_mmol_l",
            "no_lipid_given",
            "至少需要一项血脂：总胆固醇、低密度脂蛋白胆固醇、高密度脂蛋白胆固醇或甘油三酯",
            "give at least one lipid: total_cholesterol_mmol_l, ldl_c_mmol_l, hdl_c_mmol_l or "
            "triglycerides_mmol_l",
        ),
    )
    hdl_bad = hdl >= tc
    refuse_one(
        hdl_bad,
        xp,
        lambda: InvalidInput(
            "hdl_c_mmol_l",
            "hdl_not_below_total",
            f"高密度脂蛋白胆固醇 {hdl:g} 不低于总胆固醇 {tc:g}，请检查数值和单位",
            f"HDL cholesterol {hdl:g} is not below total cholesterol {tc:g}; check the values "
            "and units",
        ),
    )
    ldl_bad = ldl >= tc
    refuse_one(
        ldl_bad,
        xp,
        lambda: InvalidInput(
            "ldl_c_mmol_l",
            "ldl_not_below_total",
            f"低密度脂蛋白胆固醇 {ldl:g} 不低于总胆固醇 {tc:g}，请检查数值和单位",
            f"LDL cholesterol {ldl:g} is not below total cholesterol {tc:g}; check the values "
            "and units",
        ),
    )
    non_hdl = tc - hdl  # NaN unless both are given
    values = {
        "total_cholesterol": tc,
        "ldl_c": ldl,
        "hdl_c": hdl,
        "triglycerides": tg,
        "non_hdl_c": non_hdl + _DIFFERENCE_TOLERANCE,
    }
    details: dict[str, Any] = {"non_hdl_c_mmol_l": non_hdl}
    abnormal = 0.0
    borderline: Any = False
    for name, _key, _zh, _en, bounds, codes, _tzh, _ten in _LIPIDS:
        cls = _lipid_class(values[name], bounds, codes, xp)
        details[name] = cls
        abnormal = abnormal + flag((cls == "high") | (cls == "low"), xp)
        borderline = borderline | (cls == "borderline_high")
    category = xp.select([abnormal > 0, borderline], ["raised", "borderline"], "desirable")
    value, category = masked(none_given | hdl_bad | ldl_bad, abnormal, category, xp)
    return Outcome(value, category, details)


_LIPID_MEANING = {
    "desirable": (
        "所测血脂均在合适范围。",
        "Every lipid measured is at a desirable level.",
    ),
    "borderline": (
        "有指标处于边缘升高，宜调整饮食、增加运动并定期复查。",
        "A lipid is borderline high: adjust diet, exercise more and re-test.",
    ),
    "raised": (
        "有指标升高（或 HDL-C 降低），属于血脂异常，是否用药要结合心血管风险评估决定。",
        "A lipid is high (or HDL-C low): this is dyslipidaemia; whether to treat depends on "
        "the cardiovascular risk assessment.",
    ),
}


def _explain_lipids(
    value: Any, category: str | None, x: Mapping[str, Any], details: Mapping[str, Any]
) -> tuple[str, str]:
    label = label_of(LIPID_CLASSES, category)
    measured = {**x, "non_hdl_c_mmol_l": details["non_hdl_c_mmol_l"]}
    parts: list[tuple[str, str]] = []
    for name, key, zh, en, _b, _c, cut_zh, cut_en in _LIPIDS:
        cls = details[name]
        if cls == "not_given":
            continue
        cls_zh, cls_en = _LIPID_CLASS_LABELS[cls]
        shown = f"{measured[key]:.2f} mmol/L"
        parts.append((f"{zh} {shown} {cls_zh}（{cut_zh}）", f"{en} {shown} {cls_en} ({cut_en})"))
    parts_zh, parts_en = listed(parts, "；", "; ")
    count = int(value)
    zh = (
        parts_zh
        + f"。按《中国血脂管理指南（2023年）》的血脂合适水平和异常切点，总体为“{label.label_zh}”，"
        f"升高或降低的项目共 {count} 项。{_LIPID_MEANING[str(category)][0]}"
        "此表用于描述化验结果（空腹、成人）；"
        "降脂目标按 ASCVD 风险分层另定。"
    )
    en = (
        parts_en + f". Overall: {label.label_en} by the Chinese lipid guideline 2023 "
        f"cut-offs; {count} lipid value(s) high or low. {_LIPID_MEANING[str(category)][1]} "
        "The table describes a fasting adult "
        "lab result; treatment targets depend on the ASCVD risk category."
    )
    return zh, en


register(
    Model(
        id="lipid_class",
        title_zh="血脂水平分层",
        title_en="Blood lipid classes",
        citation=LIPID_CITATION,
        inputs=(*_LIPID_INPUTS, ADULT),
        formula=_lipids,
        unit="",
        categories=LIPID_CLASSES,
        explain=_explain_lipids,
        decimals=0,
        notes=(
            "Each lipid is optional; at least one is required (else refused: field "
            "`total_cholesterol_mmol_l`, code `no_lipid_given`). non-HDL-C = TC − HDL-C when both "
            "are given (`details.non_hdl_c_mmol_l`, unrounded; classed with a 1e-9 tolerance so "
            "that 6.2 − 1.3 is 4.9). Per-lipid classes in `details` (`total_cholesterol`, `ldl_c`, "
            "`hdl_c`, `triglycerides`, `non_hdl_c`): `ideal`, `desirable`, `borderline_high`, "
            "`high`, `low`, `not_low` (HDL-C ≥ 1.0, which the table does not name) or `not_given`, "
            "as half-open intervals (TC 5.19 合适, 5.2 边缘升高, 6.2 升高; HDL-C 0.99 降低, 1.0 "
            "not). Overall category, worst first: `raised` when any lipid is 升高 or HDL-C 降低, "
            "`borderline` when any is 边缘升高, else `desirable`. Value: how many of the (up to "
            "five) classed lipids are 升高 or 降低, so value > 0 exactly when the category is "
            "`raised`. Cut-offs are in mmol/L, the guideline's unit; mg/dL input is converted (÷ "
            "38.67 cholesterol, ÷ 88.57 TG), so LDL-C 159 mg/dL (4.11 mmol/L) is 升高 although the "
            "guideline's rounded mg/dL column prints 160. HDL-C ≥ TC or LDL-C ≥ TC is refused (a "
            "unit or typing error). The table describes a fasting result for adults at low ASCVD "
            "risk; LDL-C targets come from the risk category, not from here. Lp(a) is not classed "
            "(its cut-off wording is unconfirmed, clinical-references.md §12)."
        ),
    )
)


# --- metabolic syndrome ---------------------------------------------------------------------------

METS_CITATION = (
    "中华医学会糖尿病学分会. 中国2型糖尿病防治指南（2017年版）. 中华糖尿病杂志 2018;10(1):4-67; "
    "（2020年版）中华糖尿病杂志 2021;13(4):315-409 (代谢综合征诊断标准, unchanged)"
)

METS_CLASSES = (
    Category("metabolic_syndrome", "代谢综合征", "metabolic syndrome"),
    Category("not_met", "未达代谢综合征诊断标准", "metabolic syndrome criteria not met"),
    Category(
        "indeterminate",
        "无法判定（缺少检测项）",
        "cannot be decided (measurements missing)",
    ),
)

_COMPONENTS = (
    ("waist", "腹型肥胖", "abdominal obesity", "腰围男≥90 / 女≥85 cm", "waist M ≥ 90 / F ≥ 85 cm"),
    (
        "glucose",
        "高血糖",
        "raised glucose",
        "空腹血糖≥6.1 或糖负荷后 2 h 血糖≥7.8 mmol/L 或已确诊糖尿病",
        "FPG ≥ 6.1 or 2-h glucose ≥ 7.8 mmol/L or diagnosed diabetes",
    ),
    (
        "blood_pressure",
        "高血压",
        "raised BP",
        "血压≥130/85 mmHg 或已确诊并治疗的高血压",
        "BP ≥ 130/85 mmHg or treated hypertension",
    ),
    ("triglycerides", "高甘油三酯", "raised TG", "空腹甘油三酯≥1.70 mmol/L", "fasting TG ≥ 1.70"),
    ("hdl_c", "低 HDL-C", "low HDL-C", "空腹 HDL-C<1.04 mmol/L", "fasting HDL-C < 1.04 mmol/L"),
)


def _optional(spec: Input) -> Input:
    return narrowed(spec, required=False, default=None)


def _mets(x: Mapping[str, Any], xp: Any) -> Outcome:
    waist, male = x["waist_cm"], x["sex"] == "M"
    fpg = nan_if_missing(x["fasting_glucose_mmol_l"])
    ogtt = nan_if_missing(x["ogtt_2h_glucose_mmol_l"])
    sbp, dbp = nan_if_missing(x["sbp_mmhg"]), nan_if_missing(x["dbp_mmhg"])
    tg, hdl = nan_if_missing(x["triglycerides_mmol_l"]), nan_if_missing(x["hdl_c_mmol_l"])
    diabetes, treated = x["diabetes"], x["bp_treated"]
    bad = dbp >= sbp  # False unless both are given
    refuse_one(
        bad,
        xp,
        lambda: InvalidInput(
            "dbp_mmhg",
            "dbp_not_below_sbp",
            f"舒张压 {dbp:g} 不低于收缩压 {sbp:g}，请检查是否填反",
            f"diastolic BP {dbp:g} is not below systolic BP {sbp:g}; were they swapped?",
        ),
    )
    # (met, assessed) per component; a NaN comparison is False, so a missing value never meets
    components = {
        "waist": (waist >= xp.where(male, 90.0, 85.0), given(waist)),
        "glucose": (
            (fpg >= 6.1) | (ogtt >= 7.8) | diabetes,
            given(fpg) | given(ogtt) | diabetes,
        ),
        "blood_pressure": (
            (sbp >= 130) | (dbp >= 85) | treated,
            given(sbp) | given(dbp) | treated,
        ),
        "triglycerides": (tg >= 1.7, given(tg)),
        "hdl_c": (hdl < 1.04, given(hdl)),
    }
    met = 0.0
    missing = 0.0
    details: dict[str, Any] = {}
    for name, (is_met, assessed) in components.items():
        met = met + flag(is_met, xp)
        missing = missing + flag(xp.logical_not(assessed), xp)
        details[name] = xp.select([is_met, assessed], ["met", "not_met"], "not_assessed")
    details["components_met"] = met
    details["components_not_assessed"] = missing
    category = xp.select(
        [met >= 3, met + missing < 3], ["metabolic_syndrome", "not_met"], "indeterminate"
    )
    value, category = masked(bad, met, category, xp)
    return Outcome(value, category, details)


_METS_MEANING = {
    "metabolic_syndrome": (
        "多种代谢危险因素聚集在同一个人身上，糖尿病和心血管病风险明显升高，宜综合干预。",
        "Several metabolic risk factors cluster in one person, which clearly raises the risk of "
        "diabetes and cardiovascular disease; manage them together.",
    ),
    "not_met": (
        "未达到诊断标准，但已符合的组分仍需关注。",
        "The criteria are not met, but any component that is met still deserves attention.",
    ),
    "indeterminate": (
        "已符合的项目不足 3 项，但缺少的检测可能使其达到 3 项，需补测后才能判断。",
        "Fewer than 3 components are met, but the missing measurements could make 3; measure "
        "them to decide.",
    ),
}


def _explain_mets(
    value: Any, category: str | None, x: Mapping[str, Any], details: Mapping[str, Any]
) -> tuple[str, str]:
    label = label_of(METS_CLASSES, category)
    met_zh, met_en = listed(
        (zh, en) for name, zh, en, _, _ in _COMPONENTS if details[name] == "met"
    )
    todo_zh, todo_en = listed(
        (zh, en) for name, zh, en, _, _ in _COMPONENTS if details[name] == "not_assessed"
    )
    criteria_zh, criteria_en = listed(((c, ce) for *_, c, ce in _COMPONENTS), "；", "; ")
    count = int(value)
    zh = (
        f"符合代谢综合征组分 {count} 项（{met_zh or '无'}），"
        f"按中华医学会糖尿病学分会（CDS 2017/2020）标准为“{label.label_zh}”（≥3 项即诊断）。"
        + _METS_MEANING[str(category)][0]
    )
    en = (
        f"{count} of 5 metabolic-syndrome components met ({met_en or 'none'}): "
        f"{label.label_en} by the Chinese Diabetes Society definition (2017, kept in 2020; "
        "3 or more components). " + _METS_MEANING[str(category)][1]
    )
    if todo_zh:
        zh += f"未评估：{todo_zh}（缺少检测值）。"
        en += f" Not assessed for lack of a measurement: {todo_en}."
    zh += f"标准：{criteria_zh}。"
    en += f" Criteria: {criteria_en}."
    return zh, en


register(
    Model(
        id="metabolic_syndrome_cds",
        title_zh="代谢综合征（中华医学会糖尿病学分会标准）",
        title_en="Metabolic syndrome (Chinese Diabetes Society definition)",
        citation=METS_CITATION,
        inputs=(
            WAIST,
            SEX_INPUT,
            _optional(FASTING_GLUCOSE),
            _optional(OGTT_2H),
            DIABETES,
            _optional(SBP),
            _optional(DBP),
            BP_TREATED,
            _optional(TRIGLYCERIDES),
            _optional(HDL),
            ADULT,
        ),
        formula=_mets,
        unit="",
        categories=METS_CLASSES,
        explain=_explain_mets,
        decimals=0,
        notes=(
            "CDS definition (2017 T2DM guideline, unchanged in 2020), not the 2004 CDS one (BMI ≥ "
            "25, BP ≥ 140/90, HDL < 0.9/1.0) nor ATP III/IDF (sex-specific HDL 1.03/1.29): waist ≥ "
            "90 (men) / ≥ 85 cm (women); FPG ≥ 6.1 or 2-h glucose ≥ 7.8 mmol/L or diagnosed "
            "diabetes; SBP ≥ 130 and/or DBP ≥ 85 or treated hypertension; TG ≥ 1.70; HDL-C < 1.04 "
            "mmol/L for both sexes. Value: components met (0–5). Waist and sex are required; the "
            "rest are optional. A component is `not_assessed` when none of its measurements is "
            "given and its diagnosis flag is false (a given FPG without an OGTT assesses the "
            "glucose component; a given SBP without DBP assesses BP). Missing components are "
            "neither refused nor counted as not met: the category is `metabolic_syndrome` when ≥ 3 "
            "are met (whatever is missing), `not_met` when fewer than 3 could be met even if every "
            "missing one were, and otherwise `indeterminate` (measure the missing ones). `details` "
            "gives each component (`waist`, `glucose`, `blood_pressure`, `triglycerides`, `hdl_c`) "
            "as `met`, `not_met` or `not_assessed`, with the counts. DBP ≥ SBP is refused. "
            "`diabetes` and `bp_treated` mean a diagnosis under treatment; false is read as no "
            "diagnosis."
        ),
    )
)


# --- hyperuricaemia -------------------------------------------------------------------------------

URATE_CITATION = (
    "中华医学会内分泌学分会. 中国高尿酸血症与痛风诊疗指南（2019）. 中华内分泌代谢杂志 "
    "2020;36(1):1-13; 痛风及高尿酸血症基层诊疗指南（2019年）. 中华全科医师杂志 "
    "2020;19(4):293-303"
)

URATE_CLASSES = (
    Category("normal", "血尿酸未超过诊断切点", "urate not above the cut-off"),
    Category("hyperuricaemia", "高尿酸血症", "hyperuricaemia"),
)

DEFINITION_2019 = "2019"
DEFINITION_LEGACY = "sex_specific_legacy"
URATE_DEFINITION = Input(
    "definition",
    CHOICE,
    "诊断切点版本",
    "which cut-off",
    choices=(DEFINITION_2019, DEFINITION_LEGACY),
    required=False,
    default=DEFINITION_2019,
)


def _urate(x: Mapping[str, Any], xp: Any) -> Outcome:
    urate, sex = x["uric_acid_umol_l"], x["sex"]
    legacy = x["definition"] == DEFINITION_LEGACY
    no_sex = (sex != "M") & (sex != "F")
    bad = legacy & no_sex
    refuse_one(
        bad,
        xp,
        lambda: InvalidInput(
            "sex",
            "missing",
            "按旧版男女分开的切点判断时需要性别",
            "sex is needed for the sex-specific legacy cut-offs",
        ),
    )
    threshold = xp.where(legacy & (sex == "F"), 360.0, 420.0)
    category = xp.where(urate > threshold, "hyperuricaemia", "normal")
    value, category = masked(bad, urate, category, xp)
    details = {
        "threshold_umol_l": threshold,
        "uric_acid_mg_dl": urate / URIC_ACID_UMOL_L_PER_MG_DL,
    }
    return Outcome(value, category, details)


_URATE_MEANING = {
    "hyperuricaemia": (
        "血尿酸已超过血液大致能溶解的水平，尿酸盐可能析出结晶，痛风、肾结石和肾损害的风险增加。",
        "Urate is above about the level blood can keep dissolved, so urate crystals may form; "
        "the risk of gout, kidney stones and kidney damage rises.",
    ),
    "normal": ("未超过诊断切点。", "It is not above the diagnostic cut-off."),
}


def _explain_urate(
    value: Any, category: str | None, x: Mapping[str, Any], details: Mapping[str, Any]
) -> tuple[str, str]:
    label = label_of(URATE_CLASSES, category)
    threshold = details["threshold_umol_l"]
    mg = details["uric_acid_mg_dl"]
    if x["definition"] == DEFINITION_LEGACY:
        rule_zh = f"旧版男女分开的切点（男>420、女>360 µmol/L），本例用>{threshold:g} µmol/L"
        rule_en = f"the legacy sex-specific cut-off (men > 420, women > 360), here > {threshold:g}"
    else:
        rule_zh = "《中国高尿酸血症与痛风诊疗指南（2019）》切点：不分男女，>420 µmol/L"
        rule_en = "the 2019 Chinese guideline cut-off, > 420 µmol/L for both sexes"
    zh = (
        f"血尿酸 {value:g} µmol/L（约 {mg:.1f} mg/dL），按{rule_zh}，属于“{label.label_zh}”。"
        + _URATE_MEANING[str(category)][0]
        + "诊断高尿酸血症需在正常嘌呤饮食下非同日 2 次空腹血尿酸均超过切点；"
        "一次结果只提示需要复查。"
    )
    en = (
        f"Serum urate {value:g} µmol/L (about {mg:.1f} mg/dL): {label.label_en} by {rule_en}. "
        + _URATE_MEANING[str(category)][1]
        + " The diagnosis needs two fasting measurements on different days, on a normal-purine "
        "diet, both above the cut-off; one result only calls for a repeat."
    )
    return zh, en


register(
    Model(
        id="hyperuricaemia",
        title_zh="高尿酸血症",
        title_en="Hyperuricaemia",
        citation=URATE_CITATION,
        inputs=(
            URIC_ACID,
            URATE_DEFINITION,
            narrowed(SEX_INPUT, required=False, default=None),
            ADULT,
        ),
        formula=_urate,
        unit="umol/L",
        categories=URATE_CLASSES,
        explain=_explain_urate,
        decimals=0,
        notes=(
            "Value: serum urate in µmol/L (mg/dL input × 59.48). Hyperuricaemia is urate strictly "
            "above 420 µmol/L for both sexes (2019 guidelines): 420 is `normal`, 420.1 is "
            "`hyperuricaemia`. 7.0 mg/dL is 416.4 µmol/L and so not above the cut-off; the "
            "guideline's '约 7 mg/dl' is a rounding. `definition` = `sex_specific_legacy` applies "
            "the older rule (men > 420, women > 360 µmol/L; some pages print 357) and then needs "
            "`sex` (refused without: field `sex`, code `missing`). A single result cannot "
            "diagnose: the guideline asks for two fasting measurements on different days on a "
            "normal-purine diet; the explanation says so."
        ),
    )
)
