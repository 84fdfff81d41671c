"""Questionnaire scores: PHQ-9, GAD-7, PSQI, AUDIT-C and the TCM constitution questionnaire.

These are the scoring rules the questionnaire engine calls with a respondent's answers as
integers (clinical-references.md §8 and §9):

- PHQ-9: Kroenke K, Spitzer RL, Williams JBW. J Gen Intern Med 2001;16:606-613.
- GAD-7: Spitzer RL, Kroenke K, Williams JBW, Löwe B. Arch Intern Med 2006;166:1092-1097.
- PSQI: Buysse DJ et al. Psychiatry Res 1989;28:193-213; Chinese version 刘贤臣 等 1996.
- AUDIT-C: Bush K et al. Arch Intern Med 1998;158:1789-1795; Bradley KA et al. Arch Intern
  Med 2003;163:821-829 (women's cut-off).
- 中医体质分类与判定 ZYYXH/T157-2009 (中华中医药学会).

Item wording is licensed or belongs to the standard: only short paraphrased labels appear
here; the questionnaire engine shows the instrument's own text. An answer outside an item's
range is refused naming the item (`possible`), since it is a data-entry error, not a patient.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import reduce
from typing import Any

from ..inputs import SEX_INPUT
from ..registry import INTEGER, NUMBER, Category, Input, Model, Outcome, register
from ..xp import SCALAR
from ._shared import band, label_of, listed, sex_words

SCORE = "{score}"


def _items(
    instrument: str, labels: tuple[tuple[str, str], ...], low: int, high: int
) -> tuple[Input, ...]:
    """`item_1` … `item_n`, integers in [low, high], labelled by a short paraphrase."""
    return tuple(
        Input(
            f"item_{i}",
            INTEGER,
            f"{instrument} 第{i}项（{zh}）",
            f"{instrument} item {i} ({en})",
            unit=SCORE,
            possible=(low, high),
        )
        for i, (zh, en) in enumerate(labels, start=1)
    )


def _total(x: Mapping[str, Any], n: int) -> Any:
    return sum(x[f"item_{i}"] for i in range(1, n + 1))


def _screen(details: Mapping[str, Any]) -> tuple[str, str]:
    """Whether the total reaches the screening cut-off, as the explanation says it."""
    return ("达到", "positive") if details["screen_positive"] else ("未达到", "negative")


# --- PHQ-9 ----------------------------------------------------------------------------------------

PHQ9_CITATION = (
    "Kroenke K, Spitzer RL, Williams JBW. The PHQ-9: validity of a brief depression severity "
    "measure. J Gen Intern Med 2001;16(9):606-613"
)
PHQ9_ITEMS = _items(
    "PHQ-9",
    (
        ("兴趣或乐趣减少", "little interest or pleasure"),
        ("情绪低落或无望", "low mood or hopelessness"),
        ("睡眠问题", "sleep problems"),
        ("疲乏或没有精力", "tiredness, low energy"),
        ("食欲改变", "appetite change"),
        ("自我评价低", "feeling bad about oneself"),
        ("注意力难集中", "trouble concentrating"),
        ("动作迟缓或烦躁不安", "slowed down or restless"),
        ("死亡或自伤念头", "thoughts of death or self-harm"),
    ),
    0,
    3,
)
PHQ9_CLASSES = (
    Category("minimal", "无或极轻微抑郁症状", "none or minimal depressive symptoms"),
    Category("mild", "轻度抑郁症状", "mild depressive symptoms"),
    Category("moderate", "中度抑郁症状", "moderate depressive symptoms"),
    Category("moderately_severe", "中重度抑郁症状", "moderately severe depressive symptoms"),
    Category("severe", "重度抑郁症状", "severe depressive symptoms"),
)
PHQ9_BANDS = {
    "minimal": "0–4",
    "mild": "5–9",
    "moderate": "10–14",
    "moderately_severe": "15–19",
    "severe": "20–27",
}


def _phq9(x: Mapping[str, Any], xp: Any) -> Outcome:
    total = _total(x, 9)
    category = band(
        total, (5, 10, 15, 20), ("minimal", "mild", "moderate", "moderately_severe", "severe"), xp
    )
    return Outcome(
        total,
        category,
        {"screen_positive": total >= 10, "urgent_alert": x["item_9"] > 0, "item_9": x["item_9"]},
    )


def _explain_phq9(
    value: Any, category: str | None, x: Mapping[str, Any], details: Mapping[str, Any]
) -> tuple[str, str]:
    label = label_of(PHQ9_CLASSES, category)
    scores = PHQ9_BANDS[str(category)]
    screen_zh, screen_en = _screen(details)
    zh = (
        f"PHQ-9 总分 {value:g} 分（满分 27），属于“{label.label_zh}”（{scores} 分）；"
        f"{screen_zh}筛查阳性界值 ≥ 10 分（Kroenke 2001）。"
    )
    en = (
        f"PHQ-9 total {value:g} of 27: {label.label_en} ({scores}); screen {screen_en} at the "
        "usual cut-off of ≥ 10 (Kroenke 2001)."
    )
    if details["urgent_alert"]:
        item9 = x["item_9"]
        zh += f"警示：第9项（死亡或自伤念头）得分 {item9:g} > 0，无论总分多少，须当天进行安全评估。"
        en += (
            f" ALERT: item 9 (thoughts of death or self-harm) scored {item9:g} > 0 — a "
            "same-day safety assessment is needed regardless of the total."
        )
    return zh, en


register(
    Model(
        id="phq9",
        title_zh="PHQ-9 抑郁症状筛查量表",
        title_en="PHQ-9 depression screen",
        citation=PHQ9_CITATION,
        inputs=PHQ9_ITEMS,
        formula=_phq9,
        unit=SCORE,
        categories=PHQ9_CLASSES,
        explain=_explain_phq9,
        decimals=0,
        notes=(
            "Nine items scored 0–3, total 0–27; bands 0–4 / 5–9 / 10–14 / 15–19 / 20–27 and "
            "screen positive at ≥ 10 (Kroenke 2001; confidence [I]). `details.urgent_alert` is "
            "true whenever item 9 (thoughts of death or self-harm) is above 0, whatever the "
            "total: it calls for a same-day safety assessment and the explanation says so. The "
            "tenth, unscored question (how difficult the problems made life) is not an input."
        ),
    )
)


# --- GAD-7 ----------------------------------------------------------------------------------------

GAD7_CITATION = (
    "Spitzer RL, Kroenke K, Williams JBW, Löwe B. A brief measure for assessing generalized "
    "anxiety disorder: the GAD-7. Arch Intern Med 2006;166(10):1092-1097"
)
GAD7_ITEMS = _items(
    "GAD-7",
    (
        ("紧张或焦虑", "nervous or anxious"),
        ("无法停止担忧", "unable to stop worrying"),
        ("过度担忧", "worrying too much"),
        ("难以放松", "trouble relaxing"),
        ("坐立不安", "restless"),
        ("易烦躁", "easily irritated"),
        ("害怕会有坏事发生", "afraid something awful may happen"),
    ),
    0,
    3,
)
GAD7_CLASSES = (
    Category("minimal", "无或极轻微焦虑症状", "none or minimal anxiety"),
    Category("mild", "轻度焦虑症状", "mild anxiety"),
    Category("moderate", "中度焦虑症状", "moderate anxiety"),
    Category("severe", "重度焦虑症状", "severe anxiety"),
)
GAD7_BANDS = {"minimal": "0–4", "mild": "5–9", "moderate": "10–14", "severe": "15–21"}


def _gad7(x: Mapping[str, Any], xp: Any) -> Outcome:
    total = _total(x, 7)
    category = band(total, (5, 10, 15), ("minimal", "mild", "moderate", "severe"), xp)
    return Outcome(total, category, {"screen_positive": total >= 10})


def _explain_gad7(
    value: Any, category: str | None, x: Mapping[str, Any], details: Mapping[str, Any]
) -> tuple[str, str]:
    label = label_of(GAD7_CLASSES, category)
    scores = GAD7_BANDS[str(category)]
    screen_zh, screen_en = _screen(details)
    return (
        f"GAD-7 总分 {value:g} 分（满分 21），属于“{label.label_zh}”（{scores} 分）；"
        f"{screen_zh}筛查阳性界值 ≥ 10 分（Spitzer 2006）。",
        f"GAD-7 total {value:g} of 21: {label.label_en} ({scores}); screen {screen_en} at the "
        "usual cut-off of ≥ 10 (Spitzer 2006).",
    )


register(
    Model(
        id="gad7",
        title_zh="GAD-7 广泛性焦虑筛查量表",
        title_en="GAD-7 anxiety screen",
        citation=GAD7_CITATION,
        inputs=GAD7_ITEMS,
        formula=_gad7,
        unit=SCORE,
        categories=GAD7_CLASSES,
        explain=_explain_gad7,
        decimals=0,
        notes=(
            "Seven items scored 0–3, total 0–21; bands 0–4 / 5–9 / 10–14 / 15–21 and screen "
            "positive at ≥ 10 (Spitzer 2006; confidence [I])."
        ),
    )
)


# --- PSQI -----------------------------------------------------------------------------------------

PSQI_CITATION = (
    "Buysse DJ, Reynolds CF 3rd, Monk TH, Berman SR, Kupfer DJ. The Pittsburgh Sleep Quality "
    "Index. Psychiatry Res 1989;28(2):193-213; 刘贤臣 等. 匹兹堡睡眠质量指数的信度和效度研究. "
    "中华精神科杂志 1996;29(2):103-107"
)
# Buysse's cut-off (global > 5 = poor sleeper) and the Chinese validation's (> 7).
PSQI_POOR_ABOVE = 5
PSQI_CHINESE_POOR_ABOVE = 7


def _frequency(key: str, zh: str, en: str, **kwargs: Any) -> Input:
    return Input(key, INTEGER, zh, en, unit=SCORE, possible=(0, 3), **kwargs)


PSQI_INPUTS = (
    Input(
        "q1_bedtime_hour",
        NUMBER,
        "PSQI 第1题 通常上床时间（时，小数）",
        "PSQI Q1 usual bedtime (decimal hour, 23.5 = 23:30)",
        unit="h",
        possible=(0, 24),
    ),
    Input(
        "q2_latency_min",
        NUMBER,
        "PSQI 第2题 入睡所需时间",
        "PSQI Q2 minutes to fall asleep",
        unit="min",
        possible=(0, 1440),
    ),
    Input(
        "q3_rise_hour",
        NUMBER,
        "PSQI 第3题 通常起床时间（时，小数）",
        "PSQI Q3 usual getting-up time (decimal hour)",
        unit="h",
        possible=(0, 24),
    ),
    Input(
        "q4_sleep_hours",
        NUMBER,
        "PSQI 第4题 每晚实际睡眠时间",
        "PSQI Q4 hours of actual sleep per night",
        unit="h",
        possible=(0, 24),
    ),
    _frequency("q5a", "PSQI 5a 30分钟内不能入睡", "PSQI 5a cannot fall asleep within 30 min"),
    _frequency("q5b", "PSQI 5b 夜间易醒或早醒", "PSQI 5b waking at night or early"),
    _frequency("q5c", "PSQI 5c 夜间起床如厕", "PSQI 5c getting up for the bathroom"),
    _frequency("q5d", "PSQI 5d 呼吸不畅", "PSQI 5d cannot breathe comfortably"),
    _frequency("q5e", "PSQI 5e 咳嗽或鼾声高", "PSQI 5e coughing or loud snoring"),
    _frequency("q5f", "PSQI 5f 感觉冷", "PSQI 5f feeling too cold"),
    _frequency("q5g", "PSQI 5g 感觉热", "PSQI 5g feeling too hot"),
    _frequency("q5h", "PSQI 5h 做噩梦", "PSQI 5h bad dreams"),
    _frequency("q5i", "PSQI 5i 疼痛不适", "PSQI 5i pain"),
    _frequency(
        "q5j",
        "PSQI 5j 其他影响睡眠的原因",
        "PSQI 5j other reason",
        required=False,
        default=0,
    ),
    _frequency("q6_quality", "PSQI 第6题 主观睡眠质量", "PSQI Q6 subjective sleep quality"),
    _frequency("q7_medication", "PSQI 第7题 使用催眠药物", "PSQI Q7 sleep medication"),
    _frequency("q8_sleepy", "PSQI 第8题 日间困倦", "PSQI Q8 trouble staying awake in the day"),
    _frequency(
        "q9_enthusiasm", "PSQI 第9题 做事精力不足", "PSQI Q9 lack of enthusiasm to get things done"
    ),
)
PSQI_CLASSES = (
    Category("good_sleeper", "睡眠质量好", "good sleeper"),
    Category("poor_sleeper", "睡眠质量差", "poor sleeper"),
)
PSQI_COMPONENTS = (
    ("c1_quality", "主观睡眠质量", "subjective quality"),
    ("c2_latency", "入睡时间", "latency"),
    ("c3_duration", "睡眠时间", "duration"),
    ("c4_efficiency", "睡眠效率", "efficiency"),
    ("c5_disturbance", "睡眠障碍", "disturbances"),
    ("c6_medication", "催眠药物", "medication"),
    ("c7_daytime", "日间功能障碍", "daytime dysfunction"),
)


def _sum_to_component(total: Any, xp: Any) -> Any:
    """0 → 0, 1–2 → 1, 3–4 → 2, 5–6 → 3 (components 2 and 7)."""
    return xp.select([total == 0, total <= 2, total <= 4], [0, 1, 2], 3)


def _psqi(x: Mapping[str, Any], xp: Any) -> Outcome:
    latency_min = x["q2_latency_min"]
    latency_points = xp.select(
        [latency_min <= 15, latency_min <= 30, latency_min <= 60], [0, 1, 2], 3
    )
    c2 = _sum_to_component(latency_points + x["q5a"], xp)

    hours = x["q4_sleep_hours"]
    c3 = xp.select([hours >= 7, hours >= 6, hours >= 5], [0, 1, 2], 3)

    # Hours in bed on a 24-hour clock: rising at or before the bedtime means the night crossed
    # midnight (23.5 → 7.0 is 7.5 h); the same clock time for both is read as 24 h in bed.
    in_bed = x["q3_rise_hour"] - x["q1_bedtime_hour"]
    in_bed = xp.where(in_bed <= 0, in_bed + 24, in_bed)
    efficiency = xp.minimum(hours * 100 / in_bed, 100.0)
    c4 = xp.select([efficiency >= 85, efficiency >= 75, efficiency >= 65], [0, 1, 2], 3)

    disturbances = sum(x[f"q5{letter}"] for letter in "bcdefghij")
    c5 = xp.select([disturbances == 0, disturbances <= 9, disturbances <= 18], [0, 1, 2], 3)

    c7 = _sum_to_component(x["q8_sleepy"] + x["q9_enthusiasm"], xp)
    components = {
        "c1_quality": x["q6_quality"],
        "c2_latency": c2,
        "c3_duration": c3,
        "c4_efficiency": c4,
        "c5_disturbance": c5,
        "c6_medication": x["q7_medication"],
        "c7_daytime": c7,
    }
    total = sum(components.values())
    category = xp.where(total > PSQI_POOR_ABOVE, "poor_sleeper", "good_sleeper")
    return Outcome(
        total,
        category,
        {
            **components,
            "time_in_bed_hours": in_bed,
            "efficiency_percent": efficiency,
            "poor_by_chinese_cutoff": total > PSQI_CHINESE_POOR_ABOVE,
        },
    )


def _explain_psqi(
    value: Any, category: str | None, x: Mapping[str, Any], details: Mapping[str, Any]
) -> tuple[str, str]:
    label = label_of(PSQI_CLASSES, category)
    parts_zh, parts_en = listed(
        (f"{zh} {details[key]:g}", f"{en} {details[key]:g}") for key, zh, en in PSQI_COMPONENTS
    )
    chinese = details["poor_by_chinese_cutoff"]
    return (
        f"PSQI 总分 {value:g} 分（满分 21），属于“{label.label_zh}”（Buysse 1989："
        f"总分 > 5 为睡眠质量差）；按国内常用界值 > 7（刘贤臣 1996）"
        f"{'亦属' if chinese else '不属'}睡眠质量差。各成分：{parts_zh}；"
        f"睡眠效率 {details['efficiency_percent']:.0f}%。",
        f"PSQI global score {value:g} of 21: {label.label_en} (Buysse 1989: > 5 is a poor "
        f"sleeper); by the Chinese cut-off of > 7 (Liu 1996) "
        f"{'also poor' if chinese else 'not poor'}. Components: {parts_en}; sleep "
        f"efficiency {details['efficiency_percent']:.0f}%.",
    )


register(
    Model(
        id="psqi",
        title_zh="匹兹堡睡眠质量指数（PSQI）",
        title_en="Pittsburgh Sleep Quality Index (PSQI)",
        citation=PSQI_CITATION,
        inputs=PSQI_INPUTS,
        formula=_psqi,
        unit=SCORE,
        categories=PSQI_CLASSES,
        explain=_explain_psqi,
        decimals=0,
        notes=(
            "Seven components of 0–3 summed to a global score of 0–21 (Buysse 1989; component "
            "rules [I], agreed by public scoring scripts). Boundary conventions: latency minutes "
            "≤ 15 → 0, ≤ 30 → 1, ≤ 60 → 2, more → 3; duration ≥ 7 h → 0, ≥ 6 → 1, ≥ 5 → 2, "
            "less → 3 (the paper prints > 7 / 6–7 / 5–6 / < 5, so exactly 7 h scores 0); "
            "efficiency ≥ 85 % → 0, ≥ 75 → 1, ≥ 65 → 2, less → 3. Hours in bed = getting-up "
            "hour − bedtime hour, plus 24 when that is 0 or negative (the night crossed "
            "midnight; equal clock times count as 24 h in bed). Efficiency = sleep hours / "
            "hours in bed × 100, capped at 100 % when the reported sleep exceeds the time in bed "
            "(the component is then 0). Q5j (other reason) defaults to 0 when not given; Q10 "
            "(bed partner) is not scored. `poor_sleeper` is global > 5 (Buysse). "
            "`details.poor_by_chinese_cutoff` is global > 7, the cut-off of the Chinese "
            "validation (刘贤臣 1996, sensitivity 98.3 %, specificity 90.2 %): confirmed only on "
            "secondary Chinese pages quoting that paper, not on the paper itself."
        ),
    )
)


# --- AUDIT-C --------------------------------------------------------------------------------------

AUDIT_C_CITATION = (
    "Bush K, Kivlahan DR, McDonell MB, Fihn SD, Bradley KA. The AUDIT alcohol consumption "
    "questions (AUDIT-C). Arch Intern Med 1998;158(16):1789-1795; Bradley KA et al. Arch Intern "
    "Med 2003;163(7):821-829"
)
AUDIT_C_ITEMS = (
    *_items(
        "AUDIT-C",
        (
            ("饮酒频率", "how often a drink containing alcohol"),
            ("一般每次饮酒杯数", "standard drinks on a typical drinking day"),
            ("一次饮 6 杯及以上的频率", "how often 6 or more drinks on one occasion"),
        ),
        0,
        4,
    ),
    SEX_INPUT,
)
AUDIT_C_CLASSES = (
    Category("negative", "筛查阴性", "negative screen"),
    Category("positive", "筛查阳性（危险饮酒可能）", "positive screen (possible risky drinking)"),
)


def _audit_c(x: Mapping[str, Any], xp: Any) -> Outcome:
    total = _total(x, 3)
    cutoff = xp.where(x["sex"] == "M", 4, 3)
    only_frequency = (x["item_1"] > 0) & (x["item_2"] == 0) & (x["item_3"] == 0)
    return Outcome(
        total,
        xp.where(total >= cutoff, "positive", "negative"),
        {"cutoff": cutoff, "only_frequency": only_frequency},
    )


def _explain_audit_c(
    value: Any, category: str | None, x: Mapping[str, Any], details: Mapping[str, Any]
) -> tuple[str, str]:
    label = label_of(AUDIT_C_CLASSES, category)
    cutoff = details["cutoff"]
    sex_zh, sex_en = sex_words(x["sex"])
    zh = (
        f"AUDIT-C 总分 {value:g} 分（满分 12），{sex_zh}阳性界值 ≥ {cutoff} 分，"
        f"结果为“{label.label_zh}”（Bush 1998；女性界值见 Bradley 2003）。"
    )
    en = (
        f"AUDIT-C total {value:g} of 12, cut-off ≥ {cutoff} for {sex_en}: {label.label_en} "
        "(Bush 1998; women's cut-off Bradley 2003)."
    )
    if details["only_frequency"]:
        zh += "全部得分来自第1项（饮酒频率），每次饮酒量不大，可考虑为低风险饮酒。"
        en += (
            " All points come from item 1 (frequency) with small amounts per occasion: "
            "consider it low-risk drinking."
        )
    return zh, en


register(
    Model(
        id="audit_c",
        title_zh="AUDIT-C 饮酒问题筛查",
        title_en="AUDIT-C alcohol screen",
        citation=AUDIT_C_CITATION,
        inputs=AUDIT_C_ITEMS,
        formula=_audit_c,
        unit=SCORE,
        categories=AUDIT_C_CLASSES,
        explain=_explain_audit_c,
        decimals=0,
        notes=(
            "Three items scored 0–4, total 0–12; positive screen at ≥ 4 for men and ≥ 3 for "
            "women (Bush 1998; Bradley 2003; confidence [I]). `details.only_frequency` is true "
            "when item 1 scores and items 2 and 3 are 0: all points come from how often the "
            "person drinks, which the sources suggest reading as low-risk drinking; the category "
            "still follows the cut-off. The questionnaire must define the standard drink in "
            "grams (WHO AUDIT: 10 g ethanol). The UK AUDIT-C (units, ≥ 6/8 units, positive ≥ 5) "
            "is a different instrument."
        ),
    )
)


# --- TCM constitution (ZYYXH/T157-2009) -----------------------------------------------------------

TCM_CITATION = "中华中医药学会. 中医体质分类与判定 ZYYXH/T157-2009. 北京: 中国中医药出版社, 2009"
TCM_TYPES = (
    ("pinghe", "平和质", "balanced"),
    ("qixu", "气虚质", "qi deficiency"),
    ("yangxu", "阳虚质", "yang deficiency"),
    ("yinxu", "阴虚质", "yin deficiency"),
    ("tanshi", "痰湿质", "phlegm-dampness"),
    ("shire", "湿热质", "damp-heat"),
    ("xueyu", "血瘀质", "blood stasis"),
    ("qiyu", "气郁质", "qi stagnation"),
    ("tebing", "特禀质", "inherited special (allergic)"),
)
TCM_NAMES = {code: (zh, en) for code, zh, en in TCM_TYPES}
BIASED_TYPES = tuple(code for code, _, _ in TCM_TYPES if code != "pinghe")

# The 60 distinct items, one input each, keyed by type and position in that type's list.
# Six items count in two types; each is one input under its 偏颇 key, and its other key is
# accepted as an alias (giving both is refused as `given_twice`).
_TCM_ITEM_LABELS: tuple[tuple[str, str, str, str | None], ...] = (
    ("pinghe_1", "精力充沛", "energetic", None),
    ("pinghe_6", "能适应环境变化", "adapts to natural and social change", None),
    ("pinghe_7", "易失眠", "insomnia", None),
    ("qixu_1", "易疲乏", "tires easily", "pinghe_2"),
    ("qixu_2", "气短", "short of breath", None),
    ("qixu_3", "心慌", "palpitations", None),
    ("qixu_4", "头晕或站起时晕眩", "dizzy, light-headed on standing", None),
    ("qixu_5", "比别人易感冒", "catches colds more easily", "yangxu_5"),
    ("qixu_6", "喜静懒言", "prefers quiet, reluctant to talk", None),
    ("qixu_7", "说话声音无力", "weak voice", "pinghe_3"),
    ("qixu_8", "稍活动即出虚汗", "sweats on slight exertion", None),
    ("yangxu_1", "手脚发凉", "cold hands and feet", None),
    ("yangxu_2", "胃脘、背或腰膝怕冷", "cold epigastrium, back or lower back", None),
    ("yangxu_3", "怕冷、衣服穿得多", "feels cold, wears more clothes", None),
    ("yangxu_4", "比一般人不耐寒", "less cold-tolerant than others", "pinghe_5"),
    ("yangxu_6", "吃喝凉的不适", "discomfort from cold food or drink", None),
    ("yangxu_7", "受凉或吃凉后腹泻", "diarrhoea after cold", None),
    ("yinxu_1", "手足心热", "hot palms and soles", None),
    ("yinxu_2", "身体或面部发热", "body or face feels hot", None),
    ("yinxu_3", "皮肤或口唇干", "dry skin or lips", None),
    ("yinxu_4", "口唇偏红", "lips redder than others", None),
    ("yinxu_5", "便秘或大便干", "constipation or dry stool", None),
    ("yinxu_6", "面颊潮红", "flushed cheeks", None),
    ("yinxu_7", "眼睛干涩", "dry eyes", None),
    ("yinxu_8", "口干咽燥、想喝水", "dry mouth and throat, thirsty", None),
    ("tanshi_1", "胸闷或腹胀", "chest tightness or abdominal fullness", None),
    ("tanshi_2", "身体沉重", "body feels heavy", None),
    ("tanshi_3", "腹部肥满松软", "soft, full abdomen", None),
    ("tanshi_4", "额部油脂多", "oily forehead", None),
    ("tanshi_5", "上眼睑浮肿", "puffy upper eyelids", None),
    ("tanshi_6", "口中黏腻", "sticky feeling in the mouth", None),
    ("tanshi_7", "痰多、咽部堵感", "much phlegm, throat feels blocked", None),
    ("tanshi_8", "舌苔厚腻", "thick greasy tongue coating", None),
    ("shire_1", "面鼻油腻", "oily face or nose", None),
    ("shire_2", "易生痤疮或疮疖", "acne or boils", None),
    ("shire_3", "口苦或口臭", "bitter taste or bad breath", None),
    ("shire_4", "大便黏滞不爽", "sticky stool, incomplete evacuation", None),
    ("shire_5", "小便灼热或色深", "burning or dark urine", None),
    (
        "shire_6",
        "性别专属条目（女：带下色黄；男：阴囊潮湿）",
        "the sex-specific item (women: yellow discharge; men: damp scrotum)",
        None,
    ),
    ("xueyu_1", "皮肤无故瘀斑", "unexplained bruises", None),
    ("xueyu_2", "两颧细微红丝", "fine red vessels on the cheeks", None),
    ("xueyu_3", "身体某处疼痛", "pain somewhere in the body", None),
    ("xueyu_4", "面色晦暗或有褐斑", "dull complexion or brown patches", None),
    ("xueyu_5", "黑眼圈", "dark circles under the eyes", None),
    ("xueyu_6", "易忘事", "forgetful", "pinghe_8"),
    ("xueyu_7", "口唇颜色偏暗", "dark lips", None),
    ("qiyu_1", "闷闷不乐", "gloomy, low mood", "pinghe_4"),
    ("qiyu_2", "紧张焦虑", "tense, anxious", None),
    ("qiyu_3", "多愁善感", "sentimental, emotionally fragile", None),
    ("qiyu_4", "易受惊吓", "easily frightened", None),
    ("qiyu_5", "胁肋或乳房胀痛", "distension or pain in flanks or breasts", None),
    ("qiyu_6", "无故叹气", "sighs for no reason", None),
    ("qiyu_7", "咽部异物感", "globus sensation in the throat", None),
    ("tebing_1", "无感冒也打喷嚏", "sneezes without a cold", None),
    ("tebing_2", "无感冒也鼻塞流涕", "blocked or runny nose without a cold", None),
    (
        "tebing_3",
        "因季节、温度或异味咳喘",
        "cough or wheeze with season, temperature, odours",
        None,
    ),
    ("tebing_4", "易过敏", "allergies (drugs, food, smells, pollen, seasons)", None),
    ("tebing_5", "易起荨麻疹", "urticaria", None),
    ("tebing_6", "过敏性紫癜", "allergic purpura", None),
    ("tebing_7", "皮肤一抓就红并出现抓痕", "dermatographism", None),
)


def _tcm_input(key: str, zh: str, en: str, alias: str | None) -> Input:
    type_code, position = key.rsplit("_", 1)
    type_zh, type_en = TCM_NAMES[type_code]
    label_zh = f"{type_zh}第{position}条（{zh}）"
    label_en = f"{type_en} item {position} ({en})"
    if alias is not None:
        alias_type, alias_position = alias.rsplit("_", 1)
        label_zh += f"，同{TCM_NAMES[alias_type][0]}第{alias_position}条"
        label_en += f"; also {TCM_NAMES[alias_type][1]} item {alias_position}"
    return Input(
        key,
        INTEGER,
        label_zh,
        label_en,
        unit=SCORE,
        also={alias: 1.0} if alias is not None else {},
        possible=(1, 5),
    )


TCM_INPUTS = tuple(_tcm_input(*row) for row in _TCM_ITEM_LABELS)

# Each type's items in the standard's order, as input keys (shared items under their one key).
TCM_TYPE_ITEMS: dict[str, tuple[str, ...]] = {
    "pinghe": (
        "pinghe_1",
        "qixu_1",
        "qixu_7",
        "qiyu_1",
        "yangxu_4",
        "pinghe_6",
        "pinghe_7",
        "xueyu_6",
    ),
    "qixu": tuple(f"qixu_{i}" for i in range(1, 9)),
    "yangxu": ("yangxu_1", "yangxu_2", "yangxu_3", "yangxu_4", "qixu_5", "yangxu_6", "yangxu_7"),
    "yinxu": tuple(f"yinxu_{i}" for i in range(1, 9)),
    "tanshi": tuple(f"tanshi_{i}" for i in range(1, 9)),
    "shire": tuple(f"shire_{i}" for i in range(1, 7)),
    "xueyu": tuple(f"xueyu_{i}" for i in range(1, 8)),
    "qiyu": tuple(f"qiyu_{i}" for i in range(1, 8)),
    "tebing": tuple(f"tebing_{i}" for i in range(1, 8)),
}
# 平和质 items marked * in the standard (positions 2, 3, 4, 5, 7, 8): scored 6 − answer.
PINGHE_REVERSED = frozenset({"qixu_1", "qixu_7", "qiyu_1", "yangxu_4", "pinghe_7", "xueyu_6"})

TCM_CLASSES = (
    Category("pinghe", "平和质", "balanced constitution"),
    Category("basically_pinghe", "基本是平和质", "basically balanced constitution"),
    Category("biased", "偏颇体质", "biased constitution"),
)
# Labels of the judgement codes in `details["judgement"]`, for display.
JUDGEMENTS = {
    "yes": ("是", "yes"),
    "basically": ("基本是", "basically yes"),
    "tending": ("倾向是", "tending to"),
    "no": ("否", "no"),
}


def converted_scores(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Each type's converted score (raw − n) / (4n) × 100 from the canonical answers 1–5."""
    scores: dict[str, Any] = {}
    for code, keys in TCM_TYPE_ITEMS.items():
        raw = sum(
            6 - answers[k] if code == "pinghe" and k in PINGHE_REVERSED else answers[k]
            for k in keys
        )
        n = len(keys)
        scores[code] = (raw - n) / (n * 4) * 100
    return scores


