"""The questionnaire engine: a FHIR R4 Questionnaire (parsed JSON) in, answers in; errors, the
enabled items, scores and a QuestionnaireResponse out. Pure Python, no Django (the Django side
stores definitions and the encrypted answers, D-01).

Answers are a mapping linkId → list of values (several for a repeating item), by item type:
boolean → bool; choice → the option's code (str); open-choice → an option's code or free text;
integer → int; decimal → float; date → "YYYY-MM-DD" (or the partial "YYYY" / "YYYY-MM");
dateTime → ISO 8601 string; time → "hh:mm[:ss]"; string / text → str; url → str;
quantity → {"value": float, "unit": str}; attachment → {"contentType": str, "size": int,
"title": str[, "url": str]}; reference → "Type/id".

Expressions (calculatedExpression, enableWhenExpression, variable) are FHIRPath evaluated by
`fhirpathpy` over the QuestionnaireResponse built from the enabled answers, parsed and
interpreted, never Python `eval` (D-33). The SDC functions `answers()` and `ordinal()` /
`weight()` are provided, and `power()` also takes a fractional exponent (fhirpathpy 2.2 gives
empty for one). Item expressions see %resource (the response), %questionnaire, %context (the
item's response node) and the variables in scope; each is checked on an empty response when
the definition is parsed. Calculated values and enabled items are settled together, over
rounds, so an item may be enabled by a calculated score. An expression that does not parse,
or fails on an empty response, is a DefinitionError; one that fails on real answers is an
ItemError (`expression_error`).

Limits (so that a hostile response is refused quickly): 10,000 characters per answer, 100
answers per item, 2,000 answers and 2,000 answered linkIds per response; a definition has at
most 2,000 items nested at most 30 deep.

Not represented by the flat answers mapping: several instances of a repeating group (their
answers are merged into one instance, see `answers_from_response`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any, NoReturn

import fhirpathpy
from antlr4 import CommonTokenStream, InputStream  # type: ignore[import-untyped]
from antlr4.error.ErrorListener import ErrorListener  # type: ignore[import-untyped]
from fhirpathpy.engine.nodes import FP_Quantity, FP_Type, ResourceNode
from fhirpathpy.models import models as _fhir_models
from fhirpathpy.parser import parse as _fhirpath_parse
from fhirpathpy.parser.generated.FHIRPathLexer import FHIRPathLexer
from fhirpathpy.parser.generated.FHIRPathParser import FHIRPathParser

__all__ = [
    "Answers",
    "Coding",
    "Definition",
    "DefinitionError",
    "EnableWhen",
    "Item",
    "ItemError",
    "Option",
    "Quantity",
    "ResponseError",
    "Scores",
    "Variable",
    "answers_from_response",
    "enabled",
    "parse_definition",
    "score",
    "to_response",
    "validate",
    "with_calculated",
]

Answers = Mapping[str, list[Any]]

# ---------------------------------------------------------------------------------------------
# Extensions and limits

FHIR_EXT = "http://hl7.org/fhir/StructureDefinition/"
SDC_EXT = "http://hl7.org/fhir/uv/sdc/StructureDefinition/"
JG_EXT = "https://jianguan.local/fhir/StructureDefinition/"

ORDINAL_URLS = frozenset(
    {
        FHIR_EXT + "ordinalValue",
        FHIR_EXT + "itemWeight",  # its R5 name
        FHIR_EXT + "iso21090-CO-value",  # its STU3 name
    }
)
MIN_VALUE = FHIR_EXT + "minValue"
MAX_VALUE = FHIR_EXT + "maxValue"
MIN_LENGTH = FHIR_EXT + "minLength"
REGEX = FHIR_EXT + "regex"
UNIT = FHIR_EXT + "questionnaire-unit"
UNIT_OPTION = FHIR_EXT + "questionnaire-unitOption"
MIN_QUANTITY = SDC_EXT + "sdc-questionnaire-minQuantity"
MAX_QUANTITY = SDC_EXT + "sdc-questionnaire-maxQuantity"
MAX_SIZE = FHIR_EXT + "maxSize"
MIME_TYPE = FHIR_EXT + "mimeType"
HIDDEN = FHIR_EXT + "questionnaire-hidden"
VARIABLE = FHIR_EXT + "variable"
TRANSLATION = FHIR_EXT + "translation"
CALCULATED = SDC_EXT + "sdc-questionnaire-calculatedExpression"
ENABLE_EXPRESSION = SDC_EXT + "sdc-questionnaire-enableWhenExpression"
FHIRPATH = "text/fhirpath"

MAX_ANSWER_CHARS = 10_000
MAX_ANSWERS_PER_ITEM = 100
MAX_TOTAL_ANSWERS = 2_000
MAX_ANSWERED_ITEMS = 2_000
MAX_ITEMS = 2_000
MAX_DEPTH = 30
MAX_OPTIONS = 2_000
MAX_EXPRESSION_CHARS = 4_000
MAX_REGEX_CHARS = 1_000
MAX_LINK_ID_CHARS = 255
MAX_RESPONSE_NODES = 20_000
MAX_ROUNDS = 10

ITEM_TYPES = frozenset(
    {
        "group",
        "display",
        "boolean",
        "decimal",
        "integer",
        "date",
        "dateTime",
        "time",
        "string",
        "text",
        "url",
        "choice",
        "open-choice",
        "attachment",
        "reference",
        "quantity",
    }
)
NOT_ANSWERABLE = frozenset({"group", "display"})
CHOICE_TYPES = frozenset({"choice", "open-choice"})
NUMERIC_TYPES = frozenset({"integer", "decimal", "quantity"})
TEMPORAL_TYPES = frozenset({"date", "dateTime", "time"})
TEXT_TYPES = frozenset({"string", "text", "url", "open-choice"})
OPERATORS = frozenset({"exists", "=", "!=", ">", "<", ">=", "<="})
ORDERING = frozenset({">", "<", ">=", "<="})
STATUSES = frozenset({"in-progress", "completed", "amended", "entered-in-error", "stopped"})
DEFINITION_STATUSES = frozenset({"draft", "active", "retired", "unknown"})
ATTACHMENT_KEYS = frozenset({"contentType", "size", "title", "url"})
QUANTITY_KEYS = frozenset({"value", "unit"})

ENABLE_ANSWER_KEYS = {
    "answerBoolean": "boolean",
    "answerDecimal": "decimal",
    "answerInteger": "integer",
    "answerDate": "date",
    "answerDateTime": "dateTime",
    "answerTime": "time",
    "answerString": "string",
    "answerCoding": "coding",
    "answerQuantity": "quantity",
    "answerReference": "reference",
}
OPTION_VALUE_KEYS = {
    "valueCoding": "coding",
    "valueString": "string",
    "valueInteger": "integer",
    "valueDate": "date",
    "valueTime": "time",
    "valueReference": "reference",
}

DATE_RE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
DATETIME_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?",
)
TIME_RE = re.compile(r"\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?")
URL_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")
# a quantified group whose last element is itself quantified: (a+)+, (\d*)* … (catastrophic
# backtracking in Python's `re`, which has no time limit)
NESTED_QUANTIFIER_RE = re.compile(r"[+*]\)[+*{]")

TYPE_NAMES: dict[str, tuple[str, str]] = {
    "boolean": ("是或否", "true or false"),
    "decimal": ("数字", "a number"),
    "integer": ("整数", "a whole number"),
    "date": ("日期（YYYY-MM-DD）", "a date (YYYY-MM-DD)"),
    "dateTime": ("日期时间（ISO 8601）", "a date and time (ISO 8601)"),
    "time": ("时间（hh:mm:ss）", "a time (hh:mm:ss)"),
    "string": ("文字", "text"),
    "text": ("文字", "text"),
    "url": ("网址", "a URL"),
    "choice": ("选项代码", "an option code"),
    "open-choice": ("选项代码或文字", "an option code or text"),
    "attachment": ("附件信息（contentType、size、title）", "attachment details"),
    "reference": ("引用（类型/ID）", "a reference (Type/id)"),
    "quantity": ("数值和单位", "a value with its unit"),
}


# ---------------------------------------------------------------------------------------------
# The model


class DefinitionError(ValueError):
    """A Questionnaire the engine cannot use: where (`item[3].item[0].type`) and what, in Chinese
    and English."""

    def __init__(self, path: str, message_zh: str, message_en: str) -> None:
        super().__init__(f"{path}: {message_en}" if path else message_en)
        self.path = path
        self.message_zh = message_zh
        self.message_en = message_en


@dataclass(frozen=True)
class ItemError:
    link_id: str
    code: str
    message_zh: str
    message_en: str


class ResponseError(ValueError):
    """Answers that cannot become a QuestionnaireResponse (or a response that cannot become
    answers): every error, each naming its item."""

    def __init__(self, errors: list[ItemError]) -> None:
        first = errors[0] if errors else None
        summary = f"{first.link_id}: {first.message_en}" if first else "invalid"
        super().__init__(f"{len(errors)} errors, first {summary}")
        self.errors = errors


@dataclass(frozen=True)
class Coding:
    system: str = ""
    code: str = ""
    display: str = ""


@dataclass(frozen=True)
class Quantity:
    value: float
    unit: str = ""


@dataclass(frozen=True)
class Option:
    """An answer option. `code` is what an answer holds: the Coding's code, or the string /
    integer / date / time / reference value as text (`value_type` says which)."""

    code: str
    display: str
    system: str
    score: float | None  # ordinalValue
    value_type: str = "coding"
    display_en: str = ""


@dataclass(frozen=True)
class EnableWhen:
    question: str
    operator: str
    answer_type: str  # boolean decimal integer date dateTime time string coding quantity reference
    answer: bool | int | float | str | Coding | Quantity


@dataclass(frozen=True)
class Variable:
    name: str
    expression: str


Bound = int | float | str


@dataclass(frozen=True)
class Item:
    link_id: str
    type: str
    text: str = ""
    required: bool = False
    repeats: bool = False
    read_only: bool = False
    options: tuple[Option, ...] = ()
    min_value: Bound | None = None
    max_value: Bound | None = None
    max_length: int | None = None
    regex: str | None = None
    enable_when: tuple[EnableWhen, ...] = ()
    enable_behavior: str = "all"
    enable_expression: str | None = None
    calculated_expression: str | None = None
    code: tuple[Coding, ...] = ()
    unit: Coding | None = None
    items: tuple[Item, ...] = ()
    # beyond the brief
    text_en: str = ""
    prefix: str = ""
    answer_value_set: str | None = None  # as written; "#id" is resolved into `options`
    unit_options: tuple[Coding, ...] = ()
    min_length: int | None = None
    max_size: float | None = None  # attachment, bytes
    mime_types: tuple[str, ...] = ()
    hidden: bool = False
    variables: tuple[Variable, ...] = ()

    def option(self, code: Any) -> Option | None:
        if not isinstance(code, str):
            return None
        for option in self.options:
            if option.code == code:
                return option
        return None

    @property
    def answerable(self) -> bool:
        return self.type not in NOT_ANSWERABLE


@dataclass(frozen=True)
class Definition:
    url: str | None
    version: str | None
    name: str | None
    title: str | None
    status: str
    items: tuple[Item, ...]
    title_en: str = ""
    variables: tuple[Variable, ...] = ()
    source: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    index: Mapping[str, Item] = field(default_factory=dict, compare=False, repr=False)
    parents: Mapping[str, str | None] = field(default_factory=dict, compare=False, repr=False)
    order: tuple[str, ...] = field(default=(), compare=False, repr=False)  # enableWhen order
    ordinals: Mapping[tuple[str, str], float] = field(
        default_factory=dict, compare=False, repr=False
    )

    def find(self, link_id: str) -> Item:
        try:
            return self.index[link_id]
        except KeyError:
            raise KeyError(f"no item {link_id!r} in the questionnaire") from None

    def walk(self) -> Iterator[Item]:
        """Every item, depth first in document order."""

        def visit(items: tuple[Item, ...]) -> Iterator[Item]:
            for item in items:
                yield item
                yield from visit(item.items)

        return visit(self.items)

    def ancestors(self, link_id: str) -> list[Item]:
        """The item's ancestors, outermost first."""
        found: list[Item] = []
        parent = self.parents.get(link_id)
        while parent is not None:
            found.append(self.index[parent])
            parent = self.parents.get(parent)
        return found[::-1]

    @property
    def has_expressions(self) -> bool:
        return any(i.calculated_expression or i.enable_expression for i in self.index.values())


