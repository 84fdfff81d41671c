"""The centre's exam items (体检项目): local code, LOINC, Chinese name, UCUM unit, reference range.

Codes: vitals take their LOINC code and UCUM unit from `services.observations.VITALS`, so manual
entry and imported results land on the same item. Laboratory items use the LOINC code of the
property Chinese laboratories report — substance concentration in mmol/L or µmol/L, not the
mg/dL mass codes that US data (and /work/shared/data/loinc/loinc-codes-observed.csv, from
Synthea) carries: glucose 14771-0 not 2339-0, cholesterol 14647-2 not 2093-3, and so on. Where
the observed list has the code with a Chinese-compatible property it is used as is (4548-4
HbA1c, 1742-6 ALT, 1920-8 AST, 1751-7 albumin, 6690-2 WBC, 789-8 RBC, 718-7 haemoglobin, 777-3
platelets; the unit then is the SI form of the same property: g/L, 10*9/L, 10*12/L). Items the
centre reports as a text finding (ultrasound, ECG) have a local code only.

Reference ranges are what a Chinese laboratory prints beside the result. Flags follow the
laboratory convention that the printed limits belong to the interval (CLSI EP28): H above the
upper limit, L below the lower one; HH at the danger limits of the national basic public
health service specification (clinical-references.md §10: glucose ≥ 16.7 mmol/L, SBP ≥ 180,
DBP ≥ 110 mmHg; its low glucose limit, ≤ 3.9, is the printed lower limit itself and stays L).
A person of unknown sex gets no range for sex-specific items, hence no flag.

Sources, with the confidence tags of clinical-references.md:
- BMI 18.5–23.9 and waist < 90 / < 85 cm: WS/T 428-2013 (clinical-references.md §7.1) [I];
- blood pressure < 140/90: 中国高血压防治指南 2018/2024 (§7.2) [I]; 90/60 lower limits and heart
  rate 60–100/min are the usual printed limits [U];
- fasting glucose 3.9–6.1 mmol/L (China's IFG cut-off, §7.3) [I]; HbA1c 4.0–6.0 % [U];
- lipids TC ≤ 5.2, TG ≤ 1.7, LDL-C ≤ 3.4, HDL-C ≥ 1.0 mmol/L: 中国血脂管理指南 2023 (§7.4) [I];
- urate ≤ 420 µmol/L for both sexes: 2019 hyperuricaemia guideline (§7.6) [P];
- ALT, AST, GGT: WS/T 404.1-2012 (the set for reagents without pyridoxal phosphate); albumin
  40–55 g/L for adults of every age: WS/T 404.2-2012; urea and creatinine (enzymatic method):
  WS/T 404.5-2015, by sex, 20–59 and 60–79 years (applied from 60 on, and beyond 79, where the
  standard has no band); blood counts: WS/T 405-2012 [P: checked on 2026-11-25 against two
  hospital report printouts that print these intervals and independent LIS code quoting the
  standards, not against the printed standards. The same check found no age band for albumin in
  WS/T 404.2, so none is applied; the Jaffe creatinine and pyridoxal-phosphate ALT/AST sets are
  not carried: a centre whose laboratory uses them sets its own ranges when it imports].
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .services.observations import BMI, VITALS

Range = tuple[float | None, float | None]

NUMERIC = "numeric"
TEXT = "text"


@dataclass(frozen=True)
class Item:
    local_code: str
    loinc: str  # "" when LOINC has no code the centre uses for it
    name: str  # Chinese, as printed on the report
    unit: str  # UCUM; "" for text findings
    decimals: int = 1
    group: str = ""
    kind: str = NUMERIC
    # sex ("M"/"F") → range; the key "*" applies to both. `older` replaces it from age 60.
    ranges: dict[str, Range] = field(default_factory=dict)
    older: dict[str, Range] = field(default_factory=dict)
    critical: Range = (None, None)


def _vital(
    key: str,
    name: str,
    group: str,
    ranges: dict[str, Range] | None = None,
    critical: Range = (None, None),
) -> Item:
    vital = BMI if key == BMI.key else VITALS[key]
    return Item(
        local_code=vital.key,
        loinc=vital.loinc,
        name=name,
        unit=vital.unit,
        decimals=vital.decimals,
        group=group,
        ranges=ranges or {},
        critical=critical,
    )


GENERAL = "一般检查"
BLOOD = "血常规"
GLUCOSE = "血糖"
LIPIDS = "血脂"
LIVER = "肝功能"
KIDNEY = "肾功能"
IMAGING = "影像与心电"

ITEMS: dict[str, Item] = {
    item.local_code: item
    for item in (
        _vital("height", "身高", GENERAL),
        _vital("weight", "体重", GENERAL),
        _vital("bmi", "体质指数", GENERAL, ranges={"*": (18.5, 23.9)}),
        _vital("waist", "腰围", GENERAL, ranges={"M": (None, 89.9), "F": (None, 84.9)}),
        _vital("systolic", "收缩压", GENERAL, ranges={"*": (90, 139)}, critical=(None, 180)),
        _vital("diastolic", "舒张压", GENERAL, ranges={"*": (60, 89)}, critical=(None, 110)),
        _vital("heart_rate", "心率", GENERAL, ranges={"*": (60, 100)}),
        Item("wbc", "6690-2", "白细胞计数", "10*9/L", 2, BLOOD, ranges={"*": (3.5, 9.5)}),
        Item(
            "rbc",
            "789-8",
            "红细胞计数",
            "10*12/L",
            2,
            BLOOD,
            ranges={"M": (4.3, 5.8), "F": (3.8, 5.1)},
        ),
        Item(
            "hemoglobin",
            "718-7",
            "血红蛋白",
            "g/L",
            0,
            BLOOD,
            ranges={"M": (130, 175), "F": (115, 150)},
        ),
        Item("platelets", "777-3", "血小板计数", "10*9/L", 0, BLOOD, ranges={"*": (125, 350)}),
        Item(
            "fasting_glucose",
            "14771-0",
            "空腹血糖",
            "mmol/L",
            2,
            GLUCOSE,
            ranges={"*": (3.9, 6.1)},
            critical=(None, 16.7),
        ),
        Item("hba1c", "4548-4", "糖化血红蛋白", "%", 1, GLUCOSE, ranges={"*": (4.0, 6.0)}),
        Item(
            "total_cholesterol",
            "14647-2",
            "总胆固醇",
            "mmol/L",
            2,
            LIPIDS,
            ranges={"*": (None, 5.2)},
        ),
        Item(
            "triglycerides", "14927-8", "甘油三酯", "mmol/L", 2, LIPIDS, ranges={"*": (None, 1.7)}
        ),
        Item(
            "ldl_c", "22748-8", "低密度脂蛋白胆固醇", "mmol/L", 2, LIPIDS, ranges={"*": (None, 3.4)}
        ),
        Item(
            "hdl_c", "14646-4", "高密度脂蛋白胆固醇", "mmol/L", 2, LIPIDS, ranges={"*": (1.0, None)}
        ),
        Item(
            "alt",
            "1742-6",
            "丙氨酸氨基转移酶",
            "U/L",
            0,
            LIVER,
            ranges={"M": (9, 50), "F": (7, 40)},
        ),
        Item(
            "ast",
            "1920-8",
            "天门冬氨酸氨基转移酶",
            "U/L",
            0,
            LIVER,
            ranges={"M": (15, 40), "F": (13, 35)},
        ),
        Item(
            "ggt",
            "2324-2",
            "γ-谷氨酰基转移酶",
            "U/L",
            0,
            LIVER,
            ranges={"M": (10, 60), "F": (7, 45)},
        ),
        Item(
            "albumin",
            "1751-7",
            "白蛋白",
            "g/L",
            1,
            LIVER,
            ranges={"*": (40, 55)},
        ),
        Item(
            "urea",
            "22664-7",
            "尿素",
            "mmol/L",
            2,
            KIDNEY,
            ranges={"M": (3.1, 8.0), "F": (2.6, 7.5)},
            older={"M": (3.6, 9.5), "F": (3.1, 8.8)},
        ),
        Item(
            "creatinine",
            "14682-9",
            "肌酐",
            "umol/L",
            0,
            KIDNEY,
            ranges={"M": (57, 97), "F": (41, 73)},
            older={"M": (57, 111), "F": (41, 81)},
        ),
        Item("uric_acid", "14933-6", "尿酸", "umol/L", 0, KIDNEY, ranges={"*": (None, 420)}),
        Item("liver_ultrasound", "", "肝胆彩超", "", 0, IMAGING, kind=TEXT),
        Item("ecg", "", "心电图", "", 0, IMAGING, kind=TEXT),
    )
}


@dataclass(frozen=True)
class Package:
    code: str
    name: str
    items: tuple[str, ...]


_BASIC = (
    "height",
    "weight",
    "bmi",
    "waist",
    "systolic",
    "diastolic",
    "heart_rate",
    "wbc",
    "rbc",
    "hemoglobin",
    "platelets",
    "fasting_glucose",
    "total_cholesterol",
    "triglycerides",
    "ldl_c",
    "hdl_c",
    "alt",
    "ast",
    "creatinine",
    "uric_acid",
    "ecg",
)
_STANDARD = (*_BASIC, "hba1c", "ggt", "albumin", "urea", "liver_ultrasound")

PACKAGES: dict[str, Package] = {
    p.code: p
    for p in (
        Package("basic", "基础体检套餐", _BASIC),
        Package("standard", "标准体检套餐", _STANDARD),
        Package("senior", "中老年体检套餐", _STANDARD),
    )
}


def reference(item: Item, sex: str, age: int | None = None) -> Range:
    """The printed reference range for a person of this sex (and age, where it matters)."""
    table = item.older if item.older and age is not None and age >= 60 else item.ranges
    return table.get(sex) or table.get("*") or (None, None)


def flag_for(
    value: float, low: float | None, high: float | None, critical: Range = (None, None)
) -> str:
    """N, H, L, or HH / LL at the danger limits; the printed limits are inside the range."""
    critical_low, critical_high = critical
    if critical_high is not None and value >= critical_high:
        return "HH"
    if critical_low is not None and value <= critical_low:
        return "LL"
    if high is not None and value > high:
        return "H"
    if low is not None and value < low:
        return "L"
    return "N"