def _judge(converted: Mapping[str, Any], xp: Any) -> tuple[Any, dict[str, Any]]:
    """The constitution category and each type's judgement, written against `xp`."""
    highest_biased = reduce(xp.maximum, [converted[t] for t in BIASED_TYPES])
    balanced = converted["pinghe"] >= 60
    conditions = [balanced & (highest_biased < 30), balanced & (highest_biased < 40)]
    category = xp.select(conditions, ["pinghe", "basically_pinghe"], "biased")
    judged = {"pinghe": xp.select(conditions, ["yes", "basically"], "no")}
    for t in BIASED_TYPES:
        judged[t] = xp.select([converted[t] >= 40, converted[t] >= 30], ["yes", "tending"], "no")
    return category, judged


def _listed(judged: Mapping[str, Any], code: str) -> list[str]:
    return [t for t in BIASED_TYPES if judged[t] == code]


@dataclass(frozen=True)
class Judgement:
    """The standard's judgement from nine converted scores (one respondent)."""

    category: str  # pinghe / basically_pinghe / biased
    judgements: dict[str, str]  # type → yes / basically (平和 only) / tending / no
    biased_yes: list[str]  # 偏颇 types judged 是
    biased_tending: list[str]  # 偏颇 types judged 倾向是


def judge(converted: Mapping[str, float]) -> Judgement:
    """Judge one respondent's converted scores, keyed by type code (`pinghe`, `qixu`, …).

    The published examples of ZYYXH/T157-2009 give converted scores, not answers; this is the
    same judgement the `tcm_constitution` model applies to the scores it computes.
    """
    missing = [code for code, _, _ in TCM_TYPES if code not in converted]
    if missing:
        raise KeyError(f"converted scores missing for {', '.join(missing)}")
    category, judged = _judge(converted, SCALAR)
    return Judgement(
        category=str(category),
        judgements={t: str(j) for t, j in judged.items()},
        biased_yes=_listed(judged, "yes"),
        biased_tending=_listed(judged, "tending"),
    )


