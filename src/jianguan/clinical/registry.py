"""The model registry: `calculate(model_id, inputs)` for one customer, `calculate_many` for a
population, and the metadata `docs/clinical.md` is generated from.

A model declares its inputs (`Input`: a canonical key that names its unit, the other units
accepted with their factor, the physiologically possible range that is refused outside, and
the range the model was derived or validated on, outside which the result carries a warning —
or a refusal where the model is undefined there), a formula written once against `xp`
(clinical/xp.py) that returns the value and the category code, and an explanation a health
manager can read aloud. Everything a model needs is checked here, so a formula sees only
numbers in its canonical units, booleans, and sex as "M" / "F".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .xp import SCALAR, VECTOR

NUMBER = "number"
INTEGER = "integer"
BOOLEAN = "boolean"
CHOICE = "choice"
SEX = "sex"

WARN = "warn"  # outside the valid range: computed, with a warning
REFUSE = "refuse"  # outside the valid range: the model is undefined there

_SEXES = {"m": "M", "male": "M", "男": "M", "f": "F", "female": "F", "女": "F"}
_TRUE = {True, "1", "true", "yes", "y", "是"}
_FALSE = {False, "0", "false", "no", "n", "否"}


class InvalidInput(ValueError):
    """An input a model cannot use: names the input, says why, in Chinese and English."""

    def __init__(self, field: str, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(f"{field}: {message_en}")
        self.field = field
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en

    def to_dict(self) -> dict[str, str]:
        return {
            "field": self.field,
            "code": self.code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


class UnknownModel(KeyError):
    pass


@dataclass(frozen=True)
class Input:
    """One input of a model.

    `key` is canonical and names its unit (`sbp_mmhg`, `total_cholesterol_mmol_l`); `also`
    maps other accepted keys to the factor that turns them into the canonical unit
    (`{"total_cholesterol_mg_dl": 1 / 38.67}`), or to a function where a factor will not do
    (HbA1c IFCC → NGSP); the function must accept numbers and numpy arrays. `possible` is what
    a body can have (refused outside: a typo, not a patient); `valid` is where the model
    holds, with `outside` saying whether a value beyond it is computed with a warning or
    refused.
    """

    key: str
    kind: str = NUMBER
    label_zh: str = ""
    label_en: str = ""
    unit: str = ""  # UCUM of the canonical key
    also: Mapping[str, float | Callable[[Any], Any]] = field(default_factory=dict)
    possible: tuple[float | None, float | None] = (None, None)
    valid: tuple[float | None, float | None] = (None, None)
    outside: str = WARN
    # where the model is defined at all, when that is wider than `valid` (China-PAR: validated
    # 35–74 with a warning outside, not defined below 20): refused outside
    defined: tuple[float | None, float | None] = (None, None)
    choices: tuple[str, ...] = ()
    required: bool = True
    default: Any = None

    def accepted_keys(self) -> list[str]:
        return [self.key, *self.also]

    def to_canonical(self, key: str, value: Any) -> Any:
        convert = self.also.get(key, 1.0)
        return convert(value) if callable(convert) else value * convert


@dataclass(frozen=True)
class Outcome:
    """What a formula returns: the value (a float, or an array of them) and a category code."""

    value: Any
    category: Any = None
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Category:
    code: str
    label_zh: str
    label_en: str


@dataclass(frozen=True)
class Model:
    id: str
    title_zh: str
    title_en: str
    citation: str
    inputs: tuple[Input, ...]
    formula: Callable[[Mapping[str, Any], Any], Outcome]
    unit: str = ""
    categories: tuple[Category, ...] = ()
    # explain(value, category code, inputs, details) → (Chinese, English), for one customer
    explain: Callable[[Any, str | None, Mapping[str, Any], Mapping[str, Any]], tuple[str, str]] = (
        lambda value, category, x, details: ("", "")
    )
    notes: str = ""  # the pitfalls and choices made, for docs/clinical.md
    decimals: int = 1  # for display only; values are never rounded
    vectorised: bool = True  # False: calculate_many loops (scores of nested answers)

    def category(self, code: str | None) -> Category | None:
        return next((c for c in self.categories if c.code == code), None)


@dataclass(frozen=True)
class Warning:
    field: str
    code: str
    message_zh: str
    message_en: str

    def to_dict(self) -> dict[str, str]:
        return {
            "field": self.field,
            "code": self.code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


@dataclass(frozen=True)
class Result:
    model_id: str
    value: Any
    unit: str
    category: str | None
    category_zh: str
    category_en: str
    citation: str
    valid_ranges: Mapping[str, Mapping[str, Any]]
    warnings: tuple[Warning, ...]
    explanation_zh: str
    explanation_en: str
    details: Mapping[str, Any]
    inputs: Mapping[str, Any]  # as used, in canonical units

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model_id,
            "value": _plain(self.value),
            "unit": self.unit,
            "category": self.category,
            "category_zh": self.category_zh,
            "category_en": self.category_en,
            "citation": self.citation,
            "valid_ranges": {k: dict(v) for k, v in self.valid_ranges.items()},
            "out_of_range": [w.to_dict() for w in self.warnings],
            "explanation_zh": self.explanation_zh,
            "explanation_en": self.explanation_en,
            "details": {k: _plain(v) for k, v in self.details.items()},
            "inputs": {k: _plain(v) for k, v in self.inputs.items()},
        }


@dataclass(frozen=True)
class PopulationResult:
    """Arrays of one length: value (NaN where refused), category code ('' where refused),
    whether an input was outside the model's valid range, and whether the row was refused."""

    model_id: str
    value: np.ndarray
    category: np.ndarray
    out_of_range: np.ndarray
    refused: np.ndarray


