"""Manual entry of vitals (生命体征) with range checks that reject impossible values (issue 3)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from jianguan.audit.ledger import record
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


def parse_vitals(raw: dict[str, str]) -> dict[str, Decimal]:
    """Numbers within their bounds; InvalidValue names the field and the allowed range."""
    values: dict[str, Decimal] = {}
    for key, vital in VITALS.items():
        text = (raw.get(key) or "").strip()
        if not text:
            continue
        try:
            value = Decimal(text)
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
                    "unit": vital.unit,
                },
                field=key,
                code="out_of_range",
            )
        values[key] = value.quantize(Decimal(1).scaleb(-vital.decimals))
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
    with transaction.atomic():
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
            history.save_new(actor, obs, audit=False)
            saved.append(obs)
        # D-07: one entry for the customer, naming the rows written.
        record(
            "record.create",
            actor=actor,
            resource_type="Observation",
            resource_id=str(saved[0].pk),
            customer_id=customer.pk,
            institution_id=customer.institution_id,
            purpose="vitals:" + ",".join(sorted(values)),
        )
    return saved
