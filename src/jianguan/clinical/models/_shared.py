"""What the model modules share: the code every field's formulas and explanations would otherwise
repeat. Clinical content (coefficients, cut-offs, point tables, citations, notes) stays in each
model's own module; only what is the same whatever the model lives here.

Formulas are written once against `xp` (clinical/xp.py), so every helper that computes takes it
too and works on Python numbers (one customer) and on numpy arrays (a population) alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ..registry import Category, InvalidInput
from ..xp import SCALAR

# --- optional numbers -----------------------------------------------------------------------------


def nan_if_missing(value: Any) -> Any:
    """An optional number not given is None for one customer and NaN in a population column;
    make both NaN so that every comparison with it is False."""
    return math.nan if value is None else value


def given(value: Any) -> Any:
    """True where a number was given: NaN, the stand-in for "not measured", is the one value
    unequal to itself."""
    return value == value


# --- rows a formula refuses -----------------------------------------------------------------------


def refuse_one(bad: Any, xp: Any, error: Callable[[], InvalidInput]) -> None:
    """Refuse what no single input's range can express (DBP not below SBP, no measure given,
    someone the score does not apply to). One customer (SCALAR): raise `error()` when `bad`
    holds. A population (VECTOR): nothing here; the formula masks those rows with `masked` and
    the registry reports them refused, never an exception for one row. This is the only `if`
    on an input, and it runs on the scalar path alone; `error` is only called to raise, so its
    message may format the inputs."""
    if xp is SCALAR and bad:
        raise error()


def masked(bad: Any, value: Any, category: Any, xp: Any) -> tuple[Any, Any]:
    """The value and category with the rows where `bad` holds refused: NaN and ''."""
    return xp.where(bad, math.nan, value), xp.where(bad, "", category)


# --- numbers from conditions and tables -----------------------------------------------------------


def flag(condition: Any, xp: Any) -> Any:
    """1.0 where `condition` holds, else 0.0: a yes/no as a term of a sum or a count."""
    return xp.where(condition, 1.0, 0.0)


def band(value: Any, bounds: Sequence[Any], codes: Sequence[Any], xp: Any) -> Any:
    """The code of the half-open band `value` falls in, for a table printed as "< b1, b1–< b2,
    …, ≥ bn": codes[0] below bounds[0], codes[i] in [bounds[i-1], bounds[i]), the last code at
    or above the last bound. `codes` has one entry more than `bounds` (points, risk bands or
    class codes); a bound may be an array (a cut-off that depends on sex)."""
    return xp.select([value < bound for bound in bounds], list(codes[:-1]), codes[-1])


# --- explanations ---------------------------------------------------------------------------------


def label_of(categories: Sequence[Category], code: Any) -> Category:
    """The category a result's code names, for its labels in the explanation."""
    return {c.code: c for c in categories}[str(code)]


def sex_words(sex: str) -> tuple[str, str]:
    """How an explanation names the customer's sex group, in Chinese and English."""
    return ("男性", "men") if sex == "M" else ("女性", "women")


def listed(
    phrases: Iterable[tuple[str, str]], zh_separator: str = "、", en_separator: str = ", "
) -> tuple[str, str]:
    """(Chinese, English) phrases joined into one list in each language."""
    pairs = list(phrases)
    return (
        zh_separator.join(zh for zh, _ in pairs),
        en_separator.join(en for _, en in pairs),
    )