@dataclass(frozen=True)
class Scores:
    total: float | None  # the sum of the chosen options' ordinal values; None if none scored
    by_item: dict[str, float]
    calculated: dict[str, Any]  # linkId → calculatedExpression result (None: empty or failed)


# ---------------------------------------------------------------------------------------------
# Parsing a definition


def _fail(path: str, zh: str, en: str) -> NoReturn:
    raise DefinitionError(path, zh, en)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _str(node: Mapping[str, Any], key: str, path: str, *, required: bool = False) -> str | None:
    value = node.get(key)
    if value is None:
        if required:
            _fail(_join(path, key), f"缺少 {key}", f"`{key}` is missing")
        return None
    if not isinstance(value, str):
        _fail(_join(path, key), f"{key} 应为字符串", f"`{key}` must be a string")
    if len(value) > MAX_ANSWER_CHARS:
        _fail(_join(path, key), f"{key} 过长", f"`{key}` is too long")
    return value


def _bool(node: Mapping[str, Any], key: str, path: str) -> bool:
    value = node.get(key, False)
    if not isinstance(value, bool):
        _fail(_join(path, key), f"{key} 应为 true 或 false", f"`{key}` must be true or false")
    return value


def _list(node: Mapping[str, Any], key: str, path: str) -> list[Any]:
    value = node.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        _fail(_join(path, key), f"{key} 应为数组", f"`{key}` must be an array")
    return value


