"""Form definitions: import a FHIR Questionnaire (a new version, never an edit of a published
one), export it, list them, and install the built-in instruments shipped in `data/`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import F, Max, Q, QuerySet

from jianguan.audit.ledger import record
from jianguan.core.actors import Actor

from .. import engine
from ..models import FormDefinition

DATA = Path(__file__).resolve().parent.parent / "data"
BUILTINS = ("phq9", "gad7")
CODE_RE = re.compile(r"[a-z][a-z0-9_-]{1,59}")
MAX_DEFINITION_BYTES = 2_000_000


class FormError(ValueError):
    """A definition that cannot be imported: what is wrong and where, in Chinese and English."""

    def __init__(self, path: str, message_zh: str, message_en: str) -> None:
        super().__init__(f"{path}: {message_en}")
        self.path, self.message_zh, self.message_en = path, message_zh, message_en


def visible(institution_id: Any) -> QuerySet[FormDefinition]:
    """The institution's own forms and the built-in ones."""
    return FormDefinition.objects.filter(
        Q(institution_id=institution_id) | Q(institution__isnull=True)
    )


def latest(institution_id: Any, code: str, *, published: bool = True) -> FormDefinition | None:
    qs = visible(institution_id).filter(code=code)
    if published:
        qs = qs.filter(status="published")
    # the institution's own version before the built-in one, then the newest
    found: FormDefinition | None = qs.order_by(
        F("institution_id").desc(nulls_last=True), "-version"
    ).first()
    return found


def _code(data: dict[str, Any]) -> str:
    code = str(data.get("name") or data.get("id") or "").strip().lower()
    if not CODE_RE.fullmatch(code):
        raise FormError(
            "name",
            "问卷需要 name（小写字母开头，2–60 个字母、数字、- 或 _），作为表单代码",
            "the Questionnaire needs a `name` (2–60 lower-case letters, digits, - or _): its code",
        )
    return code


def parse(raw: str | bytes) -> dict[str, Any]:
    if len(raw) > MAX_DEFINITION_BYTES:
        raise FormError("", "文件过大（上限 2 MB）", "the file is larger than 2 MB")
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = getattr(exc, "lineno", "?")
        raise FormError(
            f"line {where}", f"不是有效的 JSON（第 {where} 行）", f"not valid JSON (line {where})"
        ) from None
    if not isinstance(data, dict) or data.get("resourceType") != "Questionnaire":
        raise FormError("resourceType", "不是 FHIR Questionnaire", "not a FHIR Questionnaire")
    return data


def import_definition(
    actor: Actor, data: dict[str, Any], *, institution_id: Any = None, publish: bool = True
) -> FormDefinition:
    """A new version of the form named by the Questionnaire's `name`; the JSON is checked by the
    engine first, so nothing is stored for a definition it cannot use."""
    code = _code(data)
    try:
        definition = engine.parse_definition(data)
    except engine.DefinitionError as exc:
        raise FormError(exc.path, exc.message_zh, exc.message_en) from None
    with transaction.atomic():
        existing = FormDefinition.objects.select_for_update().filter(
            institution_id=institution_id, code=code
        )
        version = (existing.aggregate(v=Max("version"))["v"] or 0) + 1
        stored = {**data, "version": str(version)}
        form = FormDefinition.objects.create(
            institution_id=institution_id,
            code=code,
            version=version,
            status="published" if publish else "draft",
            title=(definition.title or code)[:200],
            questionnaire=stored,
        )
        record(
            "form.import",
            actor=actor,
            resource_type="Questionnaire",
            resource_id=str(form.pk),
            institution_id=institution_id,
            purpose=f"{code} v{version}",
        )
    return form


def export_definition(form: FormDefinition) -> dict[str, Any]:
    data = dict(form.questionnaire)
    data["version"] = str(form.version)
    data["status"] = {"published": "active", "retired": "retired"}.get(form.status, "draft")
    return data


def install_builtins(actor: Actor) -> list[FormDefinition]:
    """The shipped instruments as built-in forms; a version already installed is left alone."""
    installed: list[FormDefinition] = []
    for code in BUILTINS:
        data = parse((DATA / f"{code}.json").read_bytes())
        current = latest(None, code)
        if (
            current is not None
            and current.questionnaire.get("url") == data.get("url")
            and (
                {k: v for k, v in current.questionnaire.items() if k != "version"}
                == {k: v for k, v in data.items() if k != "version"}
            )
        ):
            continue
        installed.append(import_definition(actor, data))
    return installed
