"""Demo customers with multi-year check-up histories (issue 3 "Demo data"), reproducible by seed.

`generate(count, seed=…)` is pure: it returns plans (plain dataclasses, no database) and the same
seed and day give the same plans. Person i draws from its own stream, `default_rng([i, seed])`,
so a plan does not depend on how many others are generated; identifiers that must be unique
(ID numbers, mobiles, card numbers) are de-duplicated in index order through `Unique`.

The physiology is a small latent-variable model, not a data set: each person has fixed traits
(standard normal z-scores) and visit-to-visit noise, and body weight drifts year by year. BMI
drives blood pressure, glucose, triglycerides, HDL-C, urate, ALT/GGT and fatty liver; age drives
blood pressure, glucose, cholesterol and creatinine; sex shifts the sex-specific ones. The
coefficients were chosen so that the prevalences look like Chinese adults at a check-up centre
(hypertension and dyslipidaemia common, diabetes about one in ten, hyperuricaemia mostly in
men); they describe no study. Chronic conditions are derived from the values (a diagnosis at the
first visit meeting the guideline criterion, or earlier), and the medication they bring lowers
the values of later visits, so records and results agree.

`load_demo_customers(institution, staff, count=…)` writes the plans as an import (source
"import"): bulk inserts through the model fields, so every value is encrypted under its
customer's own key and the blind indexes are filled, no record-history rows (nothing was edited),
and one ledger entry for the batch with the customer ids in its child table (D-07).
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone
from stdnum import luhn

from jianguan.audit.ledger import record_job_run

from . import catalog
from . import identifiers as ids
from .models import (
    PERSONAL_MODELS,
    Allergy,
    CardEvent,
    Customer,
    CustomerIdentifier,
    FamilyHistory,
    HistoryItem,
    Lifestyle,
    Medication,
    MemberCard,
    Observation,
    RecordChange,
    Visit,
)
from .services.cards import CARD_PREFIX
from .services.enrolment import CONSENT_VERSION
from .services.observations import bmi as compute_bmi

DEFAULT_SEED = 20260101
SOURCE = "demo"  # the "system" the imported rows came from: source keys read demo:<visit>:<item>

# --- names, places, people ---------------------------------------------------------------------

# Stored terms and codes are those of the enrolment and record forms (forms.choices,
# services.sections), so that demo customers open in the edit forms like any other.

# Common surnames, most frequent first, with rough weights (王 李 张 about 7 % each).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
)
_SURNAME_WEIGHTS = np.array([1.0 / (1 + i) ** 0.85 for i in range(len(SURNAMES))])
_SURNAME_WEIGHTS /= _SURNAME_WEIGHTS.sum()
GIVEN_M = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林阳建国志文海东峰亮成立新春"
GIVEN_F = "芳娟敏静丽艳燕霞玲桂英秀兰萍红娜婷雪慧琳颖倩洁莉晶丹梅琴云凤佳欣怡悦琪雯蕾琼"

# (area code, first birth year the code was assigned, city, district). Codes and years are those
# of python-stdnum's table (stdnum/cn/loc.dat), which `identifiers.check_identifier` warns
# against: a code is only drawn for people born after its first year, so no demo number warns.
AREAS: tuple[tuple[str, int, str, str], ...] = (
    ("110101", 0, "北京市", "东城区"),
    ("110102", 0, "北京市", "西城区"),
    ("110105", 0, "北京市", "朝阳区"),
    ("110106", 0, "北京市", "丰台区"),
    ("110107", 0, "北京市", "石景山区"),
    ("110108", 0, "北京市", "海淀区"),
    ("120101", 0, "天津市", "和平区"),
    ("120104", 0, "天津市", "南开区"),
    ("310101", 0, "上海市", "黄浦区"),
    ("310104", 0, "上海市", "徐汇区"),
    ("310110", 0, "上海市", "杨浦区"),
    ("130102", 1983, "石家庄市", "长安区"),
    ("210102", 1983, "沈阳市", "和平区"),
    ("230103", 1983, "哈尔滨市", "南岗区"),
    ("320102", 1983, "南京市", "玄武区"),
    ("330106", 1983, "杭州市", "西湖区"),
    ("350203", 1983, "厦门市", "思明区"),
    ("370202", 1983, "青岛市", "市南区"),
    ("410105", 1983, "郑州市", "金水区"),
    ("420106", 1983, "武汉市", "武昌区"),
    ("440104", 1983, "广州市", "越秀区"),
    ("440106", 1985, "广州市", "天河区"),
    ("510107", 1990, "成都市", "武侯区"),
    ("610113", 1983, "西安市", "雁塔区"),
    ("500103", 1997, "重庆市", "渝中区"),
    ("330122", 0, "杭州市", "桐庐县"),
    ("350121", 0, "福州市", "闽侯县"),
    ("430121", 0, "长沙市", "长沙县"),
)
_LOCAL_AREAS = 6  # the first six are Beijing, where the demo centre is: most customers are local
STREETS = (
    "建国路 朝阳北路 中关村大街 学院路 西直门外大街 东三环中路 "
    "广安门内大街 复兴路 安定路 望京西路 丰台北路 鲁谷路"
).split()
MOBILE_PREFIXES = (
    "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 177 180 181 "
    "182 183 185 186 187 188 189 191 198 199"
).split()
OCCUPATIONS = ("企业职员", "工程师", "教师", "公务员", "医务人员", "个体经营者", "销售人员", "司机")
ETHNICITIES = (("汉族", 0.91), ("回族", 0.03), ("满族", 0.03), ("蒙古族", 0.015), ("壮族", 0.015))
INSURANCE = (("城镇职工医保", 0.62), ("城乡居民医保", 0.2), ("商业保险", 0.1), ("自费", 0.08))
SOURCE_CHANNELS = (
    ("walk_in", 0.25),
    ("phone", 0.1),
    ("corporate", 0.4),
    ("referral", 0.15),
    ("online", 0.1),
)
CARD_LEVELS = (("standard", 0.6), ("silver", 0.25), ("gold", 0.12), ("platinum", 0.03))


# --- plans ---------------------------------------------------------------------------------


@dataclass
class ResultPlan:
    item: str  # catalog local code
    value: float | None  # numeric items
    text: str  # text findings
    ref_low: float | None
    ref_high: float | None
    flag: str | None


@dataclass
class VisitPlan:
    number: str
    date: dt.date
    package: str
    results: list[ResultPlan]
    concluded: bool = False
    conclusions: str = ""
    recommendations: str = ""

    def value(self, item: str) -> float | None:
        for r in self.results:
            if r.item == item:
                return r.value
        return None


@dataclass
class HistoryPlan:
    kind: str  # HistoryItem.KINDS
    code: str  # ICD-10 for conditions, "" otherwise
    name: str
    onset: dt.date
    status: str = "active"  # conditions: active, remission, resolved; others ""
    note: str = ""


@dataclass
class FamilyPlan:
    relation: str  # father, mother, sibling, child
    code: str
    name: str


@dataclass
class AllergyPlan:
    substance: str
    reaction: str
    severity: str  # mild, moderate, severe


@dataclass
class MedicationPlan:
    name: str
    dose: str
    frequency: str
    adherence: str  # regular, intermittent, none
    for_code: str  # the condition it treats (not stored; keeps plans explainable)


@dataclass
class CardPlan:
    number: str
    level: str
    status: str  # active, frozen, lost, replaced
    valid_from: dt.date
    valid_until: dt.date | None
    events: list[tuple[str, dt.date]]  # (kind, when), in order
    replaces: int | None = None  # index of the card it replaced in CustomerPlan.cards


@dataclass
class CustomerPlan:
    index: int
    name: str
    sex: str
    birth_date: dt.date
    id_number: str
    mobile: str
    address: str
    emergency_contact: dict[str, str]
    occupation: str
    marital_status: str
    ethnicity: str
    insurance_type: str
    source_channel: str
    enrolled: dt.date
    manager_slot: int | None  # which of the demo health managers, or none assigned
    cards: list[CardPlan] = field(default_factory=list)
    history: list[HistoryPlan] = field(default_factory=list)
    family: list[FamilyPlan] = field(default_factory=list)
    allergies: list[AllergyPlan] = field(default_factory=list)
    medications: list[MedicationPlan] = field(default_factory=list)
    lifestyle: dict[str, Any] = field(default_factory=dict)
    visits: list[VisitPlan] = field(default_factory=list)

    def condition_codes(self) -> set[str]:
        return {h.code for h in self.history if h.kind == "condition"}


@dataclass
class Unique:
    """Numbers already handed out, so that a rare collision is drawn again, in index order."""

    id_numbers: set[str] = field(default_factory=set)
    mobiles: set[str] = field(default_factory=set)
    cards: set[str] = field(default_factory=set)


# --- small helpers -------------------------------------------------------------------------


def _choice(rng: np.random.Generator, options: Sequence[tuple[str, float]]) -> str:
    weights = np.array([w for _, w in options])
    return options[int(rng.choice(len(options), p=weights / weights.sum()))][0]


def _pick(rng: np.random.Generator, options: Sequence[str]) -> str:
    return options[int(rng.integers(len(options)))]


def _years_between(earlier: dt.date, later: dt.date) -> int:
    years = later.year - earlier.year
    if (later.month, later.day) < (earlier.month, earlier.day):
        years -= 1
    return years


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _round(value: float, decimals: int) -> float:
    return float(round(value, decimals))


def resident_id(area: str, birth: dt.date, sequence: int) -> str:
    """An 18-digit 居民身份证 number (GB 11643): area, birth date, sequence (odd: man), check."""
    first17 = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return first17 + ids.check_digit(first17)


def card_number(rng: np.random.Generator) -> str:
    body = CARD_PREFIX + "".join(str(int(d)) for d in rng.integers(0, 10, size=10))
    return body + luhn.calc_check_digit(body)


# --- identity ------------------------------------------------------------------------------


def _name(rng: np.random.Generator, sex: str) -> str:
    surname = SURNAMES[int(rng.choice(len(SURNAMES), p=_SURNAME_WEIGHTS))]
    chars = GIVEN_M if sex == "M" else GIVEN_F
    length = 1 if rng.random() < 0.3 else 2
    return surname + "".join(_pick(rng, chars) for _ in range(length))


def _id_number(rng: np.random.Generator, sex: str, birth: dt.date, unique: Unique) -> str:
    local = rng.random() < 0.6
    candidates = [a for a in (AREAS[:_LOCAL_AREAS] if local else AREAS) if a[1] <= birth.year]
    area = candidates[int(rng.integers(len(candidates)))][0]
    while True:
        sequence = int(rng.integers(0, 500)) * 2 + (1 if sex == "M" else 0)
        number = resident_id(area, birth, sequence)
        if number not in unique.id_numbers:
            unique.id_numbers.add(number)
            return number


def _mobile(rng: np.random.Generator, unique: Unique | None) -> str:
    while True:
        number = _pick(rng, MOBILE_PREFIXES) + f"{int(rng.integers(0, 10**8)):08d}"
        if unique is None:
            return number
        if number not in unique.mobiles:
            unique.mobiles.add(number)
            return number


def _address(rng: np.random.Generator) -> str:
    district = AREAS[int(rng.integers(_LOCAL_AREAS))][3]
    return (
        f"北京市{district}{_pick(rng, STREETS)}{int(rng.integers(1, 300))}号"
        f"{int(rng.integers(1, 12))}号楼{int(rng.integers(1, 6))}单元"
        f"{int(rng.integers(1, 25))}{int(rng.integers(1, 5)):02d}室"
    )


def _marital(rng: np.random.Generator, age: int) -> str:
    if age < 25:
        return "未婚" if rng.random() < 0.85 else "已婚"
    if age < 35:
        return _choice(rng, (("未婚", 0.35), ("已婚", 0.6), ("离婚", 0.05)))
    if age < 70:
        return _choice(rng, (("未婚", 0.04), ("已婚", 0.86), ("离婚", 0.06), ("丧偶", 0.04)))
    return _choice(rng, (("已婚", 0.72), ("丧偶", 0.25), ("离婚", 0.03)))


def _occupation(rng: np.random.Generator, age: int, sex: str) -> str:
    if age >= (60 if sex == "M" else 55) and rng.random() < 0.85:
        return "离退休人员"
    if age < 23 and rng.random() < 0.6:
        return "学生"
    return _pick(rng, OCCUPATIONS)


# --- lifestyle -----------------------------------------------------------------------------

# Lifestyle.data in the shape `services.sections` writes (schema 1, the 健康体检表's lifestyle
# part): smoking never/former/current, alcohol never/occasional/regular (amount in 两 of liquor
# a week), exercise sessions a week, one overall diet pattern plus salt/oil/sugar habits.
LIFESTYLE_SCHEMA = 1
ALCOHOL_TYPES = ("liquor", "beer", "wine", "rice_wine")
ACTIVITIES = ("快走", "跑步", "游泳", "太极拳", "广场舞", "骑自行车", "羽毛球")
EXPOSURES = ("机械加工，接触噪声", "建筑施工，接触粉尘", "化工生产，接触化学物质", "冶炼，接触高温")


def _lifestyle(rng: np.random.Generator, sex: str, age: int) -> dict[str, Any]:
    male = sex == "M"
    smoking = _choice(
        rng,
        (("never", 0.45), ("former", 0.13), ("current", 0.42))
        if male
        else (("never", 0.96), ("former", 0.01), ("current", 0.03)),
    )
    alcohol = _choice(
        rng,
        (("never", 0.32), ("occasional", 0.42), ("regular", 0.26))
        if male
        else (("never", 0.68), ("occasional", 0.29), ("regular", 0.03)),
    )
    sessions = int(rng.choice([0, 0, 1, 2, 3, 3, 5, 7] if age < 55 else [0, 1, 3, 5, 7, 7]))
    pattern = _choice(rng, (("balanced", 0.6), ("meat", 0.25), ("vegetarian", 0.15)))
    habits = [h for h, p in (("salt", 0.25), ("oil", 0.2), ("sugar", 0.1)) if rng.random() < p]
    exposure = rng.random() < 0.06
    return {
        "schema": LIFESTYLE_SCHEMA,
        "smoking": {
            "status": smoking,
            "per_day": int(rng.choice([5, 10, 10, 15, 20, 20, 20, 30]))
            if smoking == "current"
            else None,
            "years": min(age - 16, int(rng.integers(3, 40))) if smoking != "never" else None,
        },
        "alcohol": {
            "status": alcohol,
            "type": _pick(rng, ALCOHOL_TYPES) if alcohol != "never" else None,
            "per_week": (
                _round(
                    float(rng.uniform(3, 14) if alcohol == "regular" else rng.uniform(0.5, 2)), 1
                )
                if alcohol != "never"
                else None
            ),
        },
        "activity": {
            "per_week": sessions,
            "minutes": int(rng.choice([20, 30, 30, 45, 60, 60, 90])) if sessions else None,
            "type": _pick(rng, ACTIVITIES) if sessions else None,
        },
        "diet": [pattern, *habits],
        "sleep": {
            "hours": _round(float(np.clip(rng.normal(7.0 - 0.01 * (age - 40), 0.9), 4, 10)), 1),
            "quality": _choice(rng, (("good", 0.55), ("fair", 0.33), ("poor", 0.12))),
        },
        "occupational_exposure": (
            f"{_pick(rng, EXPOSURES)} {int(rng.integers(2, 25))} 年" if exposure else None
        ),
    }


# --- the physiological model ---------------------------------------------------------------

TRAITS = (
    "bmi trend height waist bp dbp hr glucose a1c tc hdl tg ua fatty "
    "alt ast ggt alb cr urea wbc rbc hb plt"
).split()


@dataclass
class _Raw:
    """One visit's values before treatment and rounding."""

    age: float
    height: float
    weight: float
    waist: float
    systolic: float
    diastolic: float
    heart_rate: float
    glucose_trait: float
    fasting_glucose: float
    hba1c: float
    total_cholesterol: float
    hdl_c: float
    triglycerides: float
    uric_acid: float
    fatty: float  # > 0: fatty liver on ultrasound; the size gives the grade
    alt: float
    ast: float
    ggt: float
    albumin: float
    creatinine: float
    urea: float
    wbc: float
    rbc: float
    hemoglobin: float
    platelets: float

    @property
    def bmi(self) -> float:
        return self.weight / (self.height / 100) ** 2