def _extensions(node: Mapping[str, Any], path: str) -> list[tuple[str, str, Any, str]]:
    """(url, value key, value, path) of each extension."""
    found: list[tuple[str, str, Any, str]] = []
    for i, ext in enumerate(_list(node, "extension", path)):
        where = _join(path, f"extension[{i}]")
        if not isinstance(ext, Mapping) or not isinstance(ext.get("url"), str):
            _fail(where, "扩展需要 url", "an extension needs a `url`")
        value_keys = [k for k in ext if k.startswith("value")]
        key = value_keys[0] if value_keys else ""
        found.append((ext["url"], key, ext.get(key) if key else None, where))
    return found


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _ordinal(node: Mapping[str, Any], path: str) -> float | None:
    for url, key, value, where in _extensions(node, path):
        if url in ORDINAL_URLS:
            if not _is_number(value):
                _fail(_join(where, key or "value"), "分值应为数字", "an ordinal value is a number")
            return float(value)
    return None


def _translation(node: Mapping[str, Any], key: str, path: str, jg_name: str) -> str:
    """The English text: Jianguan's `*-en` extension on the node, or the FHIR translation
    extension on the primitive (`_text`, `_display`, `_title`); a malformed translation is
    ignored."""
    for url, _key, value, _where in _extensions(node, path):
        if url == JG_EXT + jg_name and isinstance(value, str):
            return value
    shadow = node.get(f"_{key}")
    extensions = shadow.get("extension") if isinstance(shadow, Mapping) else None
    for ext in extensions if isinstance(extensions, list) else []:
        if not isinstance(ext, Mapping) or ext.get("url") != TRANSLATION:
            continue
        parts = {
            sub.get("url"): sub for sub in ext.get("extension") or [] if isinstance(sub, Mapping)
        }
        lang = parts.get("lang", {}).get("valueCode")
        content = parts.get("content", {}).get("valueString")
        if isinstance(lang, str) and lang.lower().startswith("en") and isinstance(content, str):
            return content
    return ""


