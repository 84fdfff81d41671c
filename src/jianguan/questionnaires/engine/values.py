"""Answers: checking values by item type, cleaning the answers mapping, and the
QuestionnaireResponse JSON built from it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .constants import (
    ATTACHMENT_KEYS,
    CHOICE_TYPES,
    FHIR_EXT,
    MAX_ANSWER_CHARS,
    MAX_ANSWERS_PER_ITEM,
    MAX_TOTAL_ANSWERS,
    QUANTITY_KEYS,
    URL_RE,
)
from .fields import _check_date, _check_datetime, _check_time, _is_number
from .model import Coding, Definition, Item

# ---------------------------------------------------------------------------------------------
# Answers: types, cleaning, the response


def _too_big(value: Any) -> bool:
    """An answer over the per-answer size cap (its text, or a text in a quantity or an
    attachment)."""
    if isinstance(value, str):
        return len(value) > MAX_ANSWER_CHARS
    if isinstance(value, Mapping) and len(value) <= len(ATTACHMENT_KEYS):
        return any(isinstance(v, str) and len(v) > MAX_ANSWER_CHARS for v in value.values())
    return False


def _value_problem(item: Item, value: Any) -> str | None:
    """None if the value has the item's answer type, else the error code (`oversized` or
    `wrong_type`)."""
    if _too_big(value):
        return "oversized"
    t = item.type
    ok: bool
    if t == "boolean":
        ok = isinstance(value, bool)
    elif t == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif t == "decimal":
        ok = _is_number(value)
    elif t == "date":
        ok = isinstance(value, str) and _check_date(value)
    elif t == "dateTime":
        ok = isinstance(value, str) and _check_datetime(value)
    elif t == "time":
        ok = isinstance(value, str) and _check_time(value)
    elif t in ("string", "text"):
        ok = isinstance(value, str) and bool(value)
    elif t == "url":
        ok = isinstance(value, str) and bool(URL_RE.fullmatch(value))
    elif t in CHOICE_TYPES:
        ok = isinstance(value, str) and bool(value)
    elif t == "reference":
        ok = isinstance(value, str) and bool(re.fullmatch(r"\S+", value))
    elif t == "quantity":
        ok = (
            isinstance(value, Mapping)
            and set(value) <= QUANTITY_KEYS
            and _is_number(value.get("value"))
            and isinstance(value.get("unit", "-"), str)
            and bool(value.get("unit", "-"))
        )
    elif t == "attachment":
        ok = (
            isinstance(value, Mapping)
            and set(value) <= ATTACHMENT_KEYS
            and isinstance(value.get("contentType"), str)
            and bool(value.get("contentType"))
            and all(isinstance(value.get(k, ""), str) for k in ("title", "url"))
            and (
                "size" not in value
                or (
                    isinstance(value["size"], int)
                    and not isinstance(value["size"], bool)
                    and value["size"] >= 0
                )
            )
        )
    else:
        ok = False
    return None if ok else "wrong_type"


def _usable(item: Item, value: Any) -> bool:
    """A value the enableWhen logic, the scores and the expressions may read."""
    if _value_problem(item, value) is not None:
        return False
    if item.type == "choice" and item.options:
        return item.option(value) is not None
    return True


def _clean(definition: Definition, answers: Any) -> dict[str, list[Any]]:
    """The answers of known, answerable items whose values have the right type; at most
    MAX_ANSWERS_PER_ITEM each, MAX_TOTAL_ANSWERS in all. Bounded by the definition's size, not
    by the answers'."""
    clean: dict[str, list[Any]] = {}
    if not isinstance(answers, Mapping):
        return clean
    total = 0
    for item in definition.walk():
        if not item.answerable:
            continue
        values = answers.get(item.link_id)
        if not isinstance(values, list | tuple) or not values:
            continue
        if len(values) > MAX_ANSWERS_PER_ITEM or (len(values) > 1 and not item.repeats):
            continue
        kept = [v for v in values if _usable(item, v)]
        total += len(kept)
        if total > MAX_TOTAL_ANSWERS:
            break
        if kept:
            clean[item.link_id] = kept
    return clean