def _raw_visit(
    z: dict[str, float],
    noise: np.ndarray,
    *,
    sex: str,
    age: float,
    years: float,
    base_bmi: float,
    height: float,
    life: dict[str, Any],
) -> _Raw:
    n = iter(noise.tolist())
    male = sex == "M"
    smoker = life["smoking"]["status"] == "current"
    drinker = life["alcohol"]["status"] == "regular"
    active = life["activity"]["per_week"] >= 3
    bmi = float(np.clip(base_bmi + (0.12 + 0.22 * z["trend"]) * years + 0.3 * next(n), 16.0, 45.0))
    weight = bmi * (height / 100) ** 2
    waist = (
        (2.55 * bmi + 22 if male else 2.45 * bmi + 19)
        + 0.1 * (age - 40)
        + 3.5 * z["waist"]
        + next(n)
    )
    systolic = (
        92
        + 0.62 * age
        + 1.3 * (bmi - 23)
        + (4 if male else 0)
        + (3 if drinker else 0)
        + 12 * z["bp"]
        + 6 * next(n)
    )
    diastolic = (
        0.40 * systolic
        + 26
        + 0.5 * (bmi - 23)
        - 0.15 * max(0.0, age - 60)
        + 5 * z["dbp"]
        + 3 * next(n)
    )
    heart_rate = 74 + 0.3 * (bmi - 23) - (2 if male else 0) + 8 * z["hr"] + 4 * next(n)
    # Glycaemia: a latent score rising with age, BMI and time; fasting glucose bends upwards
    # above a threshold, so that about one adult in ten crosses 7.0 mmol/L.
    g = 0.04 * (age - 45) + 0.16 * (bmi - 24) + z["glucose"] + 0.06 * years + 0.15 * next(n)
    glucose = 4.9 + 0.25 * g + 0.9 * max(0.0, g - 0.9) ** 1.5 + 0.2 * next(n)
    # HbA1c from mean glucose by the ADAG relation (Nathan DM et al., Diabetes Care
    # 2008;31:1473-8: eAG mmol/L = 1.59 × A1c − 2.59), plus the gap between fasting and mean.
    hba1c = (glucose + 2.59) / 1.59 + 0.45 + 0.15 * z["a1c"] + 0.1 * next(n)
    tc = (
        4.35
        + 0.018 * (age - 40)
        + 0.06 * (bmi - 23)
        + (0.25 if not male and age > 50 else 0)
        + 0.75 * z["tc"]
        + 0.2 * next(n)
    )
    hdl = (
        (1.18 if male else 1.42)
        - 0.035 * (bmi - 23)
        - (0.08 if smoker else 0)
        + (0.08 if active else 0)
        + 0.22 * z["hdl"]
        + 0.06 * next(n)
    )
    tg = math.exp(
        math.log(1.15)
        + 0.07 * (bmi - 23)
        + 0.004 * (age - 40)
        + (0.12 if male else 0)
        + (0.14 if drinker else 0)
        - (0.1 if active else 0)
        + 0.1 * max(0.0, g - 2)
        + 0.42 * z["tg"]
        + 0.15 * next(n)
    )
    ua = (
        (355 if male else 265)
        + 10 * (bmi - 23)
        + (0.8 * (age - 50) if not male and age > 50 else 0)
        + 25 * math.log(tg / 1.3)
        + 65 * z["ua"]
        + 20 * next(n)
    )
    fatty = (
        0.45 * (bmi - 25) + 0.8 * math.log(tg / 1.5) + 0.6 * z["fatty"] + (0.3 if g > 1.5 else 0)
    )
    fatty -= 0.3  # a threshold: about three adults in ten show a fatty liver
    alt = math.exp(
        math.log(21 if male else 15)
        + 0.045 * (bmi - 23)
        + (0.35 if fatty > 0 else 0)
        + 0.35 * z["alt"]
        + 0.15 * next(n)
    )
    ast = math.exp(
        math.log(21 if male else 19)
        + 0.35 * math.log(alt / (21 if male else 15))
        + 0.18 * z["ast"]
        + 0.1 * next(n)
    )
    ggt = math.exp(
        math.log(24 if male else 15)
        + 0.04 * (bmi - 23)
        + (0.4 if drinker else 0)
        + (0.2 if fatty > 0 else 0)
        + 0.45 * z["ggt"]
        + 0.15 * next(n)
    )
    albumin = 46.5 - 0.09 * (age - 40) + 2.2 * z["alb"] + next(n)
    creatinine = (78 if male else 57) + 0.25 * max(0.0, age - 40) + 9 * z["cr"] + 4 * next(n)
    urea = (5.2 if male else 4.6) + 0.02 * (age - 40) + 0.9 * z["urea"] + 0.4 * next(n)
    wbc = math.exp(
        math.log(6.0) + 0.012 * (bmi - 23) + (0.1 if smoker else 0) + 0.2 * z["wbc"] + 0.1 * next(n)
    )
    rbc = (4.95 if male else 4.35) - 0.005 * (age - 40) + 0.3 * z["rbc"] + 0.1 * next(n)
    hemoglobin = rbc * (30.5 if male else 29.5) + 4 * z["hb"] + 3 * next(n)
    platelets = 235 - 0.6 * (age - 40) + 50 * z["plt"] + 12 * next(n)
    return _Raw(
        age=age,
        height=height,
        weight=weight,
        waist=waist,
        systolic=systolic,
        diastolic=diastolic,
        heart_rate=heart_rate,
        glucose_trait=g,
        fasting_glucose=glucose,
        hba1c=hba1c,
        total_cholesterol=tc,
        hdl_c=hdl,
        triglycerides=tg,
        uric_acid=ua,
        fatty=fatty,
        alt=alt,
        ast=ast,
        ggt=ggt,
        albumin=albumin,
        creatinine=creatinine,
        urea=urea,
        wbc=wbc,
        rbc=rbc,
        hemoglobin=hemoglobin,
        platelets=platelets,
    )