def _coding(value: Any, path: str, *, display_only: bool = False) -> Coding:
    """A Coding; with `display_only` (a unit) a display without a code will do."""
    if not isinstance(value, Mapping):
        _fail(path, "应为 Coding", "must be a Coding")
    code = value.get("code")
    if display_only and code is None and isinstance(value.get("display"), str):
        code = ""
    elif not isinstance(code, str) or not code:
        _fail(_join(path, "code"), "Coding 需要 code", "a Coding needs a `code`")
    system, display = value.get("system", ""), value.get("display", "")
    if not isinstance(system, str) or not isinstance(display, str):
        _fail(path, "Coding 的 system / display 应为字符串", "a Coding's system / display is text")
    return Coding(system, code, display)


def _check_date(text: str) -> bool:
    if not DATE_RE.fullmatch(text):
        return False
    parts = [int(p) for p in text.split("-")]
    try:
        dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError:
        return False
    return True


def _check_datetime(text: str) -> bool:
    if _check_date(text):
        return True
    if not DATETIME_RE.fullmatch(text):
        return False
    return _parse_datetime(text) is not None


def _parse_datetime(text: str) -> dt.datetime | None:
    head, dot, tail = text.partition(".")
    if dot:  # fromisoformat takes at most 6 fraction digits
        digits = re.match(r"\d*", tail)
        frac = digits.group(0) if digits else ""
        text = f"{head}.{frac[:6].ljust(6, '0')}{tail[len(frac) :]}"
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _check_time(text: str) -> bool:
    if not TIME_RE.fullmatch(text):
        return False
    try:
        dt.time.fromisoformat(text[:8] if len(text) > 8 else text)
    except ValueError:
        return False
    return True


@dataclass
class _Context:
    contained: dict[str, tuple[Mapping[str, Any], str]]  # id → (ValueSet, its path)
    seen: dict[str, str] = field(default_factory=dict)  # linkId → path
    count: int = 0
    expressions: list[tuple[str, str, str | None]] = field(default_factory=list)


def _value_set_options(vs: Mapping[str, Any], path: str) -> list[Option]:
    options: list[Option] = []
    expansion = vs.get("expansion")
    if isinstance(expansion, Mapping) and expansion.get("contains"):

        def contains(node: Mapping[str, Any], where: str) -> None:
            for i, entry in enumerate(_list(node, "contains", where)):
                here = _join(where, f"contains[{i}]")
                if not isinstance(entry, Mapping):
                    _fail(here, "应为对象", "must be an object")
                if entry.get("code") is not None:
                    c = _coding(entry, here)
                    options.append(Option(c.code, c.display, c.system, _ordinal(entry, here)))
                contains(entry, here)

        contains(expansion, _join(path, "expansion"))
        return options
    compose = vs.get("compose")
    if not isinstance(compose, Mapping):
        _fail(path, "值集需要 compose 或 expansion", "the value set needs `compose` or `expansion`")
    for i, include in enumerate(_list(compose, "include", _join(path, "compose"))):
        here = _join(path, f"compose.include[{i}]")
        if not isinstance(include, Mapping):
            _fail(here, "应为对象", "must be an object")
        if include.get("valueSet") or include.get("filter"):
            _fail(
                here,
                "只支持逐一列出代码的值集（不支持 valueSet / filter）",
                "only value sets listing their codes are supported (no valueSet / filter)",
            )
        system = include.get("system", "")
        if not isinstance(system, str):
            _fail(_join(here, "system"), "system 应为字符串", "`system` must be a string")
        for j, concept in enumerate(_list(include, "concept", here)):
            where = _join(here, f"concept[{j}]")
            c = _coding({**concept, "system": system} if isinstance(concept, Mapping) else 0, where)
            display_en = ""
            for designation in concept.get("designation", []) or []:
                if (
                    isinstance(designation, Mapping)
                    and str(designation.get("language", "")).lower().startswith("en")
                    and isinstance(designation.get("value"), str)
                ):
                    display_en = designation["value"]
            options.append(
                Option(c.code, c.display, c.system, _ordinal(concept, where), "coding", display_en)
            )
    if not options:
        _fail(path, "值集没有列出任何代码", "the value set lists no codes")
    return options