_MODELS: dict[str, Model] = {}


def register(model: Model) -> Model:
    if model.id in _MODELS:
        raise ValueError(f"model {model.id!r} registered twice")
    keys = [k for i in model.inputs for k in i.accepted_keys()]
    if len(keys) != len(set(keys)):
        raise ValueError(f"model {model.id!r} accepts one key for two inputs")
    _MODELS[model.id] = model
    return model


def get(model_id: str) -> Model:
    try:
        return _MODELS[model_id]
    except KeyError:
        raise UnknownModel(model_id) from None


def models() -> list[Model]:
    return [_MODELS[k] for k in sorted(_MODELS)]


# --- one customer ---------------------------------------------------------------------------------


def _range_text(low: float | None, high: float | None, unit: str) -> str:
    if low is not None and high is not None:
        text = f"{low:.4g}–{high:.4g}"
    elif low is not None:
        text = f"≥ {low:.4g}"
    elif high is not None:
        text = f"≤ {high:.4g}"
    else:
        return ""
    return f"{text} {unit}".strip()


def _number(spec: Input, key: str, raw: Any) -> float:
    if isinstance(raw, bool) or raw is None or raw == "":
        raise InvalidInput(key, "not_a_number", f"{key} 必须是数字", f"{key} must be a number")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise InvalidInput(
            key, "not_a_number", f"{key} 必须是数字", f"{key} must be a number"
        ) from None
    if not math.isfinite(value):
        raise InvalidInput(key, "not_a_number", f"{key} 必须是数字", f"{key} must be a number")
    if spec.kind == INTEGER and not value.is_integer():
        raise InvalidInput(
            key, "not_an_integer", f"{key} 必须是整数", f"{key} must be a whole number"
        )
    return value


