"""The extension URLs, the limits and the fixed vocabularies the engine uses."""

from __future__ import annotations

import re

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
