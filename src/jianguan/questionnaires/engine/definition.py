"""Parsing a Questionnaire into a `Definition` (`parse_definition`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .constants import (
    CALCULATED,
    CHOICE_TYPES,
    DEFINITION_STATUSES,
    ENABLE_ANSWER_KEYS,
    ENABLE_EXPRESSION,
    FHIRPATH,
    HIDDEN,
    ITEM_TYPES,
    MAX_DEPTH,
    MAX_EXPRESSION_CHARS,
    MAX_ITEMS,
    MAX_LINK_ID_CHARS,
    MAX_OPTIONS,
    MAX_QUANTITY,
    MAX_REGEX_CHARS,
    MAX_SIZE,
    MAX_VALUE,
    MIME_TYPE,
    MIN_LENGTH,
    MIN_QUANTITY,
    MIN_VALUE,
    NESTED_QUANTIFIER_RE,
    NUMERIC_TYPES,
    OPERATORS,
    OPTION_VALUE_KEYS,
    ORDERING,
    REGEX,
    UNIT,
    UNIT_OPTION,
    VARIABLE,
)
from .expressions import _dry_run, _fhirpath_tree, _FhirpathSyntaxError
from .fields import (
    _bool,
    _check_date,
    _check_datetime,
    _check_time,
    _coding,
    _extensions,
    _fail,
    _is_number,
    _join,
    _list,
    _ordinal,
    _str,
    _translation,
)
from .model import Bound, Coding, Definition, EnableWhen, Item, Option, Quantity, Variable

# ---------------------------------------------------------------------------------------------
# Parsing a definition


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