def _one_input(spec: Input, given: Mapping[str, Any]) -> Any:
    present = [k for k in spec.accepted_keys() if k in given and given[k] is not None]
    if len(present) > 1:
        raise InvalidInput(
            spec.key,
            "given_twice",
            f"{' 和 '.join(present)} 只能填一个",
            f"give only one of {', '.join(present)}",
        )
    if not present:
        if spec.required:
            raise InvalidInput(
                spec.key,
                "missing",
                f"缺少 {spec.key}（{spec.label_zh}）",
                f"{spec.key} ({spec.label_en}) is missing",
            )
        return spec.default
    key = present[0]
    raw = given[key]
    if spec.kind == SEX:
        sex = _SEXES.get(str(raw).strip().lower())
        if sex is None:
            raise InvalidInput(key, "sex", "性别应为 M（男）或 F（女）", "sex must be M or F")
        return sex
    if spec.kind == BOOLEAN:
        norm = raw.strip().lower() if isinstance(raw, str) else raw
        if not isinstance(norm, str | int | float | bool):
            norm = None  # a list or an object: never a yes/no
        if norm in _TRUE:
            return True
        if norm in _FALSE:
            return False
        raise InvalidInput(
            key, "boolean", f"{key} 应为 true 或 false", f"{key} must be true or false"
        )
    if spec.kind == CHOICE:
        if not isinstance(raw, str) or raw not in spec.choices:
            raise InvalidInput(
                key,
                "choice",
                f"{key} 应为 {' / '.join(spec.choices)} 之一",
                f"{key} must be one of {', '.join(spec.choices)}",
            )
        return raw
    value = spec.to_canonical(key, _number(spec, key, raw))
    low, high = spec.possible
    if (low is not None and value < low) or (high is not None and value > high):
        shown = _range_text(low, high, spec.unit)
        raise InvalidInput(
            key,
            "impossible",
            f"{spec.label_zh or key} {raw} 不可能（应在 {shown} 之间），请检查数值和单位",
            f"{spec.label_en or key} {raw} is not possible (expected {shown}); check the value "
            "and its unit",
        )
    return value


def _beyond(bounds: tuple[float | None, float | None], spec: Input, value: Any) -> bool:
    if spec.kind not in (NUMBER, INTEGER) or value is None:
        return False
    low, high = bounds
    return (low is not None and value < low) or (high is not None and value > high)


def _outside(spec: Input, value: Any) -> bool:
    return _beyond(spec.valid, spec, value)


def read_inputs(model: Model, given: Mapping[str, Any]) -> tuple[dict[str, Any], list[Warning]]:
    """Canonical inputs and the warnings for values beyond the model's valid range.

    Raises InvalidInput for an unknown key, a missing or malformed value, an impossible value,
    or a value outside a range where the model is undefined.
    """
    known = {k for spec in model.inputs for k in spec.accepted_keys()}
    for key in given:
        if key not in known:
            raise InvalidInput(
                key,
                "unknown_input",
                f"模型 {model.id} 没有输入项 {key}",
                f"model {model.id} has no input {key}; it takes {', '.join(sorted(known))}",
            )
    values: dict[str, Any] = {}
    warnings: list[Warning] = []
    for spec in model.inputs:
        value = _one_input(spec, given)
        values[spec.key] = value
        if _beyond(spec.defined, spec, value):
            shown = _range_text(*spec.defined, spec.unit)
            raise InvalidInput(
                spec.key,
                "outside_model",
                f"{model.title_zh}只适用于{spec.label_zh or spec.key} {shown}",
                f"{model.title_en} applies only to {spec.label_en or spec.key} {shown}",
            )
        if _outside(spec, value):
            shown = _range_text(*spec.valid, spec.unit)
            label_zh, label_en = spec.label_zh or spec.key, spec.label_en or spec.key
            if spec.outside == REFUSE:
                raise InvalidInput(
                    spec.key,
                    "outside_model",
                    f"{model.title_zh}只适用于{label_zh} {shown}",
                    f"{model.title_en} applies only to {label_en} {shown}",
                )
            warnings.append(
                Warning(
                    spec.key,
                    "outside_validated_range",
                    f"{label_zh} {value:g} 超出本模型验证范围（{shown}），结果仅供参考",
                    f"{label_en} {value:g} is outside the range the model was validated on "
                    f"({shown}); read the result with care",
                )
            )
    return values, warnings


