"""历年指标趋势分析 for one customer: the engine's trend of every followed item, and its chart."""

from __future__ import annotations

from dataclasses import dataclass

from jianguan.clinical.trends import Indicator, Trend, analyse
from jianguan.records import catalog
from jianguan.records.services.observations import display_unit

from ..charts import Series, line_chart
from ..selectors import RecordFacts

# Guideline lines drawn and named in findings, where one is more telling than the printed range:
# IFG 6.1 mmol/L (中国2型糖尿病防治指南 2020), hypertension 140/90 mmHg (中国高血压防治指南
# 2018/2024), TC 5.2 / LDL-C 3.4 / TG 1.7 mmol/L (中国血脂管理指南 2023), urate 420 µmol/L
# (2019 hyperuricaemia guideline), overweight BMI 24.0 (WS/T 428-2013), HbA1c 6.5 % (diabetes
# cut-point, 2020 guideline). clinical-references.md §7.
THRESHOLDS = {
    "fasting_glucose": 6.1,
    "systolic": 140.0,
    "diastolic": 90.0,
    "total_cholesterol": 5.2,
    "ldl_c": 3.4,
    "triglycerides": 1.7,
    "uric_acid": 420.0,
    "bmi": 24.0,
    "hba1c": 6.5,
    "hdl_c": 1.0,  # 降低 below 1.0 mmol/L (中国血脂管理指南 2023): the concern is falling
}
FALLS_BELOW = {"hdl_c"}
DEFAULT_SHOWN = ("systolic", "fasting_glucose", "total_cholesterol", "uric_acid", "bmi")


@dataclass(frozen=True)
class ShownTrend:
    trend: Trend
    chart: str  # SVG


def indicator(code: str, sex: str, age: int | None) -> Indicator | None:
    item = catalog.ITEMS.get(code)
    if item is None or item.kind != catalog.NUMERIC:
        return None
    low, high = catalog.reference(item, sex, age)
    return Indicator(
        code=code,
        label_zh=item.name,
        label_en=code.replace("_", " "),
        unit=display_unit(item.unit),
        low=low,
        high=high,
        decimals=item.decimals,
        threshold=THRESHOLDS.get(code),
        falls_below=code in FALLS_BELOW,
    )


def available(facts: RecordFacts) -> list[str]:
    """Item codes with at least one numeric result, in catalogue order."""
    return [code for code in catalog.ITEMS if facts.series.get(code)]


def trends(facts: RecordFacts, codes: list[str]) -> list[ShownTrend]:
    shown: list[ShownTrend] = []
    for code in codes:
        ind = indicator(code, facts.sex, facts.age)
        if ind is None or not facts.series.get(code):
            continue
        trend = analyse(ind, facts.series[code])
        chart = line_chart(
            Series(
                label=ind.label_zh,
                unit=ind.unit,
                points=[(p.when, p.value) for p in trend.points],
                flags=trend.flags,
                low=ind.low,
                high=ind.high,
                threshold=ind.threshold,
                decimals=ind.decimals,
            ),
            chart_id=f"chart-{code}",
        )
        shown.append(ShownTrend(trend, chart))
    return shown


def reference_text(ind: Indicator) -> str:
    """The printed range as a reader expects it: 3.9–6.1, ≤ 5.2 or ≥ 1.0."""

    def shown(value: float) -> str:
        return f"{value:.{ind.decimals}f}"

    if ind.low is not None and ind.high is not None:
        return f"{shown(ind.low)}–{shown(ind.high)}"
    if ind.high is not None:
        return f"≤ {shown(ind.high)}"
    if ind.low is not None:
        return f"≥ {shown(ind.low)}"
    return ""
