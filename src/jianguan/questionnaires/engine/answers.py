"""The enabled items and validation (`enabled`, `validate`) with their messages."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .compare import _order
from .constants import (
    CHOICE_TYPES,
    MAX_ANSWER_CHARS,
    MAX_ANSWERED_ITEMS,
    MAX_ANSWERS_PER_ITEM,
    MAX_LINK_ID_CHARS,
    MAX_TOTAL_ANSWERS,
    NUMERIC_TYPES,
    TEMPORAL_TYPES,
    TEXT_TYPES,
    TYPE_NAMES,
)
from .evaluation import _run, _State
from .model import Answers, Bound, Definition, Item, ItemError
from .values import _too_big, _unit, _value_problem

# ---------------------------------------------------------------------------------------------
# The public functions


def enabled(definition: Definition, answers: Answers) -> set[str]:
    """The linkIds enabled by these answers (every item type, groups and display items too)."""
    return set(_run(definition, answers).enabled)


MESSAGES: dict[str, tuple[str, str]] = {
    "unknown_item": ("问卷中没有这一题", "this item is not in the questionnaire"),
    "not_enabled": (
        "根据其他答案，此题不适用，不应作答",
        "this item is not enabled by the other answers, so it must not be answered",
    ),
    "not_answerable": ("分组或说明文字不能作答", "a group or display item cannot be answered"),
    "required": ("此题必答", "this item is required"),
    "not_repeating": ("此题只能有一个答案", "this item takes only one answer"),
    "wrong_type": ("答案应为{zh}", "the answer must be {en}"),
    "unknown_option": ("不是此题的选项", "not one of this item's options"),
    "below_min": ("不能小于 {bound}", "must be at least {bound}"),
    "above_max": ("不能大于 {bound}", "must be at most {bound}"),
    "too_short": ("至少 {n} 个字符", "must be at least {n} characters"),
    "too_long": ("最多 {n} 个字符", "must be at most {n} characters"),
    "pattern": ("格式不符合要求", "does not have the required format"),
    "oversized": (
        f"答案过长（上限 {MAX_ANSWER_CHARS:,} 个字符）",
        f"the answer is too long (at most {MAX_ANSWER_CHARS:,} characters)",
    ),
    "too_many_answers": (
        f"答案过多（每题最多 {MAX_ANSWERS_PER_ITEM} 个）",
        f"too many answers (at most {MAX_ANSWERS_PER_ITEM} per item)",
    ),
    "too_many_answers_total": (
        f"答案过多（每份最多 {MAX_TOTAL_ANSWERS:,} 个）",
        f"too many answers (at most {MAX_TOTAL_ANSWERS:,} in a response)",
    ),
    "duplicate_answer": ("同一答案出现了两次", "the same answer is given twice"),
    "unit_not_allowed": ("单位 {unit} 不可用于此题", "the unit {unit} is not allowed here"),
    "attachment_too_large": ("附件超过 {n} 字节", "the attachment is larger than {n} bytes"),
    "attachment_type": ("不接受此类文件（{type}）", "this kind of file is not accepted ({type})"),
    "expression_error": (
        "问卷的计算规则出错，请联系管理员（{detail}）",
        "the form's expression failed; tell an administrator ({detail})",
    ),
    "malformed": ("答卷格式无效：{detail}", "the response is not valid: {detail}"),
}


def _error(link_id: str, code: str, **params: Any) -> ItemError:
    zh, en = MESSAGES[code]
    if code == "too_many_answers_total":
        code = "too_many_answers"
    return ItemError(link_id, code, zh.format(**params), en.format(**params))


def _bound_text(value: Bound) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _value_errors(item: Item, value: Any) -> list[ItemError]:
    link_id = item.link_id
    problem = _value_problem(item, value)
    if problem == "oversized":
        return [_error(link_id, "oversized")]
    if problem == "wrong_type":
        zh, en = TYPE_NAMES[item.type]
        return [_error(link_id, "wrong_type", zh=zh, en=en)]
    found: list[ItemError] = []
    option = item.option(value) if item.type in CHOICE_TYPES else None
    if item.type == "choice" and item.options and option is None:
        return [_error(link_id, "unknown_option")]
    if item.type in TEXT_TYPES and option is None:
        text = str(value)
        if item.min_length is not None and len(text) < item.min_length:
            found.append(_error(link_id, "too_short", n=item.min_length))
        if item.max_length is not None and len(text) > item.max_length:
            found.append(_error(link_id, "too_long", n=item.max_length))
        if item.regex is not None and not re.fullmatch(item.regex, text):
            found.append(_error(link_id, "pattern"))
    if item.type in NUMERIC_TYPES or item.type in TEMPORAL_TYPES:
        kind = "decimal" if item.type in NUMERIC_TYPES else item.type
        if item.min_value is not None and (_order(kind, value, item.min_value) or 0) < 0:
            found.append(_error(link_id, "below_min", bound=_bound_text(item.min_value)))
        if item.max_value is not None and (_order(kind, value, item.max_value) or 0) > 0:
            found.append(_error(link_id, "above_max", bound=_bound_text(item.max_value)))
    if item.type == "quantity":
        unit = value.get("unit")
        allowed = item.unit_options or ((item.unit,) if item.unit else ())
        if unit is not None and allowed and _unit(item, unit) is None:
            found.append(_error(link_id, "unit_not_allowed", unit=unit))
    if item.type == "attachment":
        if item.max_size is not None and value.get("size", 0) > item.max_size:
            found.append(_error(link_id, "attachment_too_large", n=_bound_text(item.max_size)))
        content_type = str(value["contentType"]).lower().split(";")[0].strip()
        if item.mime_types and content_type not in item.mime_types:
            found.append(_error(link_id, "attachment_type", type=content_type))
    return found


def _answered(item: Item, state: _State, values: Mapping[str, Any]) -> bool:
    """Whether the item or an enabled descendant has an answer (for a required group)."""
    if item.answerable and values.get(item.link_id):
        return True
    return any(c.link_id in state.enabled and _answered(c, state, values) for c in item.items)


def _dedupe_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def validate(definition: Definition, answers: Answers, *, complete: bool = True) -> list[ItemError]:
    """Every error, each naming its item (an empty list: the answers are acceptable). With
    `complete=False` (a draft) missing required answers are not errors."""
    if not isinstance(answers, Mapping):
        zh, en = "答案应为 linkId → 答案列表", "answers map each linkId to a list of values"
        return [ItemError("", "wrong_type", zh, en)]
    if len(answers) > MAX_ANSWERED_ITEMS:
        return [_error("", "too_many_answers_total")]
    errors: list[ItemError] = []
    total = 0
    for key, values in answers.items():
        link_id = str(key)[:MAX_LINK_ID_CHARS]
        if not isinstance(key, str) or key not in definition.index:
            errors.append(_error(link_id, "unknown_item"))
            continue
        if not isinstance(values, list | tuple):
            zh, en = "答案列表", "a list of answers"
            errors.append(_error(link_id, "wrong_type", zh=zh, en=en))
            continue
        total += len(values)
        if len(values) > MAX_ANSWERS_PER_ITEM:
            errors.append(_error(link_id, "too_many_answers"))
    if total > MAX_TOTAL_ANSWERS:
        return [*errors, _error("", "too_many_answers_total")]

    state = _run(definition, answers)
    for item in definition.walk():
        link_id = item.link_id
        raw = answers.get(link_id)
        values = list(raw) if isinstance(raw, list | tuple) else []
        is_enabled = link_id in state.enabled
        if link_id in state.errors:
            errors.append(_error(link_id, "expression_error", detail=state.errors[link_id]))
        if values and not item.answerable:
            errors.append(_error(link_id, "not_answerable"))
            continue
        if values and not is_enabled:
            errors.append(_error(link_id, "not_enabled"))
            continue
        if not is_enabled:
            continue
        if complete and item.required and not item.calculated_expression:
            answered = bool(values) if item.answerable else _answered(item, state, answers)
            if not answered:
                errors.append(_error(link_id, "required"))
        if not values or len(values) > MAX_ANSWERS_PER_ITEM:
            continue
        if len(values) > 1 and not item.repeats:
            errors.append(_error(link_id, "not_repeating"))
        seen_codes: set[tuple[str, str]] = set()
        seen_values: set[str] = set()
        for value in values:
            for error in _value_errors(item, value):
                if (error.code, error.message_en) not in seen_codes:
                    seen_codes.add((error.code, error.message_en))
                    errors.append(error)
            if not _too_big(value):
                key = _dedupe_key(value)
                if key in seen_values and ("duplicate_answer", "") not in seen_codes:
                    seen_codes.add(("duplicate_answer", ""))
                    errors.append(_error(link_id, "duplicate_answer"))
                seen_values.add(key)
    return errors
