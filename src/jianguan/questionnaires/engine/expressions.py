"""FHIRPath: the syntax check, evaluation over a response, and the SDC functions."""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

import fhirpathpy
from antlr4 import CommonTokenStream, InputStream  # type: ignore[import-untyped]
from antlr4.error.ErrorListener import ErrorListener  # type: ignore[import-untyped]
from fhirpathpy.engine.nodes import FP_Quantity, FP_Type, ResourceNode
from fhirpathpy.models import models as _fhir_models
from fhirpathpy.parser import parse as _fhirpath_parse
from fhirpathpy.parser.generated.FHIRPathLexer import FHIRPathLexer
from fhirpathpy.parser.generated.FHIRPathParser import FHIRPathParser

from .compare import _number
from .constants import CHOICE_TYPES, ORDINAL_URLS
from .fields import _fail, _is_number
from .model import Definition, Item
from .values import _value_problem

# ---------------------------------------------------------------------------------------------
# FHIRPath


class _FhirpathSyntaxError(ValueError):
    pass


class _RaiseOnError(ErrorListener):
    def syntaxError(
        self, recognizer: Any, offendingSymbol: Any, line: int, column: int, msg: str, e: Any
    ) -> None:
        raise _FhirpathSyntaxError(f"column {column + 1}: {msg}")


@lru_cache(maxsize=1024)
def _fhirpath_tree(expression: str) -> Any:
    """The parsed expression (fhirpathpy's own parser ignores syntax errors, so the whole text is
    first checked against the grammar's `entireExpression`, which ends at EOF)."""
    try:
        listener = _RaiseOnError()
        lexer = FHIRPathLexer(InputStream(expression))
        lexer.removeErrorListeners()
        lexer.addErrorListener(listener)
        parser = FHIRPathParser(CommonTokenStream(lexer))
        parser.removeErrorListeners()
        parser.addErrorListener(listener)
        parser.entireExpression()  # type: ignore[no-untyped-call]
        return _fhirpath_parse(expression)  # type: ignore[no-untyped-call]
    except _FhirpathSyntaxError:
        raise
    except Exception as exc:  # the ANTLR runtime's own errors, RecursionError
        raise _FhirpathSyntaxError(str(exc)[:200] or type(exc).__name__) from None


_R4 = _fhir_models["r4"]
ANSWER_PATH = "QuestionnaireResponse.item.answer"
_EMPTY_RESPONSE: dict[str, Any] = {"resourceType": "QuestionnaireResponse", "status": "completed"}


class _ExpressionFailed(ValueError):
    pass


def _functions(definition: Definition) -> dict[str, Any]:
    """The SDC functions fhirpathpy does not have: answers() and ordinal() / weight()."""

    def answers(inputs: list[Any]) -> list[Any]:
        found: list[Any] = []

        def visit(items: Any) -> None:
            for item in items if isinstance(items, list) else []:
                if not isinstance(item, Mapping):
                    continue
                for answer in item.get("answer") or []:
                    node = ResourceNode.create_node(answer, ANSWER_PATH)  # type: ignore[no-untyped-call]
                    found.append(node)
                    if isinstance(answer, Mapping):
                        visit(answer.get("item"))
                visit(item.get("item"))

        for node in inputs:
            if isinstance(node, Mapping):
                visit(node.get("item"))
        return found

    def ordinal(inputs: list[Any]) -> list[Any]:
        found: list[Any] = []
        for coding in inputs:
            if not isinstance(coding, Mapping):
                continue
            value: float | None = None
            for ext in coding.get("extension") or []:
                if isinstance(ext, Mapping) and ext.get("url") in ORDINAL_URLS:
                    number = ext.get("valueDecimal", ext.get("valueInteger"))
                    if _is_number(number) or isinstance(number, Decimal):
                        value = float(number)
            if value is None:
                system, code = str(coding.get("system") or ""), str(coding.get("code") or "")
                value = definition.ordinals.get((system, code))
                if value is None and not system:
                    value = definition.ordinals.get(("", code))
            if value is not None:
                found.append(Decimal(str(value)))
        return found

    def power(inputs: list[Any], exponent: Any) -> list[Any]:
        """x.power(y) for any y when x is not negative (fhirpathpy 2.2 gives empty for a
        non-integer y, which breaks the SDC Framingham example)."""
        if len(inputs) != 1:
            return []
        base, degree = _number(inputs[0]), _number(exponent)
        if base is None or degree is None or (base < 0 and not degree.is_integer()):
            return []
        try:
            return [Decimal(str(base)) ** Decimal(str(degree))]
        except ArithmeticError:
            return []

    return {
        "answers": {"fn": answers},
        "ordinal": {"fn": ordinal},
        "weight": {"fn": ordinal},
        "power": {"fn": power, "arity": {1: ["Number"]}, "nullable": True},
    }