_NOISE_PER_VISIT = 40

# The chronic conditions the values lead to (ICD-10), and their names on the record
HYPERTENSION = "I10"
DIABETES = "E11.9"
DYSLIPIDAEMIA = "E78.5"
FATTY_LIVER = "K76.0"
HYPERURICAEMIA = "E79.0"
CONDITION_NAMES = {
    HYPERTENSION: "原发性高血压",
    DIABETES: "2型糖尿病",
    DYSLIPIDAEMIA: "血脂异常",
    FATTY_LIVER: "脂肪肝",
    HYPERURICAEMIA: "高尿酸血症",
}
# (name, dose, frequency) — common first-line choices in China
MEDICATIONS = {
    HYPERTENSION: (("苯磺酸氨氯地平片", "5 mg", "每日1次"), ("缬沙坦胶囊", "80 mg", "每日1次")),
    DIABETES: (("盐酸二甲双胍片", "0.5 g", "每日2次"),),
    DYSLIPIDAEMIA: (("阿托伐他汀钙片", "20 mg", "每晚1次"),),
    HYPERURICAEMIA: (("非布司他片", "20 mg", "每日1次"),),
}
OTHER_CONDITIONS = (
    # (code, name, probability, minimum age)
    ("E04.1", "甲状腺结节", 0.08, 25),
    ("K29.5", "慢性胃炎", 0.05, 25),
    ("J30.4", "过敏性鼻炎", 0.04, 20),
    ("I25.1", "冠状动脉粥样硬化性心脏病", 0.06, 55),
    ("B18.1", "慢性乙型病毒性肝炎", 0.02, 20),
)
SURGERIES = (("阑尾切除术", "*"), ("胆囊切除术", "*"), ("剖宫产术", "F"), ("甲状腺部分切除术", "*"))
FAMILY_CONDITIONS = (
    # (code, name, base probability per parent)
    ("I10", "高血压", 0.28),
    ("E11.9", "2型糖尿病", 0.1),
    ("I25.1", "冠心病", 0.07),
    ("I64", "脑卒中", 0.07),
    ("C16.9", "胃癌", 0.015),
    ("C34.9", "肺癌", 0.015),
    ("C22.0", "肝癌", 0.01),
    ("C18.9", "结肠癌", 0.01),
)
ALLERGENS = (
    ("青霉素", "皮疹", "moderate"),
    ("头孢类抗生素", "皮疹", "mild"),
    ("磺胺类药物", "荨麻疹", "moderate"),
    ("阿司匹林", "哮喘发作", "severe"),
    ("海鲜", "荨麻疹", "mild"),
    ("花粉", "过敏性鼻炎", "mild"),
    ("尘螨", "鼻塞、喷嚏", "mild"),
    ("芒果", "口周红肿", "mild"),
)


