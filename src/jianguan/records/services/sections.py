"""The health record's sections (既往史, 家族史, 过敏史, 用药, 生活方式) and visit conclusions.

The rules live here, the forms only parse: every value is checked (ICD-10 shape, dates not in the
future nor before birth, required names, codes from the lists below) and every change goes through
`services.history`, so each one is versioned with old and new values (D-09) and audited with the
fields named, never the values (D-05). Codes, not labels, are stored, so the FHIR mapping later is
a mapping (Condition.clinicalStatus, AllergyIntolerance.reaction.severity, …).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jianguan.core.actors import Actor

from ..errors import InvalidValue, NotFound
from ..models import Allergy, Customer, FamilyHistory, HistoryItem, Lifestyle, Medication, Visit
from . import history

CLINICAL_EDIT = "records.clinical.edit"

# ICD-10 category (letter + two digits), optionally a dot and 1–4 characters of subdivision:
# I10, E11.9, K74.60, and the national clinical edition's I10.X00.
ICD10_RE = re.compile(r"[A-Z]\d{2}(?:\.[0-9A-Z]{1,4})?")

TEXT_MAX = 200
NOTE_MAX = 1000

# code → Chinese label (translated in the UI); the code is what is stored.
CLINICAL_STATUSES: dict[str, Promise] = {
    "active": _("患病中"),
    "remission": _("缓解"),
    "resolved": _("已痊愈"),
}
RELATIONS: dict[str, Promise] = {
    "father": _("父亲"),
    "mother": _("母亲"),
    "sibling": _("兄弟姐妹"),
    "child": _("子女"),
    "other": _("其他亲属"),
}
SEVERITIES: dict[str, Promise] = {"mild": _("轻度"), "moderate": _("中度"), "severe": _("重度")}
ADHERENCE: dict[str, Promise] = {
    "regular": _("规律服药"),
    "intermittent": _("间断服药"),
    "none": _("不服药"),
}
DISABILITIES: dict[str, Promise] = {
    "visual": _("视力残疾"),
    "hearing": _("听力残疾"),
    "speech": _("言语残疾"),
    "physical": _("肢体残疾"),
    "intellectual": _("智力残疾"),
    "mental": _("精神残疾"),
    "other": _("其他残疾"),
}
SMOKING: dict[str, Promise] = {"never": _("从不吸烟"), "former": _("已戒烟"), "current": _("吸烟")}
ALCOHOL: dict[str, Promise] = {
    "never": _("从不饮酒"),
    "occasional": _("偶尔饮酒"),
    "regular": _("经常饮酒"),
}
ALCOHOL_TYPES: dict[str, Promise] = {
    "liquor": _("白酒"),
    "beer": _("啤酒"),
    "wine": _("葡萄酒"),
    "rice_wine": _("黄酒"),
    "other": _("其他"),
}
DIET: dict[str, Promise] = {
    "balanced": _("荤素均衡"),
    "meat": _("荤食为主"),
    "vegetarian": _("素食为主"),
    "salt": _("嗜盐"),
    "oil": _("嗜油"),
    "sugar": _("嗜糖"),
}
DIET_EXCLUSIVE = {"balanced", "meat", "vegetarian"}  # one overall pattern at most
SLEEP_QUALITY: dict[str, Promise] = {"good": _("好"), "fair": _("一般"), "poor": _("差")}

LIFESTYLE_SCHEMA = 1  # the shape of Lifestyle.data; raise it when the shape changes


@dataclass(frozen=True)
class Section:
    code: str
    label: Promise
    model: type[models.Model]
    kind: str = ""  # HistoryItem.kind for the past-history sections


SECTIONS: dict[str, Section] = {
    s.code: s
    for s in (
        Section("condition", _("既往疾病"), HistoryItem, "condition"),
        Section("surgery", _("手术史"), HistoryItem, "surgery"),
        Section("trauma", _("外伤史"), HistoryItem, "trauma"),
        Section("transfusion", _("输血史"), HistoryItem, "transfusion"),
        Section("disability", _("残疾情况"), HistoryItem, "disability"),
        Section("family", _("家族史"), FamilyHistory),
        Section("allergy", _("过敏史"), Allergy),
        Section("medication", _("用药情况"), Medication),
        Section("lifestyle", _("生活方式"), Lifestyle),
    )
}


def section(code: str) -> Section:
    found = SECTIONS.get(code)
    if found is None:
        raise NotFound()
    return found


# --- checking values --------------------------------------------------------------------------


def _text(
    data: Mapping[str, Any], name: str, *, required: Promise | None = None, limit: int = TEXT_MAX
) -> str | None:
    raw = str(data.get(name) or "")
    # Short fields are one line; notes keep their line breaks.
    value = " ".join(raw.split()) if limit <= TEXT_MAX else raw.strip()
    if not value:
        if required is not None:
            raise InvalidValue(required, field=name, code=f"{name}_required")
        return None
    if len(value) > limit:
        raise InvalidValue(
            _("不能超过 %(limit)s 个字符") % {"limit": limit}, field=name, code="too_long"
        )
    return value


def _choice(
    data: Mapping[str, Any], name: str, choices: Mapping[str, Promise], *, required: bool = False
) -> str | None:
    value = str(data.get(name) or "").strip()
    if not value:
        if required:
            raise InvalidValue(_("请选择一项"), field=name, code=f"{name}_required")
        return None
    if value not in choices:
        raise InvalidValue(_("请从列表中选择"), field=name, code="invalid_choice")
    return value


def icd10(raw: Any, *, field: str = "code") -> str | None:
    """The code in upper case without spaces, or InvalidValue if it is not ICD-10 shaped."""
    value = "".join(unicodedata.normalize("NFKC", str(raw or "")).split()).upper()
    if not value:
        return None
    if not ICD10_RE.fullmatch(value):
        raise InvalidValue(
            _("ICD-10 编码应为一个字母加两位数字，可带小数点和 1–4 位细分，如 I10、E11.9、K74.60"),
            field=field,
            code="icd10_format",
        )
    return value


def _date(data: Mapping[str, Any], name: str, customer: Customer) -> dt.date | None:
    value = data.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError as exc:
            raise InvalidValue(_("请输入有效日期"), field=name, code="date_invalid") from exc
    if not isinstance(value, dt.date):
        raise InvalidValue(_("请输入有效日期"), field=name, code="date_invalid")
    if value > timezone.localdate():
        raise InvalidValue(_("日期不能晚于今天"), field=name, code="date_future")
    birth = customer.birth_date
    if isinstance(birth, dt.date) and value < birth:
        raise InvalidValue(_("日期不能早于出生日期"), field=name, code="date_before_birth")
    return value


def _number(
    data: Mapping[str, Any], name: str, low: int, high: int, *, integer: bool = True
) -> int | float | None:
    raw = data.get(name)
    if raw in (None, ""):
        return None
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation as exc:
        raise InvalidValue(_("请输入数字"), field=name, code="not_a_number") from exc
    if not value.is_finite() or (integer and value != value.to_integral_value()):
        raise InvalidValue(_("请输入整数"), field=name, code="not_an_integer")
    if not low <= value <= high:
        raise InvalidValue(
            _("应在 %(low)s–%(high)s 之间") % {"low": low, "high": high},
            field=name,
            code="out_of_range",
        )
    return int(value) if integer else float(value)


def _lifestyle(data: Mapping[str, Any], customer: Customer) -> dict[str, Any]:
    """One JSON document (schema LIFESTYLE_SCHEMA); values that contradict the status are refused
    rather than silently dropped, so what is stored is what the person meant."""
    smoking = _choice(data, "smoking_status", SMOKING)
    per_day = _number(data, "smoking_per_day", 0, 200)
    years = _number(data, "smoking_years", 0, 100)
    if smoking in (None, "never") and (per_day or years):
        raise InvalidValue(
            _("选择“从不吸烟”时不填吸烟量和年数"), field="smoking_per_day", code="smoking_never"
        )
    birth = customer.birth_date
    if years and isinstance(birth, dt.date):
        age = (timezone.localdate() - birth).days // 365
        if years > age:
            raise InvalidValue(
                _("吸烟年数不能超过年龄"), field="smoking_years", code="smoking_years_age"
            )
    alcohol = _choice(data, "alcohol_status", ALCOHOL)
    alcohol_type = _choice(data, "alcohol_type", ALCOHOL_TYPES)
    amount = _number(data, "alcohol_per_week", 0, 500, integer=False)
    if alcohol in (None, "never") and (alcohol_type or amount):
        raise InvalidValue(
            _("选择“从不饮酒”时不填酒类和饮酒量"), field="alcohol_type", code="alcohol_never"
        )
    diet_raw = data.get("diet") or []
    diet = [str(d) for d in (diet_raw if isinstance(diet_raw, list | tuple) else [diet_raw])]
    if any(d not in DIET for d in diet):
        raise InvalidValue(_("请从列表中选择"), field="diet", code="invalid_choice")
    if len(DIET_EXCLUSIVE.intersection(diet)) > 1:
        raise InvalidValue(
            _("荤素均衡、荤食为主、素食为主只能选一项"), field="diet", code="diet_exclusive"
        )
    return {
        "schema": LIFESTYLE_SCHEMA,
        "smoking": {"status": smoking, "per_day": per_day, "years": years},
        "alcohol": {"status": alcohol, "type": alcohol_type, "per_week": amount},
        "activity": {
            "per_week": _number(data, "activity_per_week", 0, 21),
            "minutes": _number(data, "activity_minutes", 0, 600),
            "type": _text(data, "activity_type"),
        },
        "diet": sorted(set(diet), key=list(DIET).index),
        "sleep": {
            "hours": _number(data, "sleep_hours", 0, 24, integer=False),
            "quality": _choice(data, "sleep_quality", SLEEP_QUALITY),
        },
        "occupational_exposure": _text(data, "occupational_exposure", limit=NOTE_MAX),
    }


def clean(sec: Section, customer: Customer, data: Mapping[str, Any]) -> dict[str, Any]:
    """The model field values for `data`; InvalidValue names the first bad field."""
    if sec.code == "condition":
        return {
            "name": _text(data, "name", required=_("请输入疾病名称")),
            "code": icd10(data.get("code")),
            "onset": _date(data, "onset", customer),
            "clinical_status": _choice(data, "clinical_status", CLINICAL_STATUSES, required=True),
            "note": _text(data, "note", limit=NOTE_MAX),
        }
    if sec.code in ("surgery", "trauma", "transfusion"):
        required = {
            "surgery": _("请输入手术名称"),
            "trauma": _("请输入外伤情况"),
            "transfusion": _("请输入输血原因"),
        }[sec.code]
        return {
            "name": _text(data, "name", required=required),
            "onset": _date(data, "onset", customer),
            "note": _text(data, "note", limit=NOTE_MAX),
        }
    if sec.code == "disability":
        category = _choice(data, "code", DISABILITIES, required=True)
        return {
            "code": category,
            "name": _text(data, "name"),
            "onset": _date(data, "onset", customer),
            "note": _text(data, "note", limit=NOTE_MAX),
        }
    if sec.code == "family":
        return {
            "relation": _choice(data, "relation", RELATIONS, required=True),
            "name": _text(data, "name", required=_("请输入疾病名称")),
            "code": icd10(data.get("code")),
            "note": _text(data, "note", limit=NOTE_MAX),
        }
    if sec.code == "allergy":
        return {
            "substance": _text(data, "substance", required=_("请输入过敏物质")),
            "reaction": _text(data, "reaction"),
            "severity": _choice(data, "severity", SEVERITIES),
        }
    if sec.code == "medication":
        return {
            "name": _text(data, "name", required=_("请输入药品名称")),
            "dose": _text(data, "dose"),
            "frequency": _text(data, "frequency"),
            "adherence": _choice(data, "adherence", ADHERENCE),
            "active": bool(data.get("active")),
        }
    if sec.code == "lifestyle":
        return {"data": _lifestyle(data, customer)}
    raise NotFound()


# --- changing the record ----------------------------------------------------------------------


def _allowed(actor: Actor, customer: Customer) -> None:
    # Views check the capability already; a service called from elsewhere must not skip it (D-13).
    if not actor.can(CLINICAL_EDIT) or actor.institution_id != customer.institution_id:
        raise NotFound()


def _owned_by(item: models.Model, customer: Customer, sec: Section) -> None:
    if (
        not isinstance(item, sec.model)
        or item.customer_id != customer.pk  # type: ignore[attr-defined]
        or (sec.kind and getattr(item, "kind", "") != sec.kind)
    ):
        raise NotFound()


def add(actor: Actor, customer: Customer, code: str, data: Mapping[str, Any]) -> models.Model:
    """A new row of a section; for lifestyle (one row per customer) the current row changes."""
    sec = section(code)
    _allowed(actor, customer)
    values = clean(sec, customer, data)
    if sec.model is Lifestyle:
        current = (
            Lifestyle.objects.for_actor(actor, CLINICAL_EDIT).filter(customer=customer).first()
        )
        if current is not None:
            history.update(actor, current, values)
            return current
    extra = {"kind": sec.kind} if sec.kind else {}
    row = sec.model(
        id=uuid.uuid4(),
        institution_id=customer.institution_id,
        customer_id=customer.pk,
        **extra,
        **values,
    )
    try:
        with transaction.atomic():
            history.save_new(actor, row)
    except IntegrityError as exc:
        # Only Lifestyle has a unique constraint: someone saved it at the same moment.
        raise InvalidValue(_("该记录刚被他人保存，请刷新后再修改"), code="conflict") from exc
    return row


def change(
    actor: Actor, customer: Customer, code: str, item: models.Model, data: Mapping[str, Any]
) -> list[str]:
    """Apply the form's values to a row; returns the fields that changed (none: nothing saved)."""
    sec = section(code)
    _allowed(actor, customer)
    _owned_by(item, customer, sec)
    return history.update(actor, item, clean(sec, customer, data))


def remove(actor: Actor, customer: Customer, code: str, item: models.Model) -> None:
    sec = section(code)
    _allowed(actor, customer)
    _owned_by(item, customer, sec)
    history.delete(actor, item)


def conclude_visit(
    actor: Actor, customer: Customer, visit: Visit, data: Mapping[str, Any]
) -> list[str]:
    """The chief physician's conclusions (总检结论) and recommendations; the signer is the actor."""
    _allowed(actor, customer)
    if not actor.can("records.visit.conclude"):
        raise NotFound()  # only a doctor signs the conclusions (matrix.toml)
    if visit.customer_id != customer.pk:
        raise NotFound()
    conclusions = _text(data, "conclusions", required=_("请填写总检结论"), limit=4000)
    recommendations = _text(data, "recommendations", limit=4000)
    if (
        visit.status == "concluded"
        and visit.chief_physician_id == actor.id
        and visit.conclusions == conclusions
        and visit.recommendations == recommendations
    ):
        return []
    return history.update(
        actor,
        visit,
        {
            "conclusions": conclusions,
            "recommendations": recommendations,
            "status": "concluded",
            "chief_physician_id": actor.id,
            "concluded_at": timezone.now(),
        },
    )
