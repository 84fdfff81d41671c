"""Unit conversions between what Chinese laboratories report and what some equations expect.

Factors from clinical-references.md §0 (cross-cutting pitfalls), each the usual molar-mass
conversion:
- cholesterol (TC, HDL-C, LDL-C, non-HDL-C): mg/dL = mmol/L × 38.67 (1 / 0.02586);
- triglycerides: mg/dL = mmol/L × 88.57;
- glucose: mg/dL = mmol/L × 18.0 (18.016);
- creatinine: mg/dL = µmol/L ÷ 88.4;
- uric acid: mg/dL = µmol/L ÷ 59.48;
- HbA1c: IFCC mmol/mol = (NGSP % − 2.15) × 10.929.
"""

from __future__ import annotations

CHOLESTEROL_MG_DL_PER_MMOL_L = 38.67
TRIGLYCERIDES_MG_DL_PER_MMOL_L = 88.57
GLUCOSE_MG_DL_PER_MMOL_L = 18.0
CREATININE_UMOL_L_PER_MG_DL = 88.4
URIC_ACID_UMOL_L_PER_MG_DL = 59.48
HBA1C_IFCC_SLOPE = 10.929
HBA1C_IFCC_OFFSET = 2.15


def cholesterol_mg_dl(mmol_l: float) -> float:
    return mmol_l * CHOLESTEROL_MG_DL_PER_MMOL_L


def creatinine_mg_dl(umol_l: float) -> float:
    return umol_l / CREATININE_UMOL_L_PER_MG_DL


def hba1c_percent(ifcc_mmol_mol: float) -> float:
    return ifcc_mmol_mol / HBA1C_IFCC_SLOPE + HBA1C_IFCC_OFFSET