def _answer_options(raw: Mapping[str, Any], path: str) -> list[Option]:
    options: list[Option] = []
    for i, entry in enumerate(_list(raw, "answerOption", path)):
        where = _join(path, f"answerOption[{i}]")
        if not isinstance(entry, Mapping):
            _fail(where, "应为对象", "must be an object")
        keys = [k for k in OPTION_VALUE_KEYS if k in entry]
        if len(keys) != 1:
            _fail(
                where,
                "选项需要且只能有一个 value[x]（Coding、string、integer、date、time 或 Reference）",
                "an answerOption needs exactly one value[x] "
                "(Coding, string, integer, date, time or Reference)",
            )
        key, value = keys[0], entry[keys[0]]
        kind = OPTION_VALUE_KEYS[key]
        score = _ordinal(entry, where)
        display_en = _translation(entry, "value", where, "display-en")
        if kind == "coding":
            c = _coding(value, _join(where, key))
            if score is None:
                score = _ordinal(value, _join(where, key))
            if not display_en:
                display_en = _translation(value, "display", _join(where, key), "display-en")
            options.append(Option(c.code, c.display, c.system, score, kind, display_en))
            continue
        if kind == "reference":
            if not isinstance(value, Mapping) or not isinstance(value.get("reference"), str):
                _fail(_join(where, key), "引用需要 reference", "a Reference needs `reference`")
            text, display = value["reference"], str(value.get("display", value["reference"]))
        elif kind == "integer":
            if not isinstance(value, int) or isinstance(value, bool):
                _fail(_join(where, key), "应为整数", "must be an integer")
            text = display = str(value)
        else:
            checks: dict[str, Callable[[str], bool]] = {
                "date": _check_date,
                "time": _check_time,
                "string": bool,
            }
            if not isinstance(value, str) or not checks[kind](value):
                _fail(_join(where, key), "选项的值无效", f"not a valid {kind}")
            text = display = value
        options.append(Option(text, display, "", score, kind, display_en))
    return options


def _bound(item_type: str, key: str, value: Any, where: str) -> Bound:
    if item_type in NUMERIC_TYPES and key in ("valueInteger", "valueDecimal") and _is_number(value):
        return value
    if item_type in ("date", "dateTime") and key in ("valueDate", "valueDateTime"):
        if isinstance(value, str) and _check_datetime(value):
            return value
    if item_type == "time" and key == "valueTime" and isinstance(value, str):
        if _check_time(value):
            return value
    _fail(
        _join(where, key or "value"),
        f"最小值 / 最大值的类型与题目类型（{item_type}）不符",
        f"the minValue / maxValue does not fit a {item_type} item",
    )


def _expression(value: Any, where: str) -> str:
    if not isinstance(value, Mapping):
        _fail(where, "需要 valueExpression", "a valueExpression is needed")
    language = value.get("language")
    if language != FHIRPATH:
        _fail(
            _join(where, "language"),
            f"只支持 FHIRPath 表达式（text/fhirpath），不支持 {language!r}",
            f"only FHIRPath (text/fhirpath) expressions are supported, not {language!r}",
        )
    expression = value.get("expression")
    if not isinstance(expression, str) or not expression.strip():
        _fail(_join(where, "expression"), "缺少表达式", "the expression is missing")
    if len(expression) > MAX_EXPRESSION_CHARS:
        _fail(_join(where, "expression"), "表达式过长", "the expression is too long")
    try:
        _fhirpath_tree(expression)
    except _FhirpathSyntaxError as exc:
        _fail(
            _join(where, "expression"),
            f"FHIRPath 表达式语法错误：{exc}",
            f"the FHIRPath expression does not parse: {exc}",
        )
    return expression


def _variables(node: Mapping[str, Any], path: str) -> list[tuple[Variable, str]]:
    found: list[tuple[Variable, str]] = []
    for url, key, value, where in _extensions(node, path):
        if url != VARIABLE:
            continue
        here = _join(where, key or "valueExpression")
        expression = _expression(value, here)
        name = value.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            _fail(_join(here, "name"), "变量需要有效的 name", "a variable needs a valid `name`")
        if name in ("resource", "questionnaire", "context", "qItem", "ucum"):
            _fail(_join(here, "name"), f"变量名 {name} 是保留字", f"`{name}` is a reserved name")
        found.append((Variable(name, expression), _join(here, "expression")))
    return found


