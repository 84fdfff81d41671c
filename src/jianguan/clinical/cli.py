"""`jianguan calc MODEL --input JSON`: one calculation, JSON out (the management command
`calc` in the risk app is a thin wrapper, so that this stays free of Django)."""

from __future__ import annotations

import json
from typing import Any

from . import calculate
from .registry import InvalidInput, UnknownModel, models

EXIT_BAD_INPUT = 2


def run(model_id: str, raw_input: str) -> tuple[int, str]:
    """(exit status, JSON text): 0 and the result, or 2 and an error naming what is wrong."""
    try:
        inputs: Any = json.loads(raw_input)
    except json.JSONDecodeError as exc:
        return EXIT_BAD_INPUT, _error(
            "input",
            "json",
            f"--input 不是有效的 JSON：{exc.msg}（第 {exc.pos + 1} 个字符）",
            f"--input is not valid JSON: {exc.msg} at character {exc.pos + 1}",
        )
    if not isinstance(inputs, dict):
        return EXIT_BAD_INPUT, _error(
            "input", "json_object", "--input 应为 JSON 对象", "--input must be a JSON object"
        )
    try:
        result = calculate(model_id, inputs)
    except UnknownModel:
        known = ", ".join(m.id for m in models())
        return EXIT_BAD_INPUT, _error(
            "model",
            "unknown_model",
            f"没有模型 {model_id}；可用：{known}",
            f"no model {model_id}; known: {known}",
        )
    except InvalidInput as exc:
        return EXIT_BAD_INPUT, json.dumps({"error": exc.to_dict()}, ensure_ascii=False, indent=2)
    return 0, json.dumps(result.to_dict(), ensure_ascii=False, indent=2)


def _error(field: str, code: str, zh: str, en: str) -> str:
    error = {"field": field, "code": code, "message_zh": zh, "message_en": en}
    return json.dumps({"error": error}, ensure_ascii=False, indent=2)
