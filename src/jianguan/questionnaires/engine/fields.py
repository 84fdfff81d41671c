"""Reading a Questionnaire's JSON fields and extensions, and checking FHIR date / dateTime /
time text."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from typing import Any, NoReturn

from .constants import (
    DATE_RE,
    DATETIME_RE,
    JG_EXT,
    MAX_ANSWER_CHARS,
    ORDINAL_URLS,
    TIME_RE,
    TRANSLATION,
)
from .model import Coding, DefinitionError


def _fail(path: str, zh: str, en: str) -> NoReturn:
    raise DefinitionError(path, zh, en)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _str(node: Mapping[str, Any], key: str, path: str, *, required: bool = False) -> str | None:
    value = node.get(key)
    if value is None:
        if required:
            _fail(_join(path, key), f"缺少 {key}", f"`{key}` is missing")
        return None
    if not isinstance(value, str):
        _fail(_join(path, key), f"{key} 应为字符串", f"`{key}` must be a string")
    if len(value) > MAX_ANSWER_CHARS:
        _fail(_join(path, key), f"{key} 过长", f"`{key}` is too long")
    return value


def _bool(node: Mapping[str, Any], key: str, path: str) -> bool:
    value = node.get(key, False)
    if not isinstance(value, bool):
        _fail(_join(path, key), f"{key} 应为 true 或 false", f"`{key}` must be true or false")
    return value


def _list(node: Mapping[str, Any], key: str, path: str) -> list[Any]:
    value = node.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        _fail(_join(path, key), f"{key} 应为数组", f"`{key}` must be an array")
    return value


def _extensions(node: Mapping[str, Any], path: str) -> list[tuple[str, str, Any, str]]:
    """(url, value key, value, path) of each extension."""
    found: list[tuple[str, str, Any, str]] = []
    for i, ext in enumerate(_list(node, "extension", path)):
        where = _join(path, f"extension[{i}]")
        if not isinstance(ext, Mapping) or not isinstance(ext.get("url"), str):
            _fail(where, "扩展需要 url", "an extension needs a `url`")
        value_keys = [k for k in ext if k.startswith("value")]
        key = value_keys[0] if value_keys else ""
        found.append((ext["url"], key, ext.get(key) if key else None, where))
    return found


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _ordinal(node: Mapping[str, Any], path: str) -> float | None:
    for url, key, value, where in _extensions(node, path):
        if url in ORDINAL_URLS:
            if not _is_number(value):
                _fail(_join(where, key or "value"), "分值应为数字", "an ordinal value is a number")
            return float(value)
    return None


def _translation(node: Mapping[str, Any], key: str, path: str, jg_name: str) -> str:
    """The English text: Jianguan's `*-en` extension on the node, or the FHIR translation
    extension on the primitive (`_text`, `_display`, `_title`); a malformed translation is
    ignored."""
    for url, _key, value, _where in _extensions(node, path):
        if url == JG_EXT + jg_name and isinstance(value, str):
            return value
    shadow = node.get(f"_{key}")
    extensions = shadow.get("extension") if isinstance(shadow, Mapping) else None
    for ext in extensions if isinstance(extensions, list) else []:
        if not isinstance(ext, Mapping) or ext.get("url") != TRANSLATION:
            continue
        parts = {
            sub.get("url"): sub for sub in ext.get("extension") or [] if isinstance(sub, Mapping)
        }
        lang = parts.get("lang", {}).get("valueCode")
        content = parts.get("content", {}).get("valueString")
        if isinstance(lang, str) and lang.lower().startswith("en") and isinstance(content, str):
            return content
    return ""


def _coding(value: Any, path: str, *, display_only: bool = False) -> Coding:
    """A Coding; with `display_only` (a unit) a display without a code will do."""
    if not isinstance(value, Mapping):
        _fail(path, "应为 Coding", "must be a Coding")
    code = value.get("code")
    if display_only and code is None and isinstance(value.get("display"), str):
        code = ""
    elif not isinstance(code, str) or not code:
        _fail(_join(path, "code"), "Coding 需要 code", "a Coding needs a `code`")
    system, display = value.get("system", ""), value.get("display", "")
    if not isinstance(system, str) or not isinstance(display, str):
        _fail(path, "Coding 的 system / display 应为字符串", "a Coding's system / display is text")
    return Coding(system, code, display)


def _check_date(text: str) -> bool:
    if not DATE_RE.fullmatch(text):
        return False
    parts = [int(p) for p in text.split("-")]
    try:
        dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError:
        return False
    return True


def _check_datetime(text: str) -> bool:
    if _check_date(text):
        return True
    if not DATETIME_RE.fullmatch(text):
        return False
    return _parse_datetime(text) is not None


def _parse_datetime(text: str) -> dt.datetime | None:
    head, dot, tail = text.partition(".")
    if dot:  # fromisoformat takes at most 6 fraction digits
        digits = re.match(r"\d*", tail)
        frac = digits.group(0) if digits else ""
        text = f"{head}.{frac[:6].ljust(6, '0')}{tail[len(frac) :]}"
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _check_time(text: str) -> bool:
    if not TIME_RE.fullmatch(text):
        return False
    try:
        dt.time.fromisoformat(text[:8] if len(text) > 8 else text)
    except ValueError:
        return False
    return True