def _tcm(x: Mapping[str, Any], xp: Any) -> Outcome:
    converted = converted_scores(x)
    category, judged = _judge(converted, xp)
    details: dict[str, Any] = {"converted": converted, "judgement": judged}
    # The two lists are one respondent's; a population run (arrays) keeps the per-type
    # judgements only, since calculate_many returns value and category alone.
    if all(isinstance(j, str) for j in judged.values()):
        details["biased_yes"] = _listed(judged, "yes")
        details["biased_tending"] = _listed(judged, "tending")
    return Outcome(converted["pinghe"], category, details)


def _types_text(codes: list[str], converted: Mapping[str, Any]) -> tuple[str, str]:
    return listed(
        (f"{TCM_NAMES[t][0]}（{converted[t]:.1f}）", f"{TCM_NAMES[t][1]} ({converted[t]:.1f})")
        for t in codes
    )


def _explain_tcm(
    value: Any, category: str | None, x: Mapping[str, Any], details: Mapping[str, Any]
) -> tuple[str, str]:
    label = label_of(TCM_CLASSES, category)
    converted = details["converted"]
    zh = f"平和质转化分 {value:.1f} 分，判定为“{label.label_zh}”"
    en = f"Balanced-constitution converted score {value:.1f}: {label.label_en}"
    if category == "pinghe":
        zh += "（平和质 ≥ 60 分且其他 8 种体质均 < 30 分）。"
        en += " (balanced ≥ 60 and all 8 other types < 30)."
    elif category == "basically_pinghe":
        zh += "（平和质 ≥ 60 分且其他 8 种体质均 < 40 分）。"
        en += " (balanced ≥ 60 and all 8 other types < 40)."
    else:
        zh += "（不满足平和质 ≥ 60 分且其他体质均 < 40 分）。"
        en += " (not balanced ≥ 60 with all other types < 40)."
    yes, tending = details["biased_yes"], details["biased_tending"]
    if yes:
        names_zh, names_en = _types_text(yes, converted)
        zh += f"偏颇体质（转化分 ≥ 40）：{names_zh}。"
        en += f" Biased types (≥ 40): {names_en}."
    if tending:
        names_zh, names_en = _types_text(tending, converted)
        zh += f"有倾向（30–39 分）：{names_zh}。"
        en += f" Tending to (30–39): {names_en}."
    if category == "biased" and not yes and not tending:
        zh += "没有偏颇体质转化分 ≥ 30 分，结果不典型，宜结合面诊复评。"
        en += " No biased type scores 30 or more: an atypical result; review it in person."
    zh += "依据中华中医药学会《中医体质分类与判定》（ZYYXH/T157-2009）。"
    en += " Per ZYYXH/T157-2009 (China Association of Chinese Medicine)."
    return zh, en