def valid_ranges(model: Model) -> dict[str, dict[str, Any]]:
    return {
        spec.key: {
            "low": spec.valid[0],
            "high": spec.valid[1],
            "unit": spec.unit,
            "outside": spec.outside,
        }
        for spec in model.inputs
        if spec.valid != (None, None) or spec.defined != (None, None)
    }


def calculate(model_id: str, inputs: Mapping[str, Any]) -> Result:
    """One customer: raises UnknownModel or InvalidInput (naming the input) on bad input."""
    model = get(model_id)
    values, warnings = read_inputs(model, inputs)
    outcome = model.formula(values, SCALAR)
    category = model.category(outcome.category)
    zh, en = model.explain(outcome.value, outcome.category, values, outcome.details)
    return Result(
        model_id=model.id,
        value=outcome.value,
        unit=model.unit,
        category=outcome.category,
        category_zh=category.label_zh if category else "",
        category_en=category.label_en if category else "",
        citation=model.citation,
        valid_ranges=valid_ranges(model),
        warnings=tuple(warnings),
        explanation_zh=zh,
        explanation_en=en,
        details=dict(outcome.details),
        inputs=values,
    )


# --- a population ---------------------------------------------------------------------------------


def _column(spec: Input, columns: Mapping[str, Any], n: int) -> tuple[np.ndarray, np.ndarray]:
    """The canonical column and a mask of rows it makes impossible (refused)."""
    present = [k for k in spec.accepted_keys() if k in columns]
    if len(present) > 1:
        raise InvalidInput(spec.key, "given_twice", "同一输入给了两次", "an input was given twice")
    if not present:
        if spec.required:
            raise InvalidInput(spec.key, "missing", f"缺少 {spec.key}", f"{spec.key} is missing")
        if spec.kind in (NUMBER, INTEGER):
            default = np.nan if spec.default is None else float(spec.default)
            return np.full(n, default), np.zeros(n, dtype=bool)
        return np.full(n, spec.default), np.zeros(n, dtype=bool)
    key = present[0]
    raw = np.asarray(columns[key])
    if raw.shape != (n,):
        raise InvalidInput(key, "length", "各列长度必须相同", "every column must have one length")
    if spec.kind == SEX:
        text = raw.astype(str)
        if np.isin(text, ("M", "F")).all():  # the usual column: nothing to translate
            return text.astype("<U1"), np.zeros(n, dtype=bool)
        # other spellings (男, female, " m "): translate each distinct one once
        distinct, where = np.unique(np.char.lower(np.char.strip(text)), return_inverse=True)
        col = np.array([_SEXES.get(str(w), "") for w in distinct], dtype="<U1")[where]
        return col, col == ""
    if spec.kind == BOOLEAN:
        if raw.dtype.kind in "US":  # "true" / "false" / "是" …, as one customer's input reads them
            words = np.char.lower(np.char.strip(raw.astype(str)))
            truthy = np.isin(words, [str(t) for t in _TRUE])
            falsy = np.isin(words, [str(f) for f in _FALSE])
            return truthy, ~(truthy | falsy)
        numbers = raw.astype(float)
        return numbers == 1, ~np.isin(numbers, [0.0, 1.0])  # 2 is no yes/no, as for one customer
    if spec.kind == CHOICE:
        return raw, ~np.isin(raw, spec.choices)
    col = np.asarray(spec.to_canonical(key, raw.astype(float)), dtype=float)
    # NaN is "not measured": refused where the input is required, absent where it is optional
    bad = np.isinf(col) | (np.isnan(col) if spec.required else np.zeros(n, dtype=bool))
    low, high = spec.possible
    if low is not None:
        bad |= col < low
    if high is not None:
        bad |= col > high
    if spec.kind == INTEGER:
        bad |= np.isfinite(col) & (col != np.floor(col))
    return col, bad


