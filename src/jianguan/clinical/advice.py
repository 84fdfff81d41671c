"""Explainable advice (饮食 / 运动 / 心理): findings of the engine → advice items by rules that live
in a data file a clinician can read (clinical/data/advice_rules.toml).

Every item says which finding triggered it ("because") and which guideline it follows; a rule
of priority 1 is urgent (the health manager is alerted). Nothing here reaches a customer on its
own: the care app keeps the items as a draft that a health manager edits and approves.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from .registry import Result, get

RULES_FILE = Path(__file__).resolve().parent / "data" / "advice_rules.toml"
DOMAINS = ("diet", "exercise", "mental")
URGENT = 1
PLACEHOLDER = re.compile(r"\{([a-z0-9_]+)\}")


class RuleError(ValueError):
    """A rule file that cannot be used: says which rule and what is wrong."""


@dataclass(frozen=True)
class Rule:
    id: str
    domain: str
    priority: int
    text_zh: str
    text_en: str
    source: str
    always: bool = False
    model: str = ""
    categories: tuple[str, ...] = ()
    detail: str = ""
    because_zh: str = ""  # how to name the finding when a detail triggers the rule
    because_en: str = ""
    conditions: tuple[str, ...] = ()  # ICD-10 codes or blocks of an active condition


@dataclass(frozen=True)
class Advice:
    rule_id: str
    domain: str
    priority: int
    text_zh: str
    text_en: str
    source: str
    because_zh: str
    because_en: str

    @property
    def urgent(self) -> bool:
        return self.priority == URGENT


def parse_rules(data: Mapping[str, Any], where: str = "rules") -> tuple[Rule, ...]:
    """Rules from parsed TOML, each checked against the registry (model ids, category codes,
    placeholders), so a typo in the file fails loudly, naming the rule, not silently never fires."""
    rules: list[Rule] = []
    seen: set[str] = set()
    for n, raw in enumerate(data.get("rule", []), start=1):
        rid = str(raw.get("id") or f"#{n}")
        try:
            rule = _rule(raw)
        except (KeyError, TypeError, ValueError) as exc:
            raise RuleError(f"{where}: rule {rid}: {exc}") from None
        if rule.id in seen:
            raise RuleError(f"{where}: rule {rid}: the id is used twice")
        seen.add(rule.id)
        rules.append(rule)
    return tuple(rules)


def _rule(raw: Mapping[str, Any]) -> Rule:
    when = raw["when"]
    rule = Rule(
        id=str(raw["id"]),
        domain=str(raw["domain"]),
        priority=int(raw["priority"]),
        text_zh=str(raw["text_zh"]),
        text_en=str(raw["text_en"]),
        source=str(raw["source"]),
        always=bool(when.get("always", False)),
        model=str(when.get("model", "")),
        categories=tuple(str(c) for c in when.get("categories", ())),
        detail=str(when.get("detail", "")),
        because_zh=str(raw.get("because_zh", "")),
        because_en=str(raw.get("because_en", "")),
        conditions=tuple(str(c).upper() for c in when.get("conditions", ())),
    )
    if rule.domain not in DOMAINS:
        raise ValueError(f"domain must be one of {', '.join(DOMAINS)}")
    if rule.priority not in (1, 2, 3):
        raise ValueError("priority must be 1, 2 or 3")
    if not rule.always and not rule.conditions:
        if not rule.model:
            raise ValueError("`when` needs a model, conditions, or always = true")
        model = get(rule.model)  # UnknownModel names a wrong id
        known = {c.code for c in model.categories}
        unknown = [c for c in rule.categories if c not in known]
        if unknown:
            raise ValueError(f"{rule.model} has no category {', '.join(unknown)}")
        if not rule.categories and not rule.detail:
            raise ValueError("`when` needs categories or a detail")
    for name in PLACEHOLDER.findall(rule.text_zh + rule.text_en):
        get(name)
    return rule


@cache
def rules() -> tuple[Rule, ...]:
    with RULES_FILE.open("rb") as f:
        return parse_rules(tomllib.load(f), RULES_FILE.name)


def _fires(
    rule: Rule, findings: Mapping[str, Result], conditions: tuple[str, ...]
) -> Result | bool | str | None:
    if rule.always:
        return True
    if rule.conditions:
        return next((c for c in conditions if c.startswith(rule.conditions)), None)
    result = findings.get(rule.model)
    if result is None:
        return None
    if rule.categories and result.category in rule.categories:
        return result
    if rule.detail and bool(result.details.get(rule.detail)):
        return result
    return None


def _fill(text: str, findings: Mapping[str, Result]) -> str:
    def value(match: re.Match[str]) -> str:
        result = findings.get(match.group(1))
        if result is None or not isinstance(result.value, int | float):
            return "—"
        number = float(result.value)
        return f"{number:.0f}" if abs(number) >= 100 else f"{number:.1f}"

    return PLACEHOLDER.sub(value, text)


def _because(rule: Rule, result: Result | bool | str) -> tuple[str, str]:
    if isinstance(result, str):  # an ICD-10 code of the history
        return (
            f"既往史：{rule.because_zh or result}（{result}）",
            f"history: {rule.because_en or result} ({result})",
        )
    if not isinstance(result, Result):
        return "一般健康建议", "general advice for everyone"
    model = get(result.model_id)
    if rule.detail and result.details.get(rule.detail):
        return (
            f"{model.title_zh}：{rule.because_zh or rule.detail}",
            f"{model.title_en}: {rule.because_en or rule.detail}",
        )
    return (
        f"{model.title_zh}：{result.category_zh}",
        f"{model.title_en}: {result.category_en}",
    )


def advise(
    findings: Mapping[str, Result],
    rule_set: tuple[Rule, ...] | None = None,
    *,
    conditions: tuple[str, ...] | list[str] = (),
) -> list[Advice]:
    """The advice items the findings and the active conditions (ICD-10 codes) call for, urgent
    first, then by domain and priority in rule-file order; a rule needing a value it cannot find
    (a placeholder) is left out rather than shown blank."""
    codes = tuple(c.strip().upper() for c in conditions)
    items: list[Advice] = []
    for rule in rule_set if rule_set is not None else rules():
        fired = _fires(rule, findings, codes)
        if fired is None:
            continue
        if any(findings.get(name) is None for name in PLACEHOLDER.findall(rule.text_zh)):
            continue
        because_zh, because_en = _because(rule, fired)
        items.append(
            Advice(
                rule_id=rule.id,
                domain=rule.domain,
                priority=rule.priority,
                text_zh=_fill(rule.text_zh, findings),
                text_en=_fill(rule.text_en, findings),
                source=rule.source,
                because_zh=because_zh,
                because_en=because_en,
            )
        )
    order = {d: i for i, d in enumerate(DOMAINS)}
    return sorted(items, key=lambda a: (a.priority != URGENT, order[a.domain], a.priority))
