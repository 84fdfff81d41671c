"""Comparing answers (enableWhen operators, minValue / maxValue)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .constants import DATE_RE
from .fields import _check_time, _parse_datetime
from .model import Coding, EnableWhen, Item, Quantity

# ---------------------------------------------------------------------------------------------
# Comparing (enableWhen operators, minValue / maxValue)


def _number(value: Any) -> float | None:
    if isinstance(value, Mapping):
        value = value.get("value")
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _instant(text: str) -> dt.datetime | None:
    """A date or dateTime as a point in time: a partial date is its first day; an offset is
    converted to UTC and dropped (a time without offset is taken as is)."""
    if DATE_RE.fullmatch(text):
        parts = [int(p) for p in text.split("-")]
        try:
            return dt.datetime(
                parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1
            )
        except ValueError:
            return None
    found = _parse_datetime(text)
    if found is not None and found.tzinfo is not None:
        found = found.astimezone(dt.UTC).replace(tzinfo=None)
    return found


def _time_key(text: str) -> str:
    return text if len(text) > 5 else f"{text}:00"


def _sign(a: Any, b: Any) -> int:
    return (a > b) - (a < b)


def _order(kind: str, value: Any, other: Any) -> int | None:
    """-1 / 0 / 1 comparing an answer value with a bound of the given kind; None when they cannot
    be compared."""
    if kind in ("integer", "decimal", "quantity"):
        a, b = _number(value), _number(other)
        return None if a is None or b is None else _sign(a, b)
    if not isinstance(value, str) or not isinstance(other, str):
        return None
    if kind == "time":
        if not (_check_time(value) and _check_time(other)):
            return None
        return _sign(_time_key(value), _time_key(other))
    if kind in ("date", "dateTime"):
        if len(value) <= 10 or len(other) <= 10:  # compare dates when either has no time
            value, other = value[:10], other[:10]
        a_instant, b_instant = _instant(value), _instant(other)
        if a_instant is None or b_instant is None:
            return None
        return _sign(a_instant, b_instant)
    return _sign(value, other)


def _relation(condition: EnableWhen, question: Item, value: Any) -> int | None:
    kind, expected = condition.answer_type, condition.answer
    if kind == "boolean":
        return None if not isinstance(value, bool) else (0 if value == expected else 1)
    if kind == "coding":
        if not isinstance(value, str) or not isinstance(expected, Coding):
            return None
        option = question.option(value)
        system = option.system if option is not None else ""
        same_system = not expected.system or not system or expected.system == system
        return 0 if value == expected.code and same_system else 1
    if kind == "reference":
        return None if not isinstance(value, str) else (0 if value == expected else 1)
    if kind == "quantity":
        if not isinstance(expected, Quantity):
            return None
        unit = value.get("unit", "") if isinstance(value, Mapping) else ""
        if unit and expected.unit and unit != expected.unit:
            return None
        return _order("decimal", value, expected.value)
    if kind == "string":
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        return _order("string", value, expected) if isinstance(value, str) else None
    if kind == "time":
        return _order("time", value, expected)
    if kind in ("date", "dateTime"):
        return _order("dateTime", value, expected)
    return _order("decimal", value, expected)


def _condition_met(condition: EnableWhen, question: Item, values: list[Any]) -> bool:
    if condition.operator == "exists":
        return bool(values) == condition.answer
    op = condition.operator
    for value in values:  # R4: true when at least one answer meets it; no answer, false
        relation = _relation(condition, question, value)
        if op == "=" and relation == 0:
            return True
        if op == "!=" and relation != 0:
            return True
        if relation is None:
            continue
        if (
            (op == ">" and relation > 0)
            or (op == "<" and relation < 0)
            or (op == ">=" and relation >= 0)
            or (op == "<=" and relation <= 0)
        ):
            return True
    return False