@dataclass
class _Treatment:
    code: str
    from_visit: int  # visits with this index or later are treated
    adherence: str

    def strength(self) -> float:
        return {"regular": 1.0, "intermittent": 0.5, "none": 0.0}[self.adherence]


def _first(indices: Sequence[int]) -> int | None:
    return indices[0] if indices else None


def _diagnose(
    rng: np.random.Generator,
    raws: list[_Raw],
    dates: list[dt.date],
    age_now: int,
    adult: dt.date,
) -> tuple[list[HistoryPlan], list[_Treatment], list[MedicationPlan]]:
    """Conditions from the untreated values, the treatment that follows, and its medication."""
    history: list[HistoryPlan] = []
    treatments: list[_Treatment] = []
    medications: list[MedicationPlan] = []

    def onset_for(visit: int) -> dt.date:
        if visit == 0 and rng.random() < 0.5:
            # known before the first check-up here, though not before adulthood
            earlier = dates[0] - dt.timedelta(days=int(rng.integers(200, 365 * 6)))
            return max(earlier, min(adult, dates[0]))
        return dates[visit]

    def diagnose(code: str, visit: int | None, treat_p: float, status: str = "active") -> None:
        if visit is None:
            return
        history.append(
            HistoryPlan("condition", code, CONDITION_NAMES[code], onset_for(visit), status)
        )
        if code in MEDICATIONS and rng.random() < treat_p:
            name, dose, frequency = MEDICATIONS[code][int(rng.integers(len(MEDICATIONS[code])))]
            adherence = _choice(rng, (("regular", 0.7), ("intermittent", 0.25), ("none", 0.05)))
            medications.append(MedicationPlan(name, dose, frequency, adherence, code))
            treatments.append(_Treatment(code, visit + 1, adherence))

    diagnose(
        HYPERTENSION,
        _first([i for i, r in enumerate(raws) if r.systolic >= 140 or r.diastolic >= 90]),
        0.8,
    )
    diagnose(
        DIABETES,
        _first([i for i, r in enumerate(raws) if r.fasting_glucose >= 7.0 or r.hba1c >= 6.5]),
        0.85,
    )
    lipid_visits = [
        i
        for i, r in enumerate(raws)
        if r.total_cholesterol >= 6.2 or _ldl(r) >= 4.1 or r.triglycerides >= 2.3 or r.hdl_c < 1.0
    ]
    ldl_high = any(_ldl(r) >= 3.4 for r in raws)
    diagnose(DYSLIPIDAEMIA, _first(lipid_visits), 0.55 if ldl_high and age_now >= 40 else 0.1)
    urate_visits = [i for i, r in enumerate(raws) if r.uric_acid > 420]
    urate_visit = (
        urate_visits[1]
        if len(urate_visits) >= 2
        else _first([i for i, r in enumerate(raws) if r.uric_acid > 480])
    )
    diagnose(HYPERURICAEMIA, urate_visit, 0.35 if any(r.uric_acid > 480 for r in raws) else 0.0)
    fatty_visits = [i for i, r in enumerate(raws) if r.fatty > 0]
    diagnose(
        FATTY_LIVER,
        _first(fatty_visits),
        0.0,
        "active" if raws[-1].fatty > 0 else "remission",
    )
    # A condition known before the first visit was already treated at that visit.
    for t in treatments:
        h = next(h for h in history if h.code == t.code)
        if t.from_visit == 1 and h.onset < dates[0]:
            t.from_visit = 0
    return history, treatments, medications


