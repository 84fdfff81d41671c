"""The inputs models share, named once: a key that names its unit, the other unit accepted with
its factor (clinical/units.py), and the physiologically possible range refused outside (a typo
or a wrong unit, not a patient). A model narrows `valid` with `dataclasses.replace`.

`possible` limits are wide on purpose: they catch 1.2 typed for 120, mg/dL typed as mmol/L and
an SBP of 20, never a real if extreme patient.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from . import units
from .registry import BOOLEAN, INTEGER, SEX, Input

AGE = Input("age_years", INTEGER, "年龄", "age", "a", possible=(0, 130))
SEX_INPUT = Input("sex", SEX, "性别", "sex")
SBP = Input(
    "sbp_mmhg", label_zh="收缩压", label_en="systolic BP", unit="mm[Hg]", possible=(50, 300)
)
DBP = Input(
    "dbp_mmhg", label_zh="舒张压", label_en="diastolic BP", unit="mm[Hg]", possible=(20, 200)
)
BP_TREATED = Input(
    "bp_treated",
    BOOLEAN,
    "正在服用降压药",
    "on antihypertensive treatment",
    required=False,
    default=False,
)
SMOKER = Input("smoker", BOOLEAN, "现在吸烟", "current smoker", required=False, default=False)
DIABETES = Input("diabetes", BOOLEAN, "糖尿病", "diabetes", required=False, default=False)

_CHOL = 1 / units.CHOLESTEROL_MG_DL_PER_MMOL_L
TOTAL_CHOLESTEROL = Input(
    "total_cholesterol_mmol_l",
    label_zh="总胆固醇",
    label_en="total cholesterol",
    unit="mmol/L",
    also={"total_cholesterol_mg_dl": _CHOL},
    possible=(0.5, 30),
)
HDL = Input(
    "hdl_c_mmol_l",
    label_zh="高密度脂蛋白胆固醇",
    label_en="HDL cholesterol",
    unit="mmol/L",
    also={"hdl_c_mg_dl": _CHOL},
    possible=(0.1, 6),
)
LDL = Input(
    "ldl_c_mmol_l",
    label_zh="低密度脂蛋白胆固醇",
    label_en="LDL cholesterol",
    unit="mmol/L",
    also={"ldl_c_mg_dl": _CHOL},
    possible=(0.1, 25),
)
TRIGLYCERIDES = Input(
    "triglycerides_mmol_l",
    label_zh="甘油三酯",
    label_en="triglycerides",
    unit="mmol/L",
    also={"triglycerides_mg_dl": 1 / units.TRIGLYCERIDES_MG_DL_PER_MMOL_L},
    possible=(0.1, 60),
)
FASTING_GLUCOSE = Input(
    "fasting_glucose_mmol_l",
    label_zh="空腹血糖",
    label_en="fasting glucose",
    unit="mmol/L",
    also={"fasting_glucose_mg_dl": 1 / units.GLUCOSE_MG_DL_PER_MMOL_L},
    possible=(1, 50),
)
OGTT_2H = Input(
    "ogtt_2h_glucose_mmol_l",
    label_zh="OGTT 2 小时血糖",
    label_en="2-hour OGTT glucose",
    unit="mmol/L",
    also={"ogtt_2h_glucose_mg_dl": 1 / units.GLUCOSE_MG_DL_PER_MMOL_L},
    possible=(1, 60),
)
HBA1C = Input(
    "hba1c_percent",
    label_zh="糖化血红蛋白",
    label_en="HbA1c",
    unit="%",
    also={"hba1c_mmol_mol": units.hba1c_percent},
    # 3 % is 9 mmol/mol: a percentage typed into the mmol/mol key (6.5 → 2.7 %) is refused
    possible=(3, 20),
)
CREATININE = Input(
    "creatinine_umol_l",
    label_zh="血肌酐",
    label_en="serum creatinine",
    unit="umol/L",
    also={"creatinine_mg_dl": units.CREATININE_UMOL_L_PER_MG_DL},
    possible=(5, 3000),
)
URIC_ACID = Input(
    "uric_acid_umol_l",
    label_zh="血尿酸",
    label_en="serum urate",
    unit="umol/L",
    also={"uric_acid_mg_dl": units.URIC_ACID_UMOL_L_PER_MG_DL},
    possible=(20, 2000),
)
WAIST = Input("waist_cm", label_zh="腰围", label_en="waist", unit="cm", possible=(30, 250))
HEIGHT = Input("height_cm", label_zh="身高", label_en="height", unit="cm", possible=(40, 250))
WEIGHT = Input("weight_kg", label_zh="体重", label_en="weight", unit="kg", possible=(2, 350))
BMI = Input("bmi_kg_m2", label_zh="体质指数", label_en="BMI", unit="kg/m2", possible=(5, 100))


def narrowed(spec: Input, **changes: Any) -> Input:
    """The shared input with a model's own valid range, refusal policy or default."""
    return replace(spec, **changes)
