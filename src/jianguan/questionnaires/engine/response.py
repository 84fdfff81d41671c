"""Answers to a QuestionnaireResponse and back (`to_response`, `answers_from_response`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .answers import _error, validate
from .constants import (
    ATTACHMENT_KEYS,
    CHOICE_TYPES,
    MAX_DEPTH,
    MAX_LINK_ID_CHARS,
    MAX_RESPONSE_NODES,
    STATUSES,
)
from .evaluation import _run
from .fields import _is_number
from .model import Answers, Definition, Item, ResponseError
from .values import _response


def to_response(
    definition: Definition,
    answers: Answers,
    *,
    status: str = "completed",
    authored: str | None = None,
    subject: str | None = None,
) -> dict[str, Any]:
    """The answers as a FHIR R4 QuestionnaireResponse, nested like the definition. Answers of
    disabled items are left out (as FHIR requires); any other error is a ResponseError."""
    if status not in STATUSES:
        raise ValueError(f"not a QuestionnaireResponse status: {status!r}")
    errors = [
        e
        for e in validate(definition, answers, complete=False)
        if e.code not in ("not_enabled", "expression_error")
    ]
    if errors:
        raise ResponseError(errors)
    state = _run(definition, answers)
    values = {k: list(v) for k, v in answers.items() if k in state.enabled}
    return _response(
        definition,
        values,
        state.enabled,
        for_eval=False,
        status=status,
        authored=authored,
        subject=subject,
    )


def _malformed(link_id: str, detail: str) -> ResponseError:
    return ResponseError([_error(link_id, "malformed", detail=detail)])


def _from_answer(item: Item | None, answer: Any, link_id: str) -> Any:
    if not isinstance(answer, Mapping):
        raise _malformed(link_id, "an answer is not an object")
    keys = [k for k in answer if k.startswith("value")]
    if len(keys) != 1:
        raise _malformed(link_id, "an answer needs exactly one value[x]")
    key, value = keys[0], answer[keys[0]]
    choice = item is not None and item.type in CHOICE_TYPES
    if key == "valueCoding":
        if not isinstance(value, Mapping) or not isinstance(value.get("code"), str):
            raise _malformed(link_id, "a valueCoding without a code")
        return value["code"]
    if key == "valueQuantity":
        if not isinstance(value, Mapping):
            raise _malformed(link_id, "valueQuantity is not an object")
        number: Any = value.get("value")
        quantity: dict[str, Any] = {
            "value": float(number) if _is_number(number) else number,
        }
        unit = value.get("unit", value.get("code"))
        if unit is not None:
            quantity["unit"] = unit
        return quantity
    if key == "valueAttachment":
        if not isinstance(value, Mapping):
            raise _malformed(link_id, "valueAttachment is not an object")
        return {k: value[k] for k in sorted(ATTACHMENT_KEYS) if k in value}
    if key == "valueReference":
        if not isinstance(value, Mapping):
            raise _malformed(link_id, "valueReference is not an object")
        return value.get("reference")
    if key == "valueInteger" and choice:
        return str(value)
    if key == "valueDecimal" and _is_number(value):
        return float(value)
    return value


def answers_from_response(
    definition: Definition, response: Mapping[str, Any]
) -> dict[str, list[Any]]:
    """The answers held in a QuestionnaireResponse (the inverse of `to_response`). Answers to
    items the definition does not have are kept, for `validate` to name. Several instances of a
    repeating group are merged into one. A response that is not one is a ResponseError."""
    if not isinstance(response, Mapping) or response.get("resourceType") != (
        "QuestionnaireResponse"
    ):
        raise _malformed("", "not a QuestionnaireResponse")
    found: dict[str, list[Any]] = {}
    count = 0

    def visit(items: Any, depth: int) -> None:
        nonlocal count
        if items is None:
            return
        if not isinstance(items, list):
            raise _malformed("", "`item` is not an array")
        if depth > MAX_DEPTH:
            raise _malformed("", f"items nested more than {MAX_DEPTH} deep")
        for node in items:
            count += 1
            if count > MAX_RESPONSE_NODES:
                raise _malformed("", "the response is too large")
            if not isinstance(node, Mapping) or not isinstance(node.get("linkId"), str):
                raise _malformed("", "an item without a linkId")
            link_id = node["linkId"][:MAX_LINK_ID_CHARS]
            item = definition.index.get(link_id)
            raw_answers = node.get("answer") or []
            if not isinstance(raw_answers, list):
                raise _malformed(link_id, "`answer` is not an array")
            for answer in raw_answers:
                count += 1
                if count > MAX_RESPONSE_NODES:
                    raise _malformed("", "the response is too large")
                found.setdefault(link_id, []).append(_from_answer(item, answer, link_id))
                visit(answer.get("item"), depth + 1)
            visit(node.get("item"), depth + 1)

    visit(response.get("item"), 1)
    return found