def _ldl(raw: _Raw) -> float:
    # Friedewald in mmol/L (LDL-C = TC − HDL-C − TG / 2.2); the lab measures it directly, and
    # the floor keeps a very high TG from producing an impossible value.
    return max(0.4, raw.total_cholesterol - raw.hdl_c - raw.triglycerides / 2.2)


def _treat(raw: _Raw, treatments: list[_Treatment], visit: int) -> None:
    for t in treatments:
        if visit < t.from_visit:
            continue
        s = t.strength()
        if t.code == HYPERTENSION:
            raw.systolic -= 14 * s
            raw.diastolic -= 8 * s
        elif t.code == DIABETES:
            raw.fasting_glucose = max(4.4, raw.fasting_glucose - 1.2 * s)
            raw.hba1c = max(5.0, raw.hba1c - 0.6 * s)
        elif t.code == DYSLIPIDAEMIA:
            raw.total_cholesterol = max(2.5, raw.total_cholesterol - 1.0 * s)
        elif t.code == HYPERURICAEMIA:
            raw.uric_acid = max(150, raw.uric_acid - 120 * s)


# --- results -------------------------------------------------------------------------------


def _ecg(rng: np.random.Generator, raw: _Raw, heart_rate: float) -> str:
    if heart_rate < 60:
        return "窦性心动过缓"
    if heart_rate > 100:
        return "窦性心动过速"
    if raw.age > 60 and raw.systolic > 150 and rng.random() < 0.4:
        return "窦性心律，ST-T改变"
    if rng.random() < 0.04:
        return "窦性心律，不完全性右束支传导阻滞"
    return "窦性心律，正常心电图"


NORMAL_ECG = "窦性心律，正常心电图"
NORMAL_LIVER = "肝胆未见明显异常"


def _ultrasound(rng: np.random.Generator, raw: _Raw) -> str:
    if raw.fatty > 0:
        grade = "轻度" if raw.fatty < 1.5 else "中度" if raw.fatty < 3.0 else "重度"
        return f"脂肪肝（{grade}）"
    if rng.random() < 0.05:
        return "胆囊息肉"
    return NORMAL_LIVER


def _results(rng: np.random.Generator, raw: _Raw, sex: str, package: str) -> list[ResultPlan]:
    age = int(raw.age)
    height = Decimal(str(_round(raw.height, 1)))
    weight = Decimal(str(_round(raw.weight, 1)))
    systolic = round(raw.systolic)
    diastolic = min(round(raw.diastolic), systolic - 10)
    heart_rate = round(raw.heart_rate)
    values: dict[str, float] = {
        "height": float(height),
        "weight": float(weight),
        "bmi": float(compute_bmi(height, weight)),
        "waist": raw.waist,
        "systolic": systolic,
        "diastolic": diastolic,
        "heart_rate": heart_rate,
        "wbc": raw.wbc,
        "rbc": raw.rbc,
        "hemoglobin": raw.hemoglobin,
        "platelets": max(40.0, raw.platelets),
        "fasting_glucose": max(3.3, raw.fasting_glucose),
        "hba1c": max(4.0, raw.hba1c),
        "total_cholesterol": max(2.2, raw.total_cholesterol),
        "triglycerides": max(0.3, raw.triglycerides),
        "ldl_c": _ldl(raw),
        "hdl_c": max(0.5, raw.hdl_c),
        "alt": max(4.0, raw.alt),
        "ast": max(8.0, raw.ast),
        "ggt": max(5.0, raw.ggt),
        "albumin": raw.albumin,
        "urea": max(1.8, raw.urea),
        "creatinine": max(30.0, raw.creatinine),
        "uric_acid": max(90.0, raw.uric_acid),
    }
    texts = {"ecg": _ecg(rng, raw, heart_rate), "liver_ultrasound": _ultrasound(rng, raw)}
    results: list[ResultPlan] = []
    for code in catalog.PACKAGES[package].items:
        item = catalog.ITEMS[code]
        low, high = catalog.reference(item, sex, age)
        if item.kind == catalog.TEXT:
            text = texts[code]
            normal = text in {NORMAL_ECG, NORMAL_LIVER}
            results.append(ResultPlan(code, None, text, None, None, "N" if normal else "A"))
            continue
        value = _round(values[code], item.decimals)
        flag = (
            catalog.flag_for(value, low, high, item.critical)
            if (low, high) != (None, None)
            else None
        )
        results.append(ResultPlan(code, value, "", low, high, flag))
    return results


# --- conclusions (总检结论) ----------------------------------------------------------------

ADVICE = {
    "weight": "控制体重：减少高能量食物，每周至少150分钟中等强度有氧运动，目标体质指数低于24.0。",
    "bp": (
        "低盐饮食（每日食盐少于5克），家庭自测血压；"
        "未服药者心血管内科门诊就诊，已服药者遵医嘱调整。"
    ),
    "glucose": (
        "控制主食和含糖饮料，3个月内复查空腹血糖和糖化血红蛋白，必要时做口服葡萄糖耐量试验。"
    ),
    "lipids": "低脂饮食，少吃动物内脏和油炸食品，3至6个月后复查血脂。",
    "urate": "多饮水，限制动物内脏、海鲜、浓肉汤和啤酒，复查血尿酸。",
    "liver": "戒酒或限酒，控制体重，3至6个月后复查肝功能和肝胆彩超。",
    "ecg": "心血管内科门诊随诊，必要时做动态心电图或心脏超声。",
    "blood": "血液科或消化内科就诊，查明贫血原因。",
    "kidney": "肾内科门诊复查肾功能和尿常规。",
}


