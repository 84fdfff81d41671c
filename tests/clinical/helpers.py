"""What the clinical test files share: refusal assertions, the check that the vectorised path
agrees with the per-customer one, and seeded random populations to run it on."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pytest

from jianguan.clinical import InvalidInput, PopulationResult, calculate, calculate_many
from jianguan.clinical.xp import SCALAR, VECTOR

# --- refusals -------------------------------------------------------------------------------------


def refusal(model: str, inputs: Mapping[str, Any]) -> InvalidInput:
    """The error `calculate` refuses these inputs with; it says why in Chinese and English."""
    with pytest.raises(InvalidInput) as caught:
        calculate(model, inputs)
    assert caught.value.message_zh and caught.value.message_en
    return caught.value


def assert_refused(model: str, inputs: Mapping[str, Any], field: str, code: str) -> InvalidInput:
    """`calculate` refuses these inputs naming `field`, for the reason `code`."""
    error = refusal(model, inputs)
    assert (error.field, error.code) == (field, code)
    return error


# --- one formula, two paths -----------------------------------------------------------------------


def assert_both_paths(function: Callable[..., Any], *args: Any, expected: str) -> None:
    """A formula's helper, `function(*args, xp)`, gives `expected` for one customer (SCALAR) and
    for a one-row population (VECTOR)."""
    assert function(*args, SCALAR) == expected
    assert str(function(*(np.array([arg]) for arg in args), VECTOR)[0]) == expected


def row(columns: Mapping[str, Any], i: int) -> dict[str, Any]:
    """Row `i` of a population as one customer's inputs, in Python types."""
    return {k: v[i].item() if isinstance(v[i], np.generic) else v[i] for k, v in columns.items()}


def assert_paths_agree(model: str, columns: Mapping[str, Any]) -> PopulationResult:
    """`calculate_many` over the columns equals `calculate` on every row: the same value,
    category and out-of-range flag; a row `calculate` refuses is flagged refused and comes back
    as NaN with category '' (never an exception), and no other row is refused."""
    result = calculate_many(model, columns)
    for i in range(len(next(iter(columns.values())))):
        given = row(columns, i)
        try:
            one = calculate(model, given)
        except InvalidInput:
            assert result.refused[i], (i, given)
            assert math.isnan(result.value[i]) and result.category[i] == "", (i, given)
            continue
        assert not result.refused[i], (i, given)
        assert result.value[i] == pytest.approx(one.value, rel=1e-9), (i, given)
        assert result.category[i] == (one.category or ""), (i, given)
        assert bool(result.out_of_range[i]) is bool(one.warnings), (i, given)
    return result


def outcomes(result: PopulationResult) -> Counter[str]:
    """How many rows came out in each category; refused rows count as "refused"."""
    return Counter(str(c) for c in np.where(result.refused, "refused", result.category))


# --- random populations ---------------------------------------------------------------------------


class Population:
    """Random columns of `n` rows from one seeded generator, drawn in the order they are asked
    for, so that a test sees the same population on every run."""

    def __init__(self, seed: int, n: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.n = n

    def choice(self, options: Sequence[Any]) -> np.ndarray:
        return self.rng.choice(np.array(options), self.n)

    def sex(self) -> np.ndarray:
        return self.choice(["M", "F"])

    def flags(self, share: float) -> np.ndarray:
        """True in about `share` of the rows."""
        return self.rng.random(self.n) < share

    def integers(self, low: int, high: int) -> np.ndarray:
        """Whole numbers from `low` to `high`, both included."""
        return self.rng.integers(low, high + 1, self.n)

    def uniform(self, low: float, high: float, decimals: int | None = None) -> np.ndarray:
        values = self.rng.uniform(low, high, self.n)
        return values if decimals is None else np.round(values, decimals)

    def lognormal(self, median: float, sigma: float, decimals: int) -> np.ndarray:
        return np.round(self.rng.lognormal(np.log(median), sigma, self.n), decimals)


def with_edges(values: np.ndarray, edges: Sequence[Any]) -> np.ndarray:
    """`values` with its first rows set to `edges`: boundary cases on purpose."""
    values[: len(edges)] = edges
    return values
