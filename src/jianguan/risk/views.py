"""The risk app's tabs on the customer 360° page (registered in apps.py): the risk panel and
the trends. Builders return the tab's context; the 360° view has already
checked the customer and the tab's capability and writes the read entry (D-07)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from jianguan.core.actors import Actor
from jianguan.records.models import Customer

from . import selectors
from .services import assessment
from .services import trends as trend_service

MAX_SHOWN = 8
RANGES = (3, 5, 10)  # the last N years; 0 is every visit


def trends_tab(request: HttpRequest, actor: Actor, customer: Customer) -> dict[str, Any]:
    facts = selectors.record_facts(actor, customer)
    try:
        span = int(request.GET.get("years", "0"))
    except ValueError:
        span = 0
    span = span if span in RANGES else 0
    if span:
        since = dt.date(timezone.localdate().year - span + 1, 1, 1)
        facts.series = {
            code: [(d, v) for d, v in values if d >= since] for code, values in facts.series.items()
        }
    available = trend_service.available(facts)
    wanted = [c for c in request.GET.getlist("show") if c in available][:MAX_SHOWN]
    if not wanted:
        wanted = [c for c in trend_service.DEFAULT_SHOWN if c in available]
    shown = trend_service.trends(facts, wanted)
    years = sorted({p.when.year for s in shown for p in s.trend.points})
    table = [
        {
            "label": s.trend.indicator.label_zh,
            "unit": s.trend.indicator.unit,
            "cells": [_cell(s, year) for year in years],
        }
        for s in shown
    ]
    return {
        "lang_en": (translation.get_language() or "").startswith("en"),
        "trend_choices": [
            (code, trend_service.indicator(code, facts.sex, facts.age), code in wanted)
            for code in available
        ],
        "trends": [
            {
                "trend": s.trend,
                "chart": mark_safe(s.chart),  # noqa: S308 — built by risk.charts, every text escaped
                "slope": s.trend.slope,
                "reference": trend_service.reference_text(s.trend.indicator),
            }
            for s in shown
        ],
        "trend_years": years,
        "trend_span": span,
        "trend_ranges": RANGES,
        "trend_table": table,
    }


def _cell(shown: trend_service.ShownTrend, year: int) -> dict[str, str]:
    in_year = [
        (p, f)
        for p, f in zip(shown.trend.points, shown.trend.flags, strict=True)
        if p.when.year == year
    ]
    if not in_year:
        return {"value": "", "flag": ""}
    point, flag = in_year[-1]
    return {"value": f"{point.value:.{shown.trend.indicator.decimals}f}", "flag": flag}


def risk_tab(request: HttpRequest, actor: Actor, customer: Customer) -> dict[str, Any]:
    done = assessment.assess(actor, customer)
    return {
        "advice": done.advice,
        "lang_en": (translation.get_language() or "").startswith("en"),
        "risk_items": done.items,
        "region_missing": done.region_missing,
        "risk_inputs": done.inputs,
    }
