"""The parsed definition (items, options, enableWhen conditions), the errors and the scores."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .constants import NOT_ANSWERABLE

Answers = Mapping[str, list[Any]]

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
