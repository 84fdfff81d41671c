"""Clinical engine: pure Python, no Django (DESIGN.md, STYLE.md).

    calculate(model_id, inputs) -> Result            one customer (clinical/registry.py)
    calculate_many(model_id, columns) -> PopulationResult   a population, vectorised with numpy
    models() -> [Model]                              every model, for docs/clinical.md and the CLI

Calculators, classifications and questionnaire scores live in `clinical/models/`, one module
per field, each citing its source; `docs/clinical.md` is generated from their metadata
(`python -m jianguan.clinical.docs`).
"""

from . import models as _models  # noqa: F401  (registers every model)
from .registry import (
    InvalidInput,
    PopulationResult,
    Result,
    UnknownModel,
    calculate,
    calculate_many,
    get,
    models,
)

__all__ = [
    "InvalidInput",
    "PopulationResult",
    "Result",
    "UnknownModel",
    "calculate",
    "calculate_many",
    "get",
    "models",
]