register(
    Model(
        id="tcm_constitution",
        title_zh="中医体质分类与判定",
        title_en="TCM constitution classification",
        citation=TCM_CITATION,
        inputs=TCM_INPUTS,
        formula=_tcm,
        unit=SCORE,
        categories=TCM_CLASSES,
        explain=_explain_tcm,
        notes=(
            "The standard's 60 items, each answered 1–5 for the past year, one input per item "
            "keyed by type and position (`qixu_1` … `tebing_7`). Six items count in two types "
            "and are asked once: 平和质 items 2, 3, 4, 5 and 8 are 气虚 1, 气虚 7, 气郁 1, 阳虚 4 "
            "and 血瘀 6, and 阳虚 5 is 气虚 5; each is one input under its 偏颇 key, with the "
            "other key (`pinghe_2`, `pinghe_3`, `pinghe_4`, `pinghe_5`, `pinghe_8`, `yangxu_5`) "
            "accepted instead (both given is refused). `shire_6` is the one sex-specific item "
            "the respondent answers, so 湿热质 has n = 6 (not 7). 平和质 items 2, 3, 4, 5, 7 "
            "and 8 are reverse-scored (6 − answer). Converted score = (raw − n) / (4n) × 100. "
            "Judgement [P]: 平和 是 when its score ≥ 60 and all others < 30, 基本是 when ≥ 60 "
            "and all others < 40, else 否 (category `biased`); each 偏颇 type 是 ≥ 40, 倾向是 "
            "30 to < 40, 否 < 30. Scores are not rounded before judging: with n = 6, 7 or 8 no "
            "converted score falls between an integer threshold and its rounding, so rounding "
            "would not change a judgement. Every item is required (partial answers are not "
            "scored). The value is the 平和质 converted score; details give every type's score "
            "and judgement and, for one respondent, the 偏颇 types judged 是 and 倾向是. A 平和 "
            "score below 60 with no 偏颇 type at 30 or more is `biased` by the table yet names "
            "no type; the explanation calls it atypical and asks for an in-person review. The "
            "elderly 33-item version of the 国家基本公共卫生服务规范 is a different instrument."
        ),
    )
)