def _enable_when(raw: Any, where: str) -> EnableWhen:
    if not isinstance(raw, Mapping):
        _fail(where, "应为对象", "must be an object")
    question = raw.get("question")
    if not isinstance(question, str) or not question:
        _fail(_join(where, "question"), "缺少 question", "`question` is missing")
    operator = raw.get("operator")
    if operator not in OPERATORS:
        _fail(
            _join(where, "operator"),
            f"不支持的运算符 {operator!r}",
            f"unknown operator {operator!r} (exists = != > < >= <=)",
        )
    keys = [k for k in raw if k.startswith("answer")]
    if len(keys) != 1 or keys[0] not in ENABLE_ANSWER_KEYS:
        _fail(where, "需要且只能有一个 answer[x]", "exactly one answer[x] is needed")
    key = keys[0]
    kind, value, here = ENABLE_ANSWER_KEYS[key], raw[key], _join(where, key)
    if operator == "exists" and kind != "boolean":
        _fail(here, "exists 运算符需要 answerBoolean", "the `exists` operator takes answerBoolean")
    if operator in ORDERING and kind in ("boolean", "coding", "reference"):
        _fail(
            _join(where, "operator"),
            f"{key} 不能用 {operator} 比较",
            f"{key} cannot be compared with {operator}",
        )
    answer: bool | int | float | str | Coding | Quantity
    if kind == "boolean" and isinstance(value, bool):
        answer = value
    elif kind == "integer" and isinstance(value, int) and not isinstance(value, bool):
        answer = value
    elif kind == "decimal" and _is_number(value):
        answer = float(value)
    elif kind == "date" and isinstance(value, str) and _check_date(value):
        answer = value
    elif kind == "dateTime" and isinstance(value, str) and _check_datetime(value):
        answer = value
    elif kind == "time" and isinstance(value, str) and _check_time(value):
        answer = value
    elif kind == "string" and isinstance(value, str):
        answer = value
    elif kind == "coding":
        answer = _coding(value, here)
    elif kind == "quantity" and isinstance(value, Mapping) and _is_number(value.get("value")):
        answer = Quantity(float(value["value"]), str(value.get("unit") or value.get("code") or ""))
    elif kind == "reference" and isinstance(value, Mapping):
        if not isinstance(value.get("reference"), str):
            _fail(here, "引用需要 reference", "a Reference needs `reference`")
        answer = value["reference"]
    else:
        _fail(here, f"{key} 的值无效", f"the {key} value is not valid")
    return EnableWhen(question, str(operator), kind, answer)