def conclude(visit: VisitPlan, sex: str, known: set[str]) -> tuple[str, str]:
    """The chief physician's conclusions and recommendations for a visit's abnormal results."""
    by = {r.item: r for r in visit.results}
    findings: list[str] = []
    advice: list[str] = []

    def value(code: str) -> float:
        v = by[code].value
        return float(v) if v is not None else 0.0

    def abnormal(code: str) -> bool:
        return code in by and by[code].flag not in (None, "N")

    bmi = value("bmi")
    if bmi >= 28:
        findings.append(f"肥胖（体质指数 {bmi:.1f} kg/m²）")
        advice.append("weight")
    elif bmi >= 24:
        findings.append(f"超重（体质指数 {bmi:.1f} kg/m²）")
        advice.append("weight")
    if abnormal("waist"):
        findings.append(f"中心型肥胖（腰围 {value('waist'):.1f} cm）")
    bp = f"{value('systolic'):.0f}/{value('diastolic'):.0f} mmHg"
    high_bp = value("systolic") >= 140 or value("diastolic") >= 90
    if HYPERTENSION in known:
        findings.append(f"高血压病史，本次血压 {bp}（{'控制欠佳' if high_bp else '控制达标'}）")
        advice.append("bp")
    elif high_bp:
        findings.append(f"血压升高（{bp}）")
        advice.append("bp")
    glucose = value("fasting_glucose")
    if DIABETES in known:
        findings.append(f"2型糖尿病病史，本次空腹血糖 {glucose:.2f} mmol/L")
        advice.append("glucose")
    elif glucose >= 7.0:
        findings.append(f"空腹血糖升高（{glucose:.2f} mmol/L）")
        advice.append("glucose")
    elif glucose >= 6.1:
        findings.append(f"空腹血糖受损（{glucose:.2f} mmol/L）")
        advice.append("glucose")
    if "hba1c" in by and value("hba1c") >= 6.5 and DIABETES not in known:
        findings.append(f"糖化血红蛋白升高（{value('hba1c'):.1f}%）")
    lipids = [
        label
        for code, label in (
            ("total_cholesterol", "总胆固醇升高"),
            ("triglycerides", "甘油三酯升高"),
            ("ldl_c", "低密度脂蛋白胆固醇升高"),
            ("hdl_c", "高密度脂蛋白胆固醇降低"),
        )
        if abnormal(code)
    ]
    if lipids:
        findings.append("血脂异常：" + "，".join(lipids))
        advice.append("lipids")
    if abnormal("uric_acid"):
        findings.append(f"血尿酸升高（{value('uric_acid'):.0f} μmol/L）")
        advice.append("urate")
    liver = [
        name
        for code, name in (("alt", "丙氨酸氨基转移酶"), ("ggt", "γ-谷氨酰基转移酶"))
        if abnormal(code) and by[code].flag in {"H", "HH"}
    ]
    if liver:
        findings.append("、".join(liver) + "升高")
        advice.append("liver")
    if "liver_ultrasound" in by and by["liver_ultrasound"].flag == "A":
        findings.append("肝胆彩超：" + by["liver_ultrasound"].text)
        if by["liver_ultrasound"].text.startswith("脂肪肝"):
            advice.append("liver")
    if by["ecg"].flag == "A":
        findings.append("心电图：" + by["ecg"].text)
        advice.append("ecg")
    if by["hemoglobin"].flag == "L":
        findings.append(f"轻度贫血（血红蛋白 {value('hemoglobin'):.0f} g/L）")
        advice.append("blood")
    if by["creatinine"].flag == "H":
        findings.append(f"血肌酐偏高（{value('creatinine'):.0f} μmol/L）")
        advice.append("kidney")
    if not findings:
        return "本次体检未见明显异常。", "保持健康生活方式，建议每年定期体检。"
    conclusions = "\n".join(f"{i}. {text}。" for i, text in enumerate(findings, 1))
    unique_advice = list(dict.fromkeys(advice))
    lines = [ADVICE[a] for a in unique_advice] + ["建议每年定期体检。"]
    recommendations = "\n".join(f"{i}. {text}" for i, text in enumerate(lines, 1))
    return conclusions, recommendations


# --- one person ----------------------------------------------------------------------------


def _manager_slot(rng: np.random.Generator, managers: int) -> int | None:
    # The same draws whatever the number of managers, so that the rest of the person is too.
    assigned, which = rng.random() < 0.9, float(rng.random())
    return int(which * managers) if assigned and managers else None


def _visit_dates(rng: np.random.Generator, today: dt.date, count: int) -> list[dt.date]:
    latest = today - dt.timedelta(days=int(rng.integers(0, 400)))
    dates = [latest]
    for back in range(1, count):
        shift = int(rng.integers(-30, 31))
        dates.append(_add_years(latest, -back) + dt.timedelta(days=shift))
    return sorted(dates)


def plan_customer(
    index: int,
    *,
    seed: int = DEFAULT_SEED,
    today: dt.date,
    unique: Unique,
    mean_visits: float = 4.0,
    managers: int = 1,
) -> CustomerPlan:
    """Everything about demo customer number `index`, from its own random stream."""
    rng = np.random.default_rng([index, seed])
    sex = "M" if rng.random() < 0.52 else "F"
    age_years = 20 + 65 * float(rng.beta(2.0, 2.6))
    birth = today - dt.timedelta(days=int(age_years * 365.2425))
    age_now = _years_between(birth, today)
    # 1-8 annual visits, none before the age of 18
    visits_wanted = 1 + int(rng.binomial(7, min(1.0, max(0.0, (mean_visits - 1) / 7))))
    dates = _visit_dates(rng, today, min(visits_wanted, age_now - 19))
    enrolled = dates[0] - dt.timedelta(days=int(rng.integers(0, 30)))
    life = _lifestyle(rng, sex, age_now)
    traits = rng.standard_normal(len(TRAITS))
    z = dict(zip(TRAITS, (float(t) for t in traits), strict=True))
    noise = rng.standard_normal((len(dates), _NOISE_PER_VISIT))
    first_age = _years_between(birth, dates[0]) + 0.5
    base_bmi = math.exp(
        math.log(23.0 + (0.6 if sex == "M" else 0) + 0.03 * (first_age - 40)) + 0.13 * z["bmi"]
    )
    height = (171 if sex == "M" else 159) + 0.12 * (birth.year - 1975) + 6 * z["height"]
    raws = [
        _raw_visit(
            z,
            noise[i],
            sex=sex,
            age=(d - birth).days / 365.2425,
            years=(d - dates[0]).days / 365.2425,
            base_bmi=base_bmi,
            height=height - 0.1 * max(0.0, (d - birth).days / 365.2425 - 65),
            life=life,
        )
        for i, d in enumerate(dates)
    ]
    history, treatments, medications = _diagnose(rng, raws, dates, age_now, _add_years(birth, 18))
    for i, raw in enumerate(raws):
        _treat(raw, treatments, i)
    plan = CustomerPlan(
        index=index,
        name=_name(rng, sex),
        sex=sex,
        birth_date=birth,
        id_number=_id_number(rng, sex, birth, unique),
        mobile=_mobile(rng, unique),
        address=_address(rng),
        emergency_contact={},
        occupation=_occupation(rng, age_now, sex),
        marital_status=_marital(rng, age_now),
        ethnicity=_choice(rng, ETHNICITIES),
        insurance_type=_choice(rng, INSURANCE),
        source_channel=_choice(rng, SOURCE_CHANNELS),
        enrolled=enrolled,
        manager_slot=_manager_slot(rng, managers),
        history=history,
        medications=medications,
        lifestyle=life,
    )
    relation = "配偶" if plan.marital_status == "已婚" else "父母" if age_now < 45 else "子女"
    plan.emergency_contact = {
        "name": _name(rng, "F" if sex == "M" else "M"),
        "relation": relation,
        "phone": _mobile(rng, None),
    }
    _other_history(rng, plan, age_now)
    _family(rng, plan)
    if rng.random() < 0.15:
        allergen = ALLERGENS[int(rng.integers(len(ALLERGENS)))]
        plan.allergies.append(AllergyPlan(*allergen))
    plan.cards = _cards(rng, plan, today, unique)
    known: set[str] = set()
    for d, raw in zip(dates, raws, strict=True):
        age = int(raw.age)
        package = (
            ("senior" if rng.random() < 0.5 else "standard")
            if age >= 50
            else ("basic" if rng.random() < 0.4 else "standard")
        )
        visit = VisitPlan(
            number=f"TJ{d:%Y%m%d}{index:06d}",
            date=d,
            package=package,
            results=_results(rng, raw, sex, package),
        )
        known |= {h.code for h in plan.history if h.kind == "condition" and h.onset <= d}
        if (today - d).days > 14:
            # older visits have been through the chief physician's review (总检)
            visit.concluded = True
            visit.conclusions, visit.recommendations = conclude(visit, sex, known)
        plan.visits.append(visit)
    return plan


