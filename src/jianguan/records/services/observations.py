"""Manual entry of vitals (生命体征) with range checks that reject impossible values (issue 3)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

from jianguan.audit.ledger import one_entry_per_customer
from jianguan.core.actors import Actor

from ..errors import InvalidValue
from ..models import Customer, Observation, Visit
from . import history


@dataclass(frozen=True)
class Vital:
    key: str
    label: str
    loinc: str
    unit: str  # UCUM
    low: float  # below this the value is impossible, not merely abnormal
    high: float
    decimals: int


# LOINC codes and UCUM units as in the FHIR vital-signs profile; limits are physiological bounds
# for adults and children seen at a health-check centre, chosen to catch typing errors only.
VITALS: dict[str, Vital] = {
    v.key: v
    for v in (
        Vital("height", "身高", "8302-2", "cm", 40, 250, 1),
        Vital("weight", "体重", "29463-7", "kg", 2, 350, 1),
        Vital("waist", "腰围", "8280-0", "cm", 30, 250, 1),
        Vital("systolic", "收缩压", "8480-6", "mm[Hg]", 50, 300, 0),
        Vital("diastolic", "舒张压", "8462-4", "mm[Hg]", 20, 200, 0),
        Vital("heart_rate", "心率", "8867-4", "/min", 20, 250, 0),
    )
}
BMI = Vital("bmi", "体质指数", "39156-5", "kg/m2", 5, 100, 1)

# How a UCUM unit is written for people, in either language (the stored code stays UCUM, as
# FHIR wants it).
UNIT_DISPLAY = {
    "mm[Hg]": "mmHg",
    "kg/m2": "kg/m²",
    "umol/L": "µmol/L",
    "10*9/L": "×10⁹/L",
    "10*12/L": "×10¹²/L",
}


def display_unit(ucum: str) -> str:
    return UNIT_DISPLAY.get(ucum, ucum)


def parse_vital(key: str, text: str) -> Decimal:
    """One value within its bounds, rounded to its precision; InvalidValue names the field."""
    vital = VITALS[key]
    try:
        value = Decimal(text.strip())
    except InvalidOperation as exc:
        raise InvalidValue(
            _("%(label)s必须是数字") % {"label": _(vital.label)}, field=key, code="not_a_number"
        ) from exc
    if not value.is_finite() or not (vital.low <= value <= vital.high):
        raise InvalidValue(
            _("%(label)s应在 %(low)s–%(high)s %(unit)s 之间")
            % {
                "label": _(vital.label),
                "low": vital.low,
                "high": vital.high,
                "unit": display_unit(vital.unit),
            },
            field=key,
            code="out_of_range",
        )
    return value.quantize(Decimal(1).scaleb(-vital.decimals))


def parse_vitals(raw: dict[str, str]) -> dict[str, Decimal]:
    """Numbers within their bounds; InvalidValue names the field and the allowed range."""
    values: dict[str, Decimal] = {}
    for key in VITALS:
        text = (raw.get(key) or "").strip()
        if text:
            values[key] = parse_vital(key, text)
    if "systolic" in values and "diastolic" in values and values["diastolic"] >= values["systolic"]:
        raise InvalidValue(_("舒张压应低于收缩压"), field="diastolic", code="bp_order")
    if ("systolic" in values) != ("diastolic" in values):
        missing = "diastolic" if "systolic" in values else "systolic"
        raise InvalidValue(_("血压需同时填写收缩压和舒张压"), field=missing, code="bp_pair")
    if not values:
        raise InvalidValue(_("请至少填写一项"), code="nothing_entered")
    return values


def bmi(height_cm: Decimal, weight_kg: Decimal) -> Decimal:
    metres = height_cm / 100
    return (weight_kg / (metres * metres)).quantize(Decimal("0.1"))


def record_vitals(
    actor: Actor,
    customer: Customer,
    raw: dict[str, str],
    *,
    effective: dt.datetime,
    visit: Visit | None = None,
) -> list[Observation]:
    if visit is not None and visit.customer_id != customer.pk:
        raise InvalidValue(_("该体检不属于此客户"), field="visit", code="visit_mismatch")
    born = customer.birth_date if isinstance(customer.birth_date, dt.date) else None
    if effective.date() < (born or dt.date(1900, 1, 1)):
        raise InvalidValue(
            _("测量时间不能早于出生日期") if born else _("测量时间不合理"),
            field="effective",
            code="effective_past",
        )
    values = parse_vitals(raw)
    if "height" in values and "weight" in values:
        computed = bmi(values["height"], values["weight"])
        if not (BMI.low <= computed <= BMI.high):
            raise InvalidValue(
                _("身高与体重算出的体质指数不合理，请核对"), field="weight", code="bmi_range"
            )
        values["bmi"] = computed
    from ..catalog import ITEMS, flag_for, reference  # the catalogue builds on VITALS above

    age = effective.year - customer.birth_year if customer.birth_year else None
    saved: list[Observation] = []
    # D-07: one entry for the customer naming the results written (as many ids as fit).
    with one_entry_per_customer("record.create"):
        for key, value in values.items():
            vital = BMI if key == "bmi" else VITALS[key]
            item = ITEMS.get(vital.key)
            low, high = reference(item, customer.sex, age) if item else (None, None)
            obs = Observation(
                institution_id=customer.institution_id,
                customer_id=customer.pk,
                visit=visit,
                loinc=vital.loinc,
                local_code=vital.key,
                unit=vital.unit,
                value_num=float(value),
                ref_low=low,
                ref_high=high,
                flag=flag_for(float(value), low, high, item.critical) if item else None,
                effective=effective,
                source="manual",
            )
            history.save_new(actor, obs)
            saved.append(obs)
    return saved


# --- correcting a result and withdrawing one entered in error -------------------------------------

CORRECTABLE_SOURCES = ("manual", "device")  # imported results are corrected at their source
REASON_MAX = 200


def _reason(text: str) -> str:
    reason = " ".join((text or "").split())
    if not reason:
        raise InvalidValue(_("请填写更正原因"), field="reason", code="reason_required")
    if len(reason) > REASON_MAX:
        raise InvalidValue(
            _("原因不能超过 %(n)d 个字符") % {"n": REASON_MAX}, field="reason", code="reason_length"
        )
    return reason


def _bmi_of(actor: Actor, obs: Observation) -> Observation | None:
    """The BMI computed from this height or weight: same customer, visit and time of entry."""
    if obs.local_code not in ("height", "weight"):
        return None
    found: Observation | None = (
        Observation.objects.for_actor(actor, "records.clinical.edit")
        .filter(
            customer_id=obs.customer_id,
            visit_id=obs.visit_id,
            effective=obs.effective,
            local_code=BMI.key,
            status__in=Observation.SHOWN,
        )
        .first()
    )
    return found


def _sibling_value(actor: Actor, obs: Observation, code: str) -> Decimal | None:
    row = (
        Observation.objects.for_actor(actor, "records.clinical.edit")
        .filter(
            customer_id=obs.customer_id,
            visit_id=obs.visit_id,
            effective=obs.effective,
            local_code=code,
            status__in=Observation.SHOWN,
        )
        .first()
    )
    if row is None or not isinstance(row.value_num, int | float):
        return None
    return Decimal(str(row.value_num))


def _parse_corrected(obs: Observation, raw: str) -> Decimal:
    from ..catalog import ITEMS, TEXT

    item = ITEMS.get(obs.local_code)
    if obs.local_code == BMI.key:
        raise InvalidValue(
            _("体质指数由身高和体重算出：请更正身高或体重"), field="value", code="bmi_computed"
        )
    if obs.local_code in VITALS:
        try:
            return parse_vital(obs.local_code, raw or "")
        except InvalidValue as exc:
            exc.field = "value"  # the correction form has one value field
            raise
    if (item is not None and item.kind == TEXT) or obs.value_num is None:
        raise InvalidValue(_("文字结果请在源系统更正"), field="value", code="not_numeric")
    text = (raw or "").strip()
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise InvalidValue(_("结果必须是数字"), field="value", code="not_a_number") from exc
    if not value.is_finite() or value < 0:
        raise InvalidValue(_("结果必须是不小于 0 的数字"), field="value", code="out_of_range")
    decimals = item.decimals if item is not None else 2
    return value.quantize(Decimal(1).scaleb(-decimals))


def _flag(obs: Observation, value: float) -> str | None:
    from ..catalog import ITEMS, flag_for

    item = ITEMS.get(obs.local_code)
    if item is None:
        return obs.flag if isinstance(obs.flag, str) else None
    return flag_for(value, obs.ref_low, obs.ref_high, item.critical)


def correct(actor: Actor, obs: Observation, raw_value: str, reason: str) -> list[str]:
    """Correct a manually entered value (status amended, the reason kept as the note); a BMI
    computed from the corrected height or weight follows. Returns the fields that changed."""
    if obs.status == "entered-in-error":
        raise InvalidValue(_("该结果已标记为录入错误"), field="value", code="withdrawn")
    if obs.source not in CORRECTABLE_SOURCES:
        raise InvalidValue(_("导入的结果请在源系统更正后重新导入"), field="value", code="imported")
    value = _parse_corrected(obs, raw_value)
    why = _reason(reason)
    if obs.value_num is not None and Decimal(str(obs.value_num)) == value:
        raise InvalidValue(_("新结果与原结果相同"), field="value", code="unchanged")
    if obs.local_code in ("systolic", "diastolic"):
        partner = _sibling_value(
            actor, obs, "diastolic" if obs.local_code == "systolic" else "systolic"
        )
        if partner is not None:
            systolic, diastolic = (
                (value, partner) if obs.local_code == "systolic" else (partner, value)
            )
            if diastolic >= systolic:
                raise InvalidValue(_("舒张压应低于收缩压"), field="value", code="bp_order")
    computed = None
    bmi_row = _bmi_of(actor, obs)
    if bmi_row is not None:
        other = "weight" if obs.local_code == "height" else "height"
        other_value = _sibling_value(actor, obs, other)
        if other_value is not None:
            height, weight = (value, other_value) if other == "weight" else (other_value, value)
            computed = bmi(height, weight)
            if not (BMI.low <= computed <= BMI.high):
                raise InvalidValue(
                    _("身高与体重算出的体质指数不合理，请核对"), field="value", code="bmi_range"
                )
    with one_entry_per_customer("record.update"):
        changed = history.update(
            actor,
            obs,
            {
                "value_num": float(value),
                "flag": _flag(obs, float(value)),
                "status": "amended",
                "note": why,
            },
        )
        if bmi_row is not None and computed is not None:
            history.update(
                actor,
                bmi_row,
                {
                    "value_num": float(computed),
                    "flag": _flag(bmi_row, float(computed)),
                    "status": "amended",
                    "note": why,
                },
            )
    return changed


def withdraw(actor: Actor, obs: Observation, reason: str) -> list[str]:
    """Mark a result entered in error (it leaves the results and trends; the record history
    keeps it). A BMI computed from a withdrawn height or weight is withdrawn with it."""
    if obs.status == "entered-in-error":
        raise InvalidValue(_("该结果已标记为录入错误"), field="reason", code="withdrawn")
    why = _reason(reason)
    bmi_row = _bmi_of(actor, obs)
    with one_entry_per_customer("record.update"):
        changed = history.update(actor, obs, {"status": "entered-in-error", "note": why})
        if bmi_row is not None:
            history.update(actor, bmi_row, {"status": "entered-in-error", "note": why})
    return changed
