"""Scores: the chosen options' ordinal values and the calculated values."""

from __future__ import annotations

import math
from typing import Any

from .evaluation import _run
from .model import Answers, Definition, Scores


def score(definition: Definition, answers: Answers) -> Scores:
    """The chosen options' ordinal values (enabled items only; options without one are ignored)
    and every calculatedExpression, evaluated over the response of the enabled answers."""
    state = _run(definition, answers)
    effective = state.effective(definition)
    by_item: dict[str, float] = {}
    for item in definition.walk():
        if item.link_id not in state.enabled or not item.options:
            continue
        scores = [
            option.score
            for value in effective.get(item.link_id, [])
            if (option := item.option(value)) is not None and option.score is not None
        ]
        if scores:
            by_item[item.link_id] = math.fsum(scores)
    total = math.fsum(by_item.values()) if by_item else None
    calculated = {
        item.link_id: state.calculated.get(item.link_id)
        for item in definition.walk()
        if item.calculated_expression
    }
    return Scores(total=total, by_item=by_item, calculated=calculated)


def with_calculated(definition: Definition, answers: Answers) -> dict[str, list[Any]]:
    """The enabled answers with each calculated item's answer replaced by its calculated value
    (as an answer of the item's type), ready for `to_response`."""
    state = _run(definition, answers)
    values = {
        k: list(v)
        for k, v in state.clean.items()
        if k in state.enabled and not definition.index[k].calculated_expression
    }
    values.update({k: v for k, v in state.calculated_answers.items() if k in state.enabled})
    return values