def _other_history(rng: np.random.Generator, plan: CustomerPlan, age: int) -> None:
    birth = plan.birth_date

    def when(min_age: int) -> dt.date:
        years = int(rng.integers(min_age, max(min_age + 1, age)))
        return min(_add_years(birth, years), plan.enrolled)

    for code, name, probability, min_age in OTHER_CONDITIONS:
        if age >= min_age and rng.random() < probability:
            plan.history.append(HistoryPlan("condition", code, name, when(min_age)))
    if rng.random() < 0.1:
        options = [s for s, sex in SURGERIES if sex in {"*", plan.sex}]
        plan.history.append(HistoryPlan("surgery", "", _pick(rng, options), when(18), ""))
    if rng.random() < 0.04:
        plan.history.append(
            HistoryPlan("trauma", "", "桡骨远端骨折", when(10), "", "保守治疗后愈合")
        )
    if rng.random() < 0.01:
        plan.history.append(HistoryPlan("transfusion", "", "输血（手术中）", when(20), ""))
    if rng.random() < 0.01:
        # a disability's code is its category (services.sections.DISABILITIES)
        plan.history.append(HistoryPlan("disability", "hearing", "听力残疾", when(20), ""))


def _family(rng: np.random.Generator, plan: CustomerPlan) -> None:
    own = plan.condition_codes()
    for relation in ("father", "mother"):
        for code, name, probability in FAMILY_CONDITIONS:
            # heredity: a parent is likelier to share a condition the customer has
            p = probability * (1.6 if code in own else 1.0)
            if rng.random() < p:
                plan.family.append(FamilyPlan(relation, code, name))
    if rng.random() < 0.05:
        plan.family.append(FamilyPlan("sibling", "E11.9", "2型糖尿病"))


def _cards(
    rng: np.random.Generator, plan: CustomerPlan, today: dt.date, unique: Unique
) -> list[CardPlan]:
    if rng.random() >= 0.9:
        return []  # enrolled without a member card

    def number() -> str:
        while True:
            n = card_number(rng)
            if n not in unique.cards:
                unique.cards.add(n)
                return n

    level = _choice(rng, CARD_LEVELS)
    start = plan.enrolled
    until = None if rng.random() < 0.3 else _add_years(start, 5)
    first = CardPlan(number(), level, "active", start, until, [("issued", start)])
    roll = rng.random()
    span = max(1, (today - start).days)
    if roll < 0.04:
        lost = start + dt.timedelta(days=int(rng.integers(1, span + 1)))
        first.status = "replaced"
        first.events += [("report_lost", lost), ("replaced", lost)]
        second = CardPlan(number(), level, "active", lost, until, [("issued", lost)], replaces=0)
        return [first, second]
    if roll < 0.06:
        first.status = "frozen"
        first.events.append(("freeze", start + dt.timedelta(days=int(rng.integers(1, span + 1)))))
    return [first]


def generate(
    count: int,
    *,
    seed: int = DEFAULT_SEED,
    today: dt.date | None = None,
    start: int = 0,
    unique: Unique | None = None,
    mean_visits: float = 4.0,
    managers: int = 1,
) -> list[CustomerPlan]:
    """Plans of customers start … start+count−1 (pure: no database, same seed → same plans)."""
    day = today or timezone.localdate()
    seen = unique if unique is not None else Unique()
    return [
        plan_customer(
            i, seed=seed, today=day, unique=seen, mean_visits=mean_visits, managers=managers
        )
        for i in range(start, start + count)
    ]


# --- writing -------------------------------------------------------------------------------


@dataclass
class LoadResult:
    customer_ids: list[uuid.UUID] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)

    def add(self, model: str, count: int) -> None:
        self.rows[model] = self.rows.get(model, 0) + count