def _evaluate(
    definition: Definition,
    expression: str,
    response: Mapping[str, Any],
    focus: Any,
    variables: Mapping[str, Any],
    functions: Mapping[str, Any],
) -> list[Any]:
    try:
        tree = _fhirpath_tree(expression)
        context = {**variables, "resource": response, "questionnaire": definition.source}
        result = fhirpathpy.apply_parsed_path(  # type: ignore[no-untyped-call]
            focus, tree, context, _R4, {"userInvocationTable": functions}
        )
    except RecursionError:
        raise _ExpressionFailed("the expression nests too deeply") from None
    except Exception as exc:  # fhirpathpy raises bare Exception for type errors
        raise _ExpressionFailed(str(exc)[:200] or type(exc).__name__) from None
    return list(result) if isinstance(result, list) else [result]


def _dry_run(definition: Definition, expression: str, where: str, link_id: str | None) -> None:
    """Evaluate the expression once on an empty response, its variables empty: unknown
    functions and variables show here rather than when a customer answers."""
    names = [v.name for v in definition.variables]
    if link_id is not None:
        for item in [*definition.ancestors(link_id), definition.index[link_id]]:
            names.extend(v.name for v in item.variables)
    variables: dict[str, Any] = {name: [] for name in names}
    try:
        _evaluate(definition, expression, _EMPTY_RESPONSE, [], variables, _functions(definition))
    except _ExpressionFailed as exc:
        _fail(
            where,
            f"FHIRPath 表达式无法计算：{exc}",
            f"the FHIRPath expression cannot be evaluated: {exc}",
        )


def _plain(value: Any) -> Any:
    """A FHIRPath result as JSON-ready Python."""
    if isinstance(value, ResourceNode):
        value = value.data
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, Decimal | float):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, FP_Quantity):
        number = float(value.value)
        return {"value": number, "unit": str(value.unit).strip("'")}
    if isinstance(value, FP_Type):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return str(value)


def _result(values: list[Any]) -> Any:
    plain = [_plain(v) for v in values]
    if not plain:
        return None
    return plain[0] if len(plain) == 1 else plain


def _as_answer(item: Item, value: Any) -> Any:
    """A calculated result as an answer value of the item's type (None when it is not one)."""
    if value is None or isinstance(value, list):
        return None
    if item.type in ("decimal", "integer", "quantity"):
        number: Any = value.get("value") if isinstance(value, Mapping) else value
        if not _is_number(number):
            return None
        if item.type == "integer":
            return round(number)
        if item.type == "decimal":
            return float(number)
        unit = value.get("unit") if isinstance(value, Mapping) else None
        if not unit and item.unit is not None:
            unit = item.unit.display or item.unit.code
        return {"value": float(number), "unit": str(unit)} if unit else {"value": float(number)}
    if item.type == "boolean":
        return value if isinstance(value, bool) else None
    if item.type in CHOICE_TYPES:
        code = value.get("code") if isinstance(value, Mapping) else value
        return code if isinstance(code, str) and item.option(code) is not None else None
    if isinstance(value, str) and _value_problem(item, value) is None:
        return value
    return None
