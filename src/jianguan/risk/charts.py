"""Trend charts as inline SVG, drawn on the server.

Why not a JavaScript chart library: the pages run under a strict Content-Security-Policy
(`style-src 'self'`, no inline styles or eval — core.middleware), which the usual libraries
break (they inject <style> elements or inline style attributes), and nothing may come from a
CDN. SVG with presentation attributes and CSS classes needs neither; each point carries a
<title>, which every browser shows on hover or long-press, and the page's own links switch
indicators (htmx). Colours come from app.css.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 14, 30


@dataclass(frozen=True)
class Series:
    label: str
    unit: str
    points: Sequence[tuple[dt.date, float]]
    flags: Sequence[str]  # per point: "H", "L" or ""
    low: float | None = None  # reference band
    high: float | None = None
    threshold: float | None = None  # a guideline line worth drawing (e.g. 6.1)
    decimals: int = 1


def _nice(low: float, high: float) -> tuple[float, float]:
    if low == high:
        return low - 1, high + 1
    pad = (high - low) * 0.12
    return low - pad, high + pad


def _fmt(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


def line_chart(series: Series, *, chart_id: str) -> str:
    """One indicator over the years: the reference band, the values, the threshold line."""
    if not series.points:
        return ""
    values = [v for _, v in series.points]
    bounds = [*values, *(b for b in (series.low, series.high, series.threshold) if b is not None)]
    y0, y1 = _nice(min(bounds), max(bounds))
    first = series.points[0][0].toordinal()
    last = series.points[-1][0].toordinal()
    span = max(1, last - first)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: dt.date) -> float:
        if len(series.points) == 1:
            return LEFT + plot_w / 2
        return LEFT + (day.toordinal() - first) / span * plot_w

    def y(value: float) -> float:
        return TOP + (y1 - value) / (y1 - y0) * plot_h

    title = f"{series.label}（{series.unit}）" if series.unit else series.label
    parts = [
        f'<svg class="trend-chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{escape(chart_id)}-t">',
        f'<title id="{escape(chart_id)}-t">{escape(title)}</title>',
    ]
    if series.low is not None or series.high is not None:
        top = y(series.high) if series.high is not None else TOP
        bottom = y(series.low) if series.low is not None else TOP + plot_h
        parts.append(
            f'<rect class="trend-band" x="{LEFT}" y="{top:.1f}" width="{plot_w}" '
            f'height="{max(0.0, bottom - top):.1f}"><title>参考范围 reference range</title></rect>'
        )
    if series.threshold is not None and y0 <= series.threshold <= y1:
        ty = y(series.threshold)
        parts.append(
            f'<line class="trend-threshold" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{ty:.1f}" '
            f'y2="{ty:.1f}"/><text class="trend-axis" x="{WIDTH - RIGHT}" y="{ty - 3:.1f}" '
            f'text-anchor="end">{escape(_fmt(series.threshold, series.decimals))}</text>'
        )
    for tick in (y0 + (y1 - y0) * k / 4 for k in range(5)):
        parts.append(
            f'<text class="trend-axis" x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">'
            f"{escape(_fmt(tick, series.decimals))}</text>"
        )
    years = sorted({d.year for d, _ in series.points})
    for year in years:
        day = max(series.points[0][0], dt.date(year, 1, 1))
        parts.append(
            f'<text class="trend-axis" x="{x(day):.1f}" y="{HEIGHT - 8}" text-anchor="middle">'
            f"{year}</text>"
        )
    path = " ".join(
        f"{'M' if i == 0 else 'L'}{x(d):.1f},{y(v):.1f}" for i, (d, v) in enumerate(series.points)
    )
    parts.append(f'<path class="trend-line" d="{path}"/>')
    for (day, value), flag in zip(series.points, series.flags, strict=True):
        css = f"trend-point trend-point-{flag}" if flag else "trend-point"
        text = f"{day.isoformat()}：{_fmt(value, series.decimals)} {series.unit}".strip()
        parts.append(
            f'<circle class="{css}" cx="{x(day):.1f}" cy="{y(value):.1f}" r="4">'
            f"<title>{escape(text)}</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)