def _answer_json(item: Item, value: Any, *, for_eval: bool) -> dict[str, Any]:
    t = item.type
    if t == "boolean":
        return {"valueBoolean": value}
    if t == "decimal":
        return {"valueDecimal": float(value)}
    if t == "integer":
        return {"valueInteger": value}
    if t == "date":
        return {"valueDate": value}
    if t == "dateTime":
        return {"valueDateTime": value}
    if t == "time":
        return {"valueTime": value}
    if t in ("string", "text"):
        return {"valueString": value}
    if t == "url":
        return {"valueUri": value}
    if t == "reference":
        return {"valueReference": {"reference": value}}
    if t == "attachment":
        return {"valueAttachment": {k: value[k] for k in sorted(ATTACHMENT_KEYS) if k in value}}
    if t == "quantity":
        quantity: dict[str, Any] = {"value": float(value["value"])}
        unit = value.get("unit")
        known = _unit(item, unit)
        if unit is None and item.unit is not None:
            known = item.unit
            unit = item.unit.display or item.unit.code
        if unit:
            quantity["unit"] = unit
        if known is not None:
            if known.system:
                quantity["system"] = known.system
            if known.code:
                quantity["code"] = known.code
        return {"valueQuantity": quantity}
    option = item.option(value)
    if option is None:  # open-choice free text, or a code of a value set we cannot read
        if t == "choice":
            return {"valueCoding": {"code": value}}
        return {"valueString": value}
    if option.value_type == "coding":
        coding: dict[str, Any] = {}
        if option.system:
            coding["system"] = option.system
        coding["code"] = option.code
        if option.display:
            coding["display"] = option.display
        if for_eval and option.score is not None:
            coding["extension"] = [{"url": FHIR_EXT + "ordinalValue", "valueDecimal": option.score}]
        return {"valueCoding": coding}
    if option.value_type == "integer":
        return {"valueInteger": int(option.code)}
    if option.value_type == "reference":
        return {"valueReference": {"reference": option.code}}
    key = {"string": "valueString", "date": "valueDate", "time": "valueTime"}[option.value_type]
    return {key: option.code}


def _unit(item: Item, unit: Any) -> Coding | None:
    if not isinstance(unit, str) or not unit:
        return None
    for option in item.unit_options or ((item.unit,) if item.unit else ()):
        if unit in (option.code, option.display):
            return option
    return None


def _response_items(
    items: tuple[Item, ...],
    values: Mapping[str, list[Any]],
    enabled_ids: set[str],
    *,
    for_eval: bool,
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in items:
        if item.link_id not in enabled_ids or item.type == "display":
            continue
        children = _response_items(item.items, values, enabled_ids, for_eval=for_eval)
        node: dict[str, Any] = {"linkId": item.link_id}
        if item.text:
            node["text"] = item.text
        if item.type == "group":
            if children:
                node["item"] = children
                out.append(node)
            continue
        answers = [_answer_json(item, v, for_eval=for_eval) for v in values.get(item.link_id, [])]
        if not answers and not children:
            continue
        if answers:
            if children:  # children of a question go under its answer
                answers[0]["item"] = children
            node["answer"] = answers
        else:
            node["item"] = children
        out.append(node)
    return out


def _response(
    definition: Definition,
    values: Mapping[str, list[Any]],
    enabled_ids: set[str],
    *,
    for_eval: bool,
    status: str = "completed",
    authored: str | None = None,
    subject: str | None = None,
) -> dict[str, Any]:
    response: dict[str, Any] = {"resourceType": "QuestionnaireResponse"}
    if definition.url:
        version = f"|{definition.version}" if definition.version else ""
        response["questionnaire"] = definition.url + version
    response["status"] = status
    if subject:
        response["subject"] = {"reference": subject}
    if authored:
        response["authored"] = authored
    items = _response_items(definition.items, values, enabled_ids, for_eval=for_eval)
    if items:
        response["item"] = items
    return response