def _parse_item(raw: Any, path: str, ctx: _Context, depth: int) -> Item:
    if not isinstance(raw, Mapping):
        _fail(path, "题目应为对象", "an item must be an object")
    if depth > MAX_DEPTH:
        _fail(path, f"嵌套超过 {MAX_DEPTH} 层", f"items are nested more than {MAX_DEPTH} deep")
    ctx.count += 1
    if ctx.count > MAX_ITEMS:
        _fail(path, f"题目超过 {MAX_ITEMS} 个", f"more than {MAX_ITEMS} items")
    link_id = _str(raw, "linkId", path, required=True)
    if not link_id or len(link_id) > MAX_LINK_ID_CHARS:
        _fail(
            _join(path, "linkId"), "linkId 应为 1–255 个字符", "`linkId` must be 1–255 characters"
        )
    if link_id in ctx.seen:
        _fail(
            _join(path, "linkId"),
            f"linkId {link_id!r} 与 {ctx.seen[link_id]} 重复",
            f"linkId {link_id!r} is also used at {ctx.seen[link_id]}",
        )
    ctx.seen[link_id] = path
    item_type = _str(raw, "type", path, required=True)
    if item_type not in ITEM_TYPES:
        _fail(
            _join(path, "type"),
            f"不支持的题目类型 {item_type!r}",
            f"unsupported item type {item_type!r}",
        )
    text = _str(raw, "text", path) or ""
    prefix = _str(raw, "prefix", path) or ""
    required = _bool(raw, "required", path)
    repeats = _bool(raw, "repeats", path)
    read_only = _bool(raw, "readOnly", path)
    max_length = raw.get("maxLength")
    if max_length is not None and (
        not isinstance(max_length, int) or isinstance(max_length, bool) or max_length < 1
    ):
        _fail(_join(path, "maxLength"), "maxLength 应为正整数", "`maxLength` must be above 0")

    # options
    options: list[Option] = []
    value_set = _str(raw, "answerValueSet", path)
    if "answerOption" in raw and value_set is not None:
        _fail(
            path,
            "answerOption 与 answerValueSet 只能用一个",
            "an item has answerOption or answerValueSet, not both",
        )
    if "answerOption" in raw or value_set is not None:
        if item_type not in CHOICE_TYPES:
            _fail(
                path,
                "只有 choice / open-choice 题可以有选项",
                "only choice and open-choice items have answer options",
            )
    options = _answer_options(raw, path)
    if value_set is not None and value_set.startswith("#"):
        found = ctx.contained.get(value_set[1:])
        if found is None:
            _fail(
                _join(path, "answerValueSet"),
                f"contained 中没有值集 {value_set}",
                f"no contained ValueSet {value_set}",
            )
        options = _value_set_options(*found)
    if len(options) > MAX_OPTIONS:
        _fail(path, "选项过多", f"more than {MAX_OPTIONS} options")
    codes = [o.code for o in options]
    if len(set(codes)) != len(codes):
        duplicate = next(c for c in codes if codes.count(c) > 1)
        _fail(path, f"选项代码 {duplicate!r} 重复", f"the option code {duplicate!r} is repeated")

    # extensions
    min_value: Bound | None = None
    max_value: Bound | None = None
    min_length: int | None = None
    regex: str | None = None
    unit: Coding | None = None
    unit_options: list[Coding] = []
    max_size: float | None = None
    mime_types: list[str] = []
    hidden = False
    calculated: str | None = None
    enable_expression: str | None = None
    for url, key, value, where in _extensions(raw, path):
        if url in (MIN_VALUE, MAX_VALUE):
            bound = _bound(item_type, key, value, where)
            if url == MIN_VALUE:
                min_value = bound
            else:
                max_value = bound
        elif url in (MIN_QUANTITY, MAX_QUANTITY):
            if item_type != "quantity" or not isinstance(value, Mapping):
                _fail(where, "只用于 quantity 题", "only for quantity items")
            number = value.get("value")
            if not _is_number(number):
                _fail(_join(where, "valueQuantity.value"), "应为数字", "must be a number")
            if url == MIN_QUANTITY:
                min_value = number
            else:
                max_value = number
        elif url == MIN_LENGTH:
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                _fail(_join(where, key), "minLength 应为非负整数", "minLength must be 0 or more")
            min_length = value
        elif url == REGEX:
            regex = _regex(value, _join(where, key or "valueString"))
        elif url == UNIT:
            unit = _coding(value, _join(where, key), display_only=True)
        elif url == UNIT_OPTION:
            unit_options.append(_coding(value, _join(where, key), display_only=True))
        elif url == MAX_SIZE:
            if not _is_number(value) or value < 0:
                _fail(_join(where, key), "maxSize 应为非负数", "maxSize must be 0 or more")
            max_size = float(value)
        elif url == MIME_TYPE:
            if not isinstance(value, str):
                _fail(_join(where, key), "mimeType 应为字符串", "mimeType must be a string")
            mime_types.append(value.lower())
        elif url == HIDDEN:
            hidden = value is True
        elif url == CALCULATED:
            calculated = _expression(value, _join(where, key or "valueExpression"))
            ctx.expressions.append(
                (calculated, _join(where, "valueExpression.expression"), link_id)
            )
        elif url == ENABLE_EXPRESSION:
            enable_expression = _expression(value, _join(where, key or "valueExpression"))
            ctx.expressions.append(
                (enable_expression, _join(where, "valueExpression.expression"), link_id)
            )
    if unit is None and unit_options:
        unit = unit_options[0]
    if unit is not None and unit not in unit_options and item_type == "quantity":
        unit_options.insert(0, unit)
    variables = _variables(raw, path)
    for variable, where in variables:
        ctx.expressions.append((variable.expression, where, link_id))

    # enableWhen
    enable_when = tuple(
        _enable_when(entry, _join(path, f"enableWhen[{i}]"))
        for i, entry in enumerate(_list(raw, "enableWhen", path))
    )
    behavior = raw.get("enableBehavior", "all")
    if behavior not in ("all", "any"):
        _fail(_join(path, "enableBehavior"), "enableBehavior 应为 all 或 any", "all or any")
    if enable_when and enable_expression:
        _fail(
            path,
            "enableWhen 与 enableWhenExpression 不能同时使用",
            "an item has enableWhen or enableWhenExpression, not both",
        )

    code = tuple(
        _coding(c, _join(path, f"code[{i}]")) for i, c in enumerate(_list(raw, "code", path))
    )
    children_raw = _list(raw, "item", path)
    if item_type == "display" and children_raw:
        _fail(_join(path, "item"), "说明文字不能包含子题", "a display item cannot contain items")
    children = tuple(
        _parse_item(child, _join(path, f"item[{i}]"), ctx, depth + 1)
        for i, child in enumerate(children_raw)
    )
    return Item(
        link_id=link_id,
        type=item_type,
        text=text,
        required=required,
        repeats=repeats,
        read_only=read_only,
        options=tuple(options),
        min_value=min_value,
        max_value=max_value,
        max_length=max_length,
        regex=regex,
        enable_when=enable_when,
        enable_behavior=str(behavior),
        enable_expression=enable_expression,
        calculated_expression=calculated,
        code=code,
        unit=unit,
        items=children,
        text_en=_translation(raw, "text", path, "text-en"),
        prefix=prefix,
        answer_value_set=value_set,
        unit_options=tuple(unit_options),
        min_length=min_length,
        max_size=max_size,
        mime_types=tuple(mime_types),
        hidden=hidden,
        variables=tuple(v for v, _ in variables),
    )