def _aware(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _roles(user: Any) -> frozenset[str]:
    return frozenset(getattr(user, "role_codes", ()))


def _positional(model: type[Any], **values: Any) -> Any:
    # Django builds an instance from positional values in field order about twice as fast as
    # from keywords, which matters for the millions of results of the benchmark build.
    fields = model._meta.concrete_fields
    known = _ATTNAMES.get(model)
    if known is None:
        known = _ATTNAMES[model] = {f.attname for f in fields}
    if not values.keys() <= known:
        raise TypeError(f"unknown fields for {model.__name__}: {sorted(values.keys() - known)}")
    return model(*[values[f.attname] if f.attname in values else f.get_default() for f in fields])


_ATTNAMES: dict[type[Any], set[str]] = {}


def model_rows(
    plan: CustomerPlan,
    institution_id: uuid.UUID,
    managers: Sequence[Any],
    physicians: Sequence[Any],
    issuer: Any | None,
) -> dict[type[Any], list[Any]]:
    """Unsaved model instances of one customer's record, with their UUIDs set (D-03)."""
    customer_id = uuid.uuid4()
    owned = {"institution_id": institution_id, "customer_id": customer_id}
    enrolled_at = _aware(plan.enrolled, 8, 30)
    manager = managers[plan.manager_slot] if managers and plan.manager_slot is not None else None
    rows: dict[type[Any], list[Any]] = {m: [] for m in LOAD_ORDER}
    rows[Customer].append(
        Customer(
            id=customer_id,
            institution_id=institution_id,
            name=plan.name,
            sex=plan.sex,
            birth_date=plan.birth_date,
            birth_year=plan.birth_date.year,
            mobile=plan.mobile,
            address=plan.address,
            emergency_contact=plan.emergency_contact,
            occupation=plan.occupation,
            marital_status=plan.marital_status,
            ethnicity=plan.ethnicity,
            insurance_type=plan.insurance_type,
            source_channel=plan.source_channel,
            consent_version=CONSENT_VERSION,
            consent_at=enrolled_at,
            manager_id=manager.pk if manager is not None else None,
            created=enrolled_at,
            updated=enrolled_at,
        )
    )
    rows[CustomerIdentifier].append(
        CustomerIdentifier(
            **owned,
            created=enrolled_at,
            type=ids.RESIDENT_ID,
            value=plan.id_number,
            is_primary=True,
        )
    )
    issued_by = issuer.pk if issuer is not None else None
    cards: list[MemberCard] = []
    for card in plan.cards:
        row = MemberCard(
            id=uuid.uuid4(),
            **owned,
            created=_aware(card.valid_from, 8, 40),
            created_by_id=issued_by,
            number=card.number,
            level=card.level,
            status=card.status,
            valid_from=card.valid_from,
            valid_until=card.valid_until,
            replaces_id=cards[card.replaces].pk if card.replaces is not None else None,
        )
        cards.append(row)
        rows[MemberCard].append(row)
        for minute, (kind, when) in enumerate(card.events):
            rows[CardEvent].append(
                CardEvent(
                    **owned,
                    created=_aware(when, 8, 40 + minute),
                    created_by_id=issued_by,
                    card_id=row.pk,
                    kind=kind,
                )
            )
    for h in plan.history:
        rows[HistoryItem].append(
            HistoryItem(
                **owned,
                created=enrolled_at,
                kind=h.kind,
                code=h.code or None,
                name=h.name,
                onset=h.onset,
                clinical_status=h.status or None,
                note=h.note or None,
            )
        )
    for f in plan.family:
        rows[FamilyHistory].append(
            FamilyHistory(
                **owned, created=enrolled_at, relation=f.relation, code=f.code, name=f.name
            )
        )
    for a in plan.allergies:
        rows[Allergy].append(
            Allergy(
                **owned,
                created=enrolled_at,
                substance=a.substance,
                reaction=a.reaction,
                severity=a.severity,
            )
        )
    for m in plan.medications:
        rows[Medication].append(
            Medication(
                **owned,
                created=enrolled_at,
                name=m.name,
                dose=m.dose,
                frequency=m.frequency,
                adherence=m.adherence,
                active=m.adherence != "none",
            )
        )
    rows[Lifestyle].append(Lifestyle(**owned, created=enrolled_at, data=plan.lifestyle))
    for n, v in enumerate(plan.visits):
        physician = physicians[n % len(physicians)] if physicians and v.concluded else None
        visit = Visit(
            id=uuid.uuid4(),
            **owned,
            created=_aware(v.date, 8, 0),
            visit_number=v.number,
            visit_date=v.date,
            package=v.package,
            status="concluded" if v.concluded else "open",
            conclusions=v.conclusions or None,
            recommendations=v.recommendations or None,
            chief_physician_id=physician.pk if physician is not None else None,
            concluded_at=_aware(v.date + dt.timedelta(days=3), 16, 0) if v.concluded else None,
        )
        rows[Visit].append(visit)
        taken = _aware(v.date, 8, 0)
        for r in v.results:
            item = catalog.ITEMS[r.item]
            rows[Observation].append(
                _positional(
                    Observation,
                    id=uuid.uuid4(),
                    **owned,
                    created=taken,
                    visit_id=visit.pk,
                    loinc=item.loinc,
                    local_code=item.local_code,
                    unit=item.unit,
                    value_num=r.value,
                    value_text=r.text or None,
                    ref_low=r.ref_low,
                    ref_high=r.ref_high,
                    flag=r.flag,
                    effective=taken,
                    source="import",
                    source_key=f"{SOURCE}:{v.number}:{item.local_code}",
                )
            )
    return rows


# Demo data is an import: no record history of its own.
LOAD_ORDER: tuple[type[Any], ...] = tuple(m for m in PERSONAL_MODELS if m is not RecordChange)


def write_plans(
    plans: Sequence[CustomerPlan],
    institution_id: uuid.UUID,
    staff: Sequence[Any] = (),
    *,
    batch_size: int | None = None,
) -> LoadResult:
    """Insert plans in one transaction through the model fields (encryption, blind indexes)."""
    managers = [u for u in staff if "health_manager" in _roles(u)]
    physicians = [u for u in staff if "doctor" in _roles(u)]
    issuer = next((u for u in staff if "front_desk" in _roles(u)), None)
    result = LoadResult()
    rows: dict[type[Any], list[Any]] = {m: [] for m in LOAD_ORDER}
    for plan in plans:
        for model, items in model_rows(plan, institution_id, managers, physicians, issuer).items():
            rows[model].extend(items)
        result.customer_ids.append(rows[Customer][-1].pk)
    with transaction.atomic():
        for model in LOAD_ORDER:
            # An import writes rows, it reads none: the scoped manager's unscoped() is the way to
            # a bulk insert (D-14), with the reason logged.
            model.objects.unscoped(reason="demo import").bulk_create(
                rows[model], batch_size=batch_size
            )
            result.add(model.__name__, len(rows[model]))
    return result


def iter_chunks(count: int, chunk: int) -> Iterator[tuple[int, int]]:
    for start in range(0, count, chunk):
        yield start, min(chunk, count - start)


def load_demo_customers(
    institution: Any,
    staff: Sequence[Any],
    *,
    count: int = 500,
    seed: int = DEFAULT_SEED,
    today: dt.date | None = None,
    chunk: int = 250,
    mean_visits: float = 4.0,
) -> LoadResult:
    """Generate and insert `count` demo customers of `institution`, assigned to its managers.

    Written as an import: no record-history rows, one ledger entry for the batch (D-07).
    """
    day = today or timezone.localdate()
    managers = sum(1 for u in staff if "health_manager" in _roles(u))
    unique = Unique()
    total = LoadResult()
    # All or nothing, so that `jianguan demo` can tell "loaded" from "not loaded" by one query.
    with transaction.atomic():
        for start, size in iter_chunks(count, chunk):
            plans = generate(
                size,
                seed=seed,
                today=day,
                start=start,
                unique=unique,
                mean_visits=mean_visits,
                managers=managers,
            )
            part = write_plans(plans, institution.pk, staff)
            total.customer_ids += part.customer_ids
            for model, n in part.rows.items():
                total.add(model, n)
        if total.customer_ids:
            record_job_run(
                "demo",
                action="records.import",
                resource_type="customer",
                ids=total.customer_ids,
                institution_id=institution.pk,
            )
    return total
