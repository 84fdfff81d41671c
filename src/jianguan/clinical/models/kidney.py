"""Kidney: CKD-EPI 2021 eGFR with the KDIGO GFR category, the KDIGO albuminuria category, and the
KDIGO risk of the two together (clinical-references.md §6).

Sources:
- `ckd_epi_2021`: Inker LA, Eneanya ND, Coresh J, et al. New creatinine- and cystatin C-based
  equations to estimate GFR without race. N Engl J Med 2021;385:1737-1749; the equation as the
  National Kidney Foundation prints it (kidney.org, "CKD-EPI Creatinine Equation (2021)") [P]:
  eGFR = 142 × min(Scr/κ, 1)^α × max(Scr/κ, 1)^−1.200 × 0.9938^age × 1.012 [female],
  κ = 0.7 (F) / 0.9 (M), α = −0.241 (F) / −0.302 (M), Scr in mg/dL (= µmol/L ÷ 88.4).
- GFR and albuminuria categories and the prognosis heat map: KDIGO 2012 Clinical Practice
  Guideline for the Evaluation and Management of CKD. Kidney Int Suppl 2013;3:1-150, Tables 5
  and 6 and Figure 9 (unchanged in KDIGO 2024) [I].
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..inputs import AGE, CREATININE, SEX_INPUT, narrowed
from ..registry import REFUSE, Category, Input, InvalidInput, Model, Outcome, register
from ._shared import given, label_of, masked, nan_if_missing, refuse_one

KDIGO_CITATION = (
    "KDIGO 2012 Clinical Practice Guideline for the Evaluation and Management of Chronic Kidney "
    "Disease. Kidney Int Suppl 2013;3:1-150"
)
CKD_EPI_CITATION = (
    "Inker LA, Eneanya ND, Coresh J, et al. N Engl J Med 2021;385:1737-1749 (CKD-EPI 2021, "
    f"race-free creatinine equation); GFR categories: {KDIGO_CITATION}"
)
EGFR_UNIT = "mL/min/{1.73_m2}"
CREATININE_UMOL_PER_MG_DL = 88.4  # as clinical/units.py: mg/dL = µmol/L ÷ 88.4

ADULT = narrowed(AGE, valid=(18, None), outside=REFUSE)

G_CATEGORIES = (
    Category("g1", "G1 正常或升高（≥ 90）", "G1 normal or high (≥ 90)"),
    Category("g2", "G2 轻度下降（60–89）", "G2 mildly decreased (60–89)"),
    Category("g3a", "G3a 轻到中度下降（45–59）", "G3a mildly to moderately decreased (45–59)"),
    Category("g3b", "G3b 中到重度下降（30–44）", "G3b moderately to severely decreased (30–44)"),
    Category("g4", "G4 重度下降（15–29）", "G4 severely decreased (15–29)"),
    Category("g5", "G5 肾衰竭（< 15）", "G5 kidney failure (< 15)"),
)


def egfr_ckd_epi_2021(creatinine_umol_l: Any, age: Any, sex: Any, xp: Any) -> Any:
    scr = creatinine_umol_l / CREATININE_UMOL_PER_MG_DL
    male = sex == "M"
    ratio = scr / xp.where(male, 0.9, 0.7)
    alpha = xp.where(male, -0.302, -0.241)
    return (
        142.0
        * xp.power(xp.minimum(ratio, 1.0), alpha)
        * xp.power(xp.maximum(ratio, 1.0), -1.200)
        * xp.power(0.9938, age)
        * xp.where(male, 1.0, 1.012)
    )


def g_category(egfr: Any, xp: Any) -> Any:
    """KDIGO GFR categories as half-open intervals on the unrounded eGFR: G2 is [60, 90)."""
    return xp.select(
        [egfr >= 90, egfr >= 60, egfr >= 45, egfr >= 30, egfr >= 15],
        ["g1", "g2", "g3a", "g3b", "g4"],
        "g5",
    )


def _ckd_epi(x: Mapping[str, Any], xp: Any) -> Outcome:
    egfr = egfr_ckd_epi_2021(x["creatinine_umol_l"], x["age_years"], x["sex"], xp)
    return Outcome(
        egfr,
        g_category(egfr, xp),
        {"creatinine_mg_dl": x["creatinine_umol_l"] / CREATININE_UMOL_PER_MG_DL},
    )


def _explain_ckd_epi(
    value: Any, category: str | None, x: Mapping[str, Any], d: Mapping[str, Any]
) -> tuple[str, str]:
    label = label_of(G_CATEGORIES, category)
    zh = (
        f"估算肾小球滤过率 eGFR {value:.1f} mL/min/1.73 m²（CKD-EPI 2021 公式，血肌酐 "
        f"{x['creatinine_umol_l']:.0f} µmol/L），按 KDIGO 属于“{label.label_zh}”。"
    )
    en = (
        f"Estimated GFR {value:.1f} mL/min/1.73 m² (CKD-EPI 2021, creatinine "
        f"{x['creatinine_umol_l']:.0f} µmol/L): KDIGO category {label.label_en}."
    )
    if category in ("g1", "g2"):
        zh += "G1/G2 若无白蛋白尿等肾损伤标志则不属于慢性肾脏病。"
        en += " G1 or G2 without a marker of kidney damage (such as albuminuria) is not CKD."
    else:
        zh += "慢性肾脏病需异常持续 3 个月以上，请复查确认。"
        en += " CKD needs the abnormality to last more than 3 months; repeat to confirm."
    return zh, en


register(
    Model(
        id="ckd_epi_2021",
        title_zh="估算肾小球滤过率（CKD-EPI 2021）及 GFR 分期",
        title_en="Estimated GFR (CKD-EPI 2021) and KDIGO GFR category",
        citation=CKD_EPI_CITATION,
        inputs=(CREATININE, ADULT, SEX_INPUT),
        formula=_ckd_epi,
        unit=EGFR_UNIT,
        categories=G_CATEGORIES,
        explain=_explain_ckd_epi,
        decimals=1,
        notes=(
            "eGFR = 142 × min(Scr/κ, 1)^α × max(Scr/κ, 1)^−1.200 × 0.9938^age × 1.012 (female); "
            "κ 0.7 (F) / 0.9 (M); α −0.241 (F) / −0.302 (M); Scr in mg/dL = µmol/L ÷ 88.4 [P, "
            "kidney.org]. The 2021 equation has no race term; do not mix it with CKD-EPI 2009 "
            "(141, 0.993, −0.329/−0.411, 1.018, race 1.159). Adults only (< 18 refused: children "
            "need a paediatric equation). Age in completed years. The value is already indexed "
            "to 1.73 m². IDMS-standardised creatinine is assumed. KDIGO categories G1 ≥ 90, "
            "G2 60–89, G3a 45–59, G3b 30–44, G4 15–29, G5 < 15 are applied as half-open "
            "intervals on the unrounded eGFR, so 59.7 is G3a although a laboratory printing "
            "whole numbers shows 60: display one decimal. A single value is not CKD: that "
            "needs > 3 months, and G1/G2 needs a marker of kidney damage."
        ),
    )
)


# --- Albuminuria ----------------------------------------------------------------------------------

# 1 mg/mmol = 8.84 mg/g: creatinine's molar mass, 113.12 g/mol (KDIGO 2012: mg/g × 0.113 =
# mg/mmol). KDIGO tabulates the category limits in each unit with rounded equivalents (3 mg/mmol
# beside 30 mg/g, 30 beside 300), so each unit is classified against its own printed limits.
MG_G_PER_MG_MMOL = 8.84

ACR_MG_G = Input(
    "acr_mg_g",
    label_zh="尿白蛋白/肌酐比值",
    label_en="urine albumin-to-creatinine ratio",
    unit="mg/g",
    possible=(0, 50000),
    required=False,
)
ACR_MG_MMOL = Input(
    "acr_mg_mmol",
    label_zh="尿白蛋白/肌酐比值",
    label_en="urine albumin-to-creatinine ratio",
    unit="mg/mmol",
    possible=(0, 5000),
    required=False,
)

A_CATEGORIES = (
    Category("a1", "A1 正常至轻度增加", "A1 normal to mildly increased"),
    Category("a2", "A2 中度增加", "A2 moderately increased"),
    Category("a3", "A3 重度增加", "A3 severely increased"),
)


def _acr(x: Mapping[str, Any], xp: Any) -> tuple[Any, Any, Any, Any]:
    """(ACR in mg/g, A category, given in mg/g, refused) from whichever unit was given."""
    per_g = nan_if_missing(x["acr_mg_g"])
    per_mmol = nan_if_missing(x["acr_mg_mmol"])
    in_g, in_mmol = given(per_g), given(per_mmol)
    refuse_one(
        in_g & in_mmol,
        xp,
        lambda: InvalidInput(
            "acr_mg_g",
            "given_twice",
            "acr_mg_g 和 acr_mg_mmol 只能填一个",
            "give only one of acr_mg_g, acr_mg_mmol",
        ),
    )
    refuse_one(
        xp.logical_not(in_g | in_mmol),
        xp,
        lambda: InvalidInput(
            "acr_mg_g",
            "missing",
            "缺少尿白蛋白/肌酐比值（acr_mg_g 或 acr_mg_mmol）",
            "the urine albumin-to-creatinine ratio (acr_mg_g or acr_mg_mmol) is missing",
        ),
    )
    refused = in_g == in_mmol  # both or neither
    category = xp.where(
        in_g,
        xp.select([per_g < 30, per_g <= 300], ["a1", "a2"], "a3"),
        xp.select([per_mmol < 3, per_mmol <= 30], ["a1", "a2"], "a3"),
    )
    value = xp.where(in_g, per_g, per_mmol * MG_G_PER_MG_MMOL)
    return value, category, in_g, refused


def _albuminuria(x: Mapping[str, Any], xp: Any) -> Outcome:
    value, category, in_g, refused = _acr(x, xp)
    details = {
        "acr_mg_mmol": value / MG_G_PER_MG_MMOL,
        "classified_in": xp.where(in_g, "mg/g", "mg/mmol"),
    }
    value, category = masked(refused, value, category, xp)
    return Outcome(value, category, details)


def _acr_text(x: Mapping[str, Any]) -> tuple[str, str]:
    """The ACR as given, with the KDIGO limits of its unit, in Chinese and English."""
    if x["acr_mg_g"] is not None:
        ratio = f"{x['acr_mg_g']:g} mg/g"
        return (
            f"尿白蛋白/肌酐比值 {ratio}（KDIGO：A1 < 30、A2 30–300、A3 > 300 mg/g）",
            f"ACR {ratio} (KDIGO: A1 < 30, A2 30–300, A3 > 300 mg/g)",
        )
    per_mmol = x["acr_mg_mmol"]
    grams = per_mmol * MG_G_PER_MG_MMOL
    return (
        f"尿白蛋白/肌酐比值 {per_mmol:g} mg/mmol（≈ {grams:.1f} mg/g；"
        "KDIGO：A1 < 3、A2 3–30、A3 > 30 mg/mmol）",
        f"ACR {per_mmol:g} mg/mmol (≈ {grams:.1f} mg/g; KDIGO: A1 < 3, A2 3–30, A3 > 30 mg/mmol)",
    )


def _explain_albuminuria(
    value: Any, category: str | None, x: Mapping[str, Any], d: Mapping[str, Any]
) -> tuple[str, str]:
    label = label_of(A_CATEGORIES, category)
    zh, en = _acr_text(x)
    return (
        f"{zh}，属于“{label.label_zh}”。白蛋白尿需在 3–6 个月内 3 次中 2 次异常才能确认。",
        f"{en}: {label.label_en}. Albuminuria is confirmed by 2 of 3 samples over 3–6 months.",
    )


register(
    Model(
        id="kdigo_albuminuria",
        title_zh="白蛋白尿分级（KDIGO A 分期）",
        title_en="Albuminuria category (KDIGO A stage)",
        citation=f"{KDIGO_CITATION}, Table 6 (albuminuria categories)",
        inputs=(ACR_MG_G, ACR_MG_MMOL),
        formula=_albuminuria,
        unit="mg/g",
        categories=A_CATEGORIES,
        explain=_explain_albuminuria,
        decimals=1,
        notes=(
            "Give the urine albumin-to-creatinine ratio in the unit the laboratory reports: "
            "`acr_mg_g` or `acr_mg_mmol`, exactly one. KDIGO 2012 Table 6: A1 < 30 mg/g "
            "(< 3 mg/mmol), A2 30–300 (3–30), A3 > 300 (> 30) [I, several pages quoting the "
            "table]. KDIGO prints the two units with rounded equivalents, while the exact "
            "factor is 1 mg/mmol = 8.84 mg/g (creatinine 113.12 g/mol); so each unit is "
            "classified against its own printed limits (3 mg/mmol is A2, 30 mg/mmol A2, "
            "30.01 mg/mmol A3) and the value is reported in mg/g with the exact factor "
            "(3 mg/mmol → 26.5 mg/g). A ratio of 26.5 given in mg/g is therefore A1: that "
            "difference is KDIGO's rounding, not a bug. Exactly 300 mg/g (30 mg/mmol) is A2 "
            "by the 2012 table; NKF's current heat map prints A3 as ≥ 300 — the two differ "
            "only at that value. A category needs 2 of 3 samples over 3–6 months."
        ),
    )
)


# --- CKD risk: GFR × albuminuria ------------------------------------------------------------------

RISK_CATEGORIES = (
    Category(
        "low",
        "低风险（如无其他肾损伤标志，不属于慢性肾脏病）",
        "low risk (no CKD if there is no other marker of kidney damage)",
    ),
    Category("moderately_increased", "中度增加风险", "moderately increased risk"),
    Category("high", "高风险", "high risk"),
    Category("very_high", "极高风险", "very high risk"),
)
RISK_CODES = ("low", "moderately_increased", "high", "very_high")


def risk_category(g: Any, a: Any, xp: Any) -> Any:
    """The KDIGO heat map (Figure 9): G1 and G2 share a row, G4 and G5 are very high whatever
    the albuminuria. Scoring the rows 0 (G1–G2), 1 (G3a), 2 (G3b), 3 (G4–G5) and the columns 0
    (A1), 1 (A2), 2 (A3), the cell's risk is the sum capped at 3 — every one of the 18 cells is
    checked against the figure in tests/clinical/test_kidney.py."""
    row = xp.select([(g == "g1") | (g == "g2"), g == "g3a", g == "g3b"], [0, 1, 2], 3)
    column = xp.select([a == "a1", a == "a2"], [0, 1], 2)
    level = xp.minimum(row + column, 3)
    return xp.select([level == 0, level == 1, level == 2], list(RISK_CODES[:3]), "very_high")


def _ckd_stage(x: Mapping[str, Any], xp: Any) -> Outcome:
    egfr = egfr_ckd_epi_2021(x["creatinine_umol_l"], x["age_years"], x["sex"], xp)
    g = g_category(egfr, xp)
    acr, a, _, refused = _acr(x, xp)
    risk = risk_category(g, a, xp)
    details = {"g_category": g, "a_category": a, "acr_mg_g": acr}
    value, category = masked(refused, egfr, risk, xp)
    return Outcome(value, category, details)


def _explain_ckd_stage(
    value: Any, category: str | None, x: Mapping[str, Any], d: Mapping[str, Any]
) -> tuple[str, str]:
    label = label_of(RISK_CATEGORIES, category)
    g = "G" + str(d["g_category"])[1:]  # g3a → G3a, as KDIGO writes it
    a = str(d["a_category"]).upper()
    acr_zh, acr_en = _acr_text(x)
    return (
        f"eGFR {value:.1f} mL/min/1.73 m²（CKD-EPI 2021，{g}），{acr_zh}，{a}：按 KDIGO 风险热图"
        f"（{g}{a}）属于“{label.label_zh}”。分期需异常持续 3 个月以上。",
        f"eGFR {value:.1f} mL/min/1.73 m² (CKD-EPI 2021, {g}) and "
        f"{acr_en}, {a}: on the KDIGO heat "
        f"map {g}{a} is {label.label_en}. Staging needs the findings to last over 3 months.",
    )


register(
    Model(
        id="ckd_stage",
        title_zh="慢性肾脏病 G×A 分期与风险（KDIGO）",
        title_en="CKD G×A staging and KDIGO risk",
        citation=f"{CKD_EPI_CITATION}, Tables 5 and 6 and Figure 9 (prognosis by GFR and "
        "albuminuria category)",
        inputs=(CREATININE, ADULT, SEX_INPUT, ACR_MG_G, ACR_MG_MMOL),
        formula=_ckd_stage,
        unit=EGFR_UNIT,
        categories=RISK_CATEGORIES,
        explain=_explain_ckd_stage,
        decimals=1,
        notes=(
            "eGFR by CKD-EPI 2021 (as `ckd_epi_2021`) and the albuminuria category (as "
            "`kdigo_albuminuria`, one ACR unit required) placed on the KDIGO 2012 heat map "
            "(unchanged in 2024) [I, several pages reproducing the figure agree]: G1–G2 with "
            "A1 low, A2 moderately increased, A3 high; G3a A1 moderately increased, A2 high, "
            "A3 very high; G3b A1 high, A2–A3 very high; G4–G5 very high. The value is the "
            "eGFR; `g_category`, `a_category` and `acr_mg_g` are in details. G1/G2 with A1 is "
            "not CKD unless another marker of kidney damage is present."
        ),
    )
)