def _regex(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        _fail(where, "正则表达式应为字符串", "the regex must be a string")
    if len(value) > MAX_REGEX_CHARS or NESTED_QUANTIFIER_RE.search(value):
        _fail(
            where,
            "正则表达式过长或含嵌套重复（可能极慢）",
            "the regex is too long or has nested repetition (it could run for ever)",
        )
    try:
        re.compile(value)
    except re.error as exc:
        _fail(where, f"正则表达式无效：{exc}", f"the regex is not valid: {exc}")
    return value


def parse_definition(data: Mapping[str, Any]) -> Definition:
    """A Questionnaire as the engine uses it; DefinitionError naming the path of what is wrong."""
    if not isinstance(data, Mapping):
        _fail("", "问卷应为 JSON 对象", "a Questionnaire is a JSON object")
    if data.get("resourceType") != "Questionnaire":
        _fail("resourceType", "不是 FHIR Questionnaire", "not a FHIR Questionnaire")
    url = _str(data, "url", "")
    version = _str(data, "version", "")
    name = _str(data, "name", "")
    title = _str(data, "title", "")
    status = _str(data, "status", "") or "draft"
    if status not in DEFINITION_STATUSES:
        _fail("status", f"无效的状态 {status!r}", f"not a valid status: {status!r}")
    contained: dict[str, tuple[Mapping[str, Any], str]] = {}
    for i, resource in enumerate(_list(data, "contained", "")):
        if not isinstance(resource, Mapping):
            _fail(f"contained[{i}]", "应为对象", "must be an object")
        if resource.get("resourceType") == "ValueSet" and isinstance(resource.get("id"), str):
            contained[resource["id"]] = (resource, f"contained[{i}]")
    ctx = _Context(contained)
    root_variables = _variables(data, "")
    for variable, where in root_variables:
        ctx.expressions.append((variable.expression, where, None))
    items = tuple(
        _parse_item(raw, f"item[{i}]", ctx, 1) for i, raw in enumerate(_list(data, "item", ""))
    )

    index: dict[str, Item] = {}
    parents: dict[str, str | None] = {}

    def register(children: tuple[Item, ...], parent: str | None) -> None:
        for child in children:
            index[child.link_id] = child
            parents[child.link_id] = parent
            register(child.items, child.link_id)

    register(items, None)
    for link_id, item in index.items():
        for i, condition in enumerate(item.enable_when):
            target = index.get(condition.question)
            where = _join(ctx.seen[link_id], f"enableWhen[{i}].question")
            if target is None:
                _fail(
                    where,
                    f"enableWhen 引用的题目 {condition.question!r} 不存在",
                    f"enableWhen refers to {condition.question!r}, which is not an item",
                )
            if not target.answerable:
                _fail(
                    where,
                    "enableWhen 只能引用可作答的题目",
                    "enableWhen must refer to a question, not a group or display item",
                )
    order = _enable_order(index, parents, ctx.seen)
    ordinals: dict[tuple[str, str], float] = {}
    ambiguous: set[tuple[str, str]] = set()
    for item in index.values():
        for option in item.options:
            if option.score is None or option.value_type != "coding":
                continue
            for key in ((option.system, option.code), ("", option.code)):
                if key in ordinals and ordinals[key] != option.score:
                    ambiguous.add(key)
                ordinals[key] = option.score
    for key in ambiguous:
        del ordinals[key]
    definition = Definition(
        url=url,
        version=version,
        name=name,
        title=title,
        status=status,
        items=items,
        title_en=_translation(data, "title", "", "title-en"),
        variables=tuple(v for v, _ in root_variables),
        source=data,
        index=index,
        parents=parents,
        order=order,
        ordinals=ordinals,
    )
    for expression, expression_path, owner in ctx.expressions:
        _dry_run(definition, expression, expression_path, owner)
    return definition


def _enable_order(
    index: Mapping[str, Item], parents: Mapping[str, str | None], paths: Mapping[str, str]
) -> tuple[str, ...]:
    """The items ordered so that each comes after its parent and the questions its enableWhen
    reads; a cycle is a DefinitionError."""
    order: list[str] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def depends(link_id: str) -> list[str]:
        parent = parents[link_id]
        found = [parent] if parent is not None else []
        return found + [c.question for c in index[link_id].enable_when]

    for start in index:
        if state.get(start) == 2:
            continue
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(depends(start)))]
        state[start] = 1
        while stack:
            node, pending = stack[-1]
            following = next(pending, None)
            if following is None:
                stack.pop()
                state[node] = 2
                order.append(node)
                continue
            if state.get(following) == 1:
                _fail(
                    _join(paths[node], "enableWhen"),
                    f"enableWhen 形成循环：{node!r} 依赖 {following!r}",
                    f"enableWhen forms a cycle: {node!r} depends on {following!r}",
                )
            if state.get(following) is None:
                state[following] = 1
                stack.append((following, iter(depends(following))))
    return tuple(order)


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