def calculate_many(model_id: str, columns: Mapping[str, Any]) -> PopulationResult:
    """A population in arrays (one per input key). Rows with an impossible value, or outside a
    range where the model is undefined, are refused (NaN, category ''), never an exception;
    rows outside the validated range are computed and flagged."""
    model = get(model_id)
    known = {k for spec in model.inputs for k in spec.accepted_keys()}
    unknown = [k for k in columns if k not in known]
    if unknown:
        raise InvalidInput(unknown[0], "unknown_input", "未知输入项", f"unknown input {unknown[0]}")
    n = len(next(iter(columns.values()))) if columns else 0
    values: dict[str, np.ndarray] = {}
    refused = np.zeros(n, dtype=bool)
    outside = np.zeros(n, dtype=bool)
    for spec in model.inputs:
        col, bad = _column(spec, columns, n)
        values[spec.key] = col
        refused |= bad
        if spec.kind in (NUMBER, INTEGER):
            low, high = spec.defined
            if low is not None:
                refused |= col < low
            if high is not None:
                refused |= col > high
            low, high = spec.valid
            beyond = np.zeros(n, dtype=bool)
            if low is not None:
                beyond |= col < low
            if high is not None:
                beyond |= col > high
            if spec.outside == REFUSE:
                refused |= beyond
            else:
                outside |= beyond
    if not model.vectorised:
        return _looped(model, values, refused, outside, n)
    safe = _fill_refused(model, values, refused)
    with np.errstate(all="ignore"):
        outcome = model.formula(safe, VECTOR)
    value = np.where(refused, np.nan, np.broadcast_to(np.asarray(outcome.value, dtype=float), (n,)))
    codes = np.broadcast_to(np.asarray("" if outcome.category is None else outcome.category), (n,))
    category = np.where(refused, "", codes.astype(str))
    if outcome.category is not None:
        # a formula refuses a row its inputs together make undefined (DBP not below SBP, no
        # lipid given) by returning NaN and no category for it; for one customer it raises
        refused = refused | (np.isnan(value) & (category == ""))
    return PopulationResult(model.id, value, category, outside & ~refused, refused)


def _fill_refused(
    model: Model, values: dict[str, np.ndarray], refused: np.ndarray
) -> dict[str, np.ndarray]:
    """Refused rows get a harmless value (the low end of the possible range) so that the
    formula raises no warning on them; their results are discarded."""
    if not refused.any():
        return values
    filled = dict(values)
    for spec in model.inputs:
        if spec.kind in (NUMBER, INTEGER):
            stand_in = spec.valid[0] if spec.valid[0] is not None else spec.possible[0] or 1.0
            filled[spec.key] = np.where(refused, stand_in, values[spec.key])
        elif spec.kind == SEX:
            filled[spec.key] = np.where(refused, "M", values[spec.key])
        elif spec.kind == CHOICE:
            filled[spec.key] = np.where(refused, spec.choices[0], values[spec.key])
    return filled


def _looped(
    model: Model, values: Mapping[str, np.ndarray], refused: np.ndarray, outside: np.ndarray, n: int
) -> PopulationResult:
    out_value = np.full(n, np.nan)
    out_category = np.full(n, "", dtype=object)
    for i in np.flatnonzero(~refused):
        row = {k: _scalar(v[i]) for k, v in values.items()}
        outcome = model.formula(row, SCALAR)
        out_value[i] = outcome.value
        out_category[i] = outcome.category or ""
    return PopulationResult(
        model.id, out_value, out_category.astype(str), outside & ~refused, refused
    )


def _scalar(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def scalar_loop(model_id: str, rows: Iterable[Mapping[str, Any]]) -> list[float | None]:
    """The per-customer path over many rows (the benchmark's comparison): None where refused."""
    out: list[float | None] = []
    for row in rows:
        try:
            out.append(calculate(model_id, row).value)
        except InvalidInput:
            out.append(None)
    return out
