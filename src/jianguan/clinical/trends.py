"""Multi-year indicator trends (历年指标趋势分析): one customer's series of one indicator, what
changed and how fast, and a finding a health manager can read aloud.

Input is one value per visit, already in one unit (the caller normalises units and picks the
visit's value). The slope is the ordinary least-squares line through (years since the first
visit, value); its uncertainty is the slope's standard error and a 95 % interval from
Student's t (the textbook OLS formulas; t quantiles from a table, since this package carries
no scipy). A threshold is "crossed" at the first visit whose value is beyond it when the visit
before was not (or, for the first visit, when it already is).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

DAYS_PER_YEAR = 365.25

# two-sided 95 % quantiles of Student's t by degrees of freedom (any statistics table)
_T95 = {
    1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
    9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120,
    17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086, 25: 2.060, 30: 2.042, 40: 2.021, 60: 2.000,
    120: 1.980,
}  # fmt: skip


def t95(df: int) -> float:
    """The 95 % two-sided t quantile; between table rows the next smaller df (conservative)."""
    if df < 1:
        raise ValueError("degrees of freedom must be at least 1")
    if df > 120:
        return 1.960
    return _T95[max(k for k in _T95 if k <= df)]


@dataclass(frozen=True)
class Indicator:
    """What the trend needs to know about an indicator besides its values."""

    code: str
    label_zh: str
    label_en: str
    unit: str
    low: float | None = None  # the reference range: below is abnormal
    high: float | None = None  # above is abnormal
    decimals: int = 1
    # a guideline threshold worth naming when first crossed, e.g. 6.1 for fasting glucose
    threshold: float | None = None
    # True where falling below the line is the concern (HDL-C, eGFR): crossings go downwards
    falls_below: bool = False


@dataclass(frozen=True)
class Point:
    when: dt.date
    value: float


@dataclass(frozen=True)
class Slope:
    per_year: float
    standard_error: float | None  # None with fewer than three visits
    ci95: tuple[float, float] | None


@dataclass(frozen=True)
class Trend:
    indicator: Indicator
    points: tuple[Point, ...]
    change_from_first: float | None
    change_from_previous: float | None
    slope: Slope | None
    abnormal_visits: int
    first_crossed: dt.date | None  # the first visit beyond `threshold` (or `high`)
    rising_run: int  # consecutive rises ending at the latest visit
    falling_run: int
    finding_zh: str
    finding_en: str
    flags: tuple[str, ...] = field(default_factory=tuple)  # per point: "H", "L" or ""


def one_per_visit(points: Iterable[tuple[dt.date, float]]) -> tuple[Point, ...]:
    """Sorted by date; of two values on one day the later-given wins (a re-measurement)."""
    by_day: dict[dt.date, float] = {}
    for when, value in points:
        if value is None or not math.isfinite(value):
            continue
        by_day[when] = float(value)
    return tuple(Point(d, by_day[d]) for d in sorted(by_day))


def _slope(points: Sequence[Point]) -> Slope | None:
    n = len(points)
    if n < 2:
        return None
    start = points[0].when
    xs = [(p.when - start).days / DAYS_PER_YEAR for p in points]
    ys = [p.value for p in points]
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return None
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    if n < 3:
        return Slope(b, None, None)
    a = my - b * mx
    residual = sum((y - (a + b * x)) ** 2 for x, y in zip(xs, ys, strict=True))
    se = math.sqrt(residual / (n - 2) / sxx)
    half = t95(n - 2) * se
    return Slope(b, se, (b - half, b + half))


def _flag(value: float, ind: Indicator) -> str:
    if ind.high is not None and value > ind.high:
        return "H"
    if ind.low is not None and value < ind.low:
        return "L"
    return ""


def _run(points: Sequence[Point], rising: bool) -> int:
    run = 0
    for before, after in zip(points[-2::-1], points[:0:-1], strict=False):
        moved = after.value > before.value if rising else after.value < before.value
        if not moved:
            break
        run += 1
    return run


def _first_crossed(
    points: Sequence[Point], line: float | None, below: bool = False
) -> dt.date | None:
    if line is None:
        return None
    previous_beyond = False
    for p in points:
        beyond = p.value < line if below else p.value > line
        if beyond and not previous_beyond:
            return p.when
        previous_beyond = beyond
    return None


def analyse(
    indicator: Indicator, values: Iterable[tuple[dt.date, float]], today: dt.date | None = None
) -> Trend:
    points = one_per_visit(values)
    flags = tuple(_flag(p.value, indicator) for p in points)
    first = points[0].value if points else None
    last = points[-1].value if points else None
    change_first = (
        last - first if len(points) >= 2 and first is not None and last is not None else None
    )
    change_prev = points[-1].value - points[-2].value if len(points) >= 2 else None
    fallback = indicator.low if indicator.falls_below else indicator.high
    line = indicator.threshold if indicator.threshold is not None else fallback
    crossed = _first_crossed(points, line, indicator.falls_below)
    rising, falling = _run(points, True), _run(points, False)
    zh, en = _finding(indicator, points, rising, falling, crossed, line, today or dt.date.today())
    return Trend(
        indicator=indicator,
        points=points,
        change_from_first=change_first,
        change_from_previous=change_prev,
        slope=_slope(points),
        abnormal_visits=sum(1 for f in flags if f),
        first_crossed=crossed,
        rising_run=rising,
        falling_run=falling,
        finding_zh=zh,
        finding_en=en,
        flags=flags,
    )


def _fmt(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


def _finding(
    ind: Indicator,
    points: Sequence[Point],
    rising: int,
    falling: int,
    crossed: dt.date | None,
    line: float | None,
    today: dt.date,
) -> tuple[str, str]:
    if not points:
        return (f"{ind.label_zh}暂无结果", f"no {ind.label_en} results yet")
    last = points[-1]
    shown = f"{_fmt(last.value, ind.decimals)} {ind.unit}".strip()
    if len(points) == 1:
        return (
            f"{ind.label_zh}仅有一次结果（{last.when.year}年 {shown}），尚不能看趋势",
            f"{ind.label_en}: one result so far ({last.when.year}, {shown}); no trend yet",
        )
    zh: list[str] = []
    en: list[str] = []
    if rising >= 2 or falling >= 2:
        run = max(rising, falling)
        up = rising >= 2
        # a run over visits one calendar year apart reads as years (连续3年上升)
        years = [p.when.year for p in points[-(run + 1) :]]
        yearly = all(b - a == 1 for a, b in itertools.pairwise(years))
        unit_zh, unit_en = ("年", "years") if yearly else ("次", "visits")
        zh.append(f"{ind.label_zh}连续{run}{unit_zh}{'上升' if up else '下降'}")
        en.append(f"{ind.label_en} {'rose' if up else 'fell'} {run} {unit_en} in a row")
    else:
        change = last.value - points[-2].value
        word_zh = "上升" if change > 0 else "下降" if change < 0 else "持平"
        word_en = "up" if change > 0 else "down" if change < 0 else "unchanged"
        zh.append(f"{ind.label_zh}较上次{word_zh}（{shown}）")
        en.append(f"{ind.label_en} {word_en} since the last visit ({shown})")
    if line is not None and crossed is not None and crossed == last.when:
        limit = f"{line:g} {ind.unit}".strip()
        when_zh = "今年" if last.when.year == today.year else f"{last.when.year}年"
        word_zh, word_en = ("低于", "below") if ind.falls_below else ("超过", "above")
        zh.append(f"{when_zh}首次{word_zh}{limit}")
        en.append(f"{word_en} {limit} for the first time ({last.when.year})")
    elif line is not None and (last.value < line if ind.falls_below else last.value > line):
        limit = f"{line:g} {ind.unit}".strip()
        below = ind.falls_below
        beyond = sum(1 for p in points if (p.value < line if below else p.value > line))
        zh.append(f"已{beyond}次{'低于' if below else '高于'}{limit}")
        en.append(f"{'below' if below else 'above'} {limit} at {beyond} visits")
    return "，".join(zh), "; ".join(en)
