"""Evaluation: the enabled items and the calculated values, settled together over rounds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .compare import _condition_met
from .constants import MAX_ROUNDS
from .expressions import _as_answer, _evaluate, _ExpressionFailed, _functions, _plain, _result
from .model import Definition, Variable
from .values import _clean, _response

# ---------------------------------------------------------------------------------------------
# Evaluation: the enabled items and the calculated values, together


@dataclass
class _State:
    clean: dict[str, list[Any]]
    enabled: set[str]
    calculated: dict[str, Any] = field(default_factory=dict)
    calculated_answers: dict[str, list[Any]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def effective(self, definition: Definition) -> dict[str, list[Any]]:
        """The enabled items' answers, a calculated item holding its calculated value."""
        values = {
            k: v
            for k, v in self.clean.items()
            if k in self.enabled and not definition.index[k].calculated_expression
        }
        values.update({k: v for k, v in self.calculated_answers.items() if k in self.enabled})
        return values


class _Scope:
    """The variables in scope for each item, evaluated once per response."""

    def __init__(
        self, definition: Definition, response: Mapping[str, Any], functions: Mapping[str, Any]
    ) -> None:
        self.definition = definition
        self.response = response
        self.functions = functions
        self.cache: dict[str | None, dict[str, Any]] = {}
        self.nodes: dict[str, Any] = {}
        self._index_nodes(response.get("item") or [])

    def _index_nodes(self, items: list[Any]) -> None:
        for node in items:
            self.nodes.setdefault(node["linkId"], node)
            self._index_nodes(node.get("item") or [])
            for answer in node.get("answer") or []:
                self._index_nodes(answer.get("item") or [])

    def focus(self, link_id: str | None) -> Any:
        if link_id is None:
            return self.response
        return self.nodes.get(link_id, [])

    def variables(self, link_id: str | None) -> dict[str, Any]:
        if link_id in self.cache:
            return self.cache[link_id]
        if link_id is None:
            own: tuple[Variable, ...] = self.definition.variables
            outer: dict[str, Any] = {}
        else:
            own = self.definition.index[link_id].variables
            outer = self.variables(self.definition.parents.get(link_id))
        found = dict(outer)
        for variable in own:
            try:
                found[variable.name] = self.evaluate(variable.expression, link_id, found)
            except _ExpressionFailed:
                found[variable.name] = []
        self.cache[link_id] = found
        return found

    def evaluate(
        self, expression: str, link_id: str | None, variables: Mapping[str, Any] | None = None
    ) -> list[Any]:
        if variables is None:
            variables = self.variables(link_id)
        return _evaluate(
            self.definition,
            expression,
            self.response,
            self.focus(link_id),
            variables,
            self.functions,
        )


def _enabled_pass(
    definition: Definition,
    values: Mapping[str, list[Any]],
    scope: _Scope | None,
    errors: dict[str, str],
) -> set[str]:
    """The enabled items, in the order where each item's parent and enableWhen questions come
    first; an item whose question is disabled reads it as unanswered. Without a scope, items
    with an enableWhenExpression count as enabled (the first round)."""
    found: set[str] = set()
    for link_id in definition.order:
        item = definition.index[link_id]
        parent = definition.parents[link_id]
        if parent is not None and parent not in found:
            continue
        if item.enable_when:
            met = (
                _condition_met(
                    c,
                    definition.index[c.question],
                    values.get(c.question, []) if c.question in found else [],
                )
                for c in item.enable_when
            )
            if not (all(met) if item.enable_behavior == "all" else any(met)):
                continue
        if item.enable_expression and scope is not None:
            try:
                result = [_plain(v) for v in scope.evaluate(item.enable_expression, link_id)]
            except _ExpressionFailed as exc:
                errors[link_id] = str(exc)
                continue
            if len(result) > 1 or (result and not isinstance(result[0], bool)):
                errors[link_id] = f"the enableWhenExpression gave {result!r}, not a boolean"
                continue
            if result != [True]:
                continue
        found.add(link_id)
    return found


def _run(definition: Definition, answers: Any) -> _State:
    clean = _clean(definition, answers)
    state = _State(clean, _enabled_pass(definition, clean, None, {}))
    if not definition.has_expressions:
        return state
    calculated_items = [i for i in definition.walk() if i.calculated_expression]
    functions = _functions(definition)
    for _round in range(MAX_ROUNDS):
        response = _response(definition, state.effective(definition), state.enabled, for_eval=True)
        scope = _Scope(definition, response, functions)
        errors: dict[str, str] = {}
        calculated: dict[str, Any] = {}
        calculated_answers: dict[str, list[Any]] = {}
        for item in calculated_items:
            expression = item.calculated_expression
            if item.link_id not in state.enabled or expression is None:
                calculated[item.link_id] = None
                continue
            try:
                value = _result(scope.evaluate(expression, item.link_id))
            except _ExpressionFailed as exc:
                errors[item.link_id] = str(exc)
                value = None
            calculated[item.link_id] = value
            answer = _as_answer(item, value)
            if answer is not None:
                calculated_answers[item.link_id] = [answer]
        reading = {**clean, **calculated_answers}
        for item in calculated_items:
            if item.link_id not in calculated_answers:
                reading.pop(item.link_id, None)
        now_enabled = _enabled_pass(definition, reading, scope, errors)
        stable = now_enabled == state.enabled and calculated == state.calculated
        state = _State(clean, now_enabled, calculated, calculated_answers, errors)
        if stable:
            break
    return state
