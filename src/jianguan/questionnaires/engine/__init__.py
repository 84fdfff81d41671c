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

The package, by concern: `model` (the dataclasses and errors), `constants` (extension URLs and
limits), `fields` and `definition` (parsing), `expressions` (FHIRPath), `values` and `compare`
(answer types, the response JSON, comparisons), `evaluation` (enabled items and calculated
values), `answers` (`enabled`, `validate`), `scoring` and `response`.
"""

from __future__ import annotations

from .answers import enabled, validate
from .constants import MAX_DEPTH, MAX_ITEMS, MAX_RESPONSE_NODES
from .definition import parse_definition
from .model import (
    Answers,
    Coding,
    Definition,
    DefinitionError,
    EnableWhen,
    Item,
    ItemError,
    Option,
    Quantity,
    ResponseError,
    Scores,
    Variable,
)
from .response import answers_from_response, to_response
from .scoring import score, with_calculated

__all__ = [
    "MAX_DEPTH",
    "MAX_ITEMS",
    "MAX_RESPONSE_NODES",
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
