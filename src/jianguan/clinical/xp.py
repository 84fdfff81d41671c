"""One formula for one customer and for a population: the array namespace a model computes with.

A model's formula is written once against `xp`, a namespace with the few calls models need.
`SCALAR` runs it on Python numbers (the per-customer path and `jianguan calc`); `VECTOR` is
numpy itself (population runs over arrays). Rules for formulas: combine conditions with `&`, `|`
and `xp.logical_not` (never `and`/`or`/`not`, which arrays do not support, nor `~`, which
turns Python's True into −2); choose with `xp.where` or `xp.select`; no `if` on an input.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np


class _Scalar:
    """numpy's names, on Python floats and bools."""

    log = staticmethod(math.log)
    exp = staticmethod(math.exp)
    sqrt = staticmethod(math.sqrt)
    floor = staticmethod(math.floor)
    abs = staticmethod(abs)

    @staticmethod
    def where(condition: Any, a: Any, b: Any) -> Any:
        return a if condition else b

    @staticmethod
    def select(conditions: Sequence[Any], choices: Sequence[Any], default: Any = 0) -> Any:
        for condition, choice in zip(conditions, choices, strict=True):
            if condition:
                return choice
        return default

    @staticmethod
    def minimum(a: Any, b: Any) -> Any:
        return min(a, b)

    @staticmethod
    def maximum(a: Any, b: Any) -> Any:
        return max(a, b)

    @staticmethod
    def logical_not(a: Any) -> bool:
        return not a

    @staticmethod
    def power(a: Any, b: Any) -> Any:
        return a**b


SCALAR: Any = _Scalar()
VECTOR: Any = np
