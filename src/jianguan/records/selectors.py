"""Reading the record: every read goes through `for_actor` (D-14); lookups of encrypted values
go through their blind index and are confirmed by decrypting (BI-03)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db.models import QuerySet

from jianguan.core.actors import Actor
from jianguan.core.blind import normalise_text

from . import identifiers as ids
from .models import Customer, CustomerIdentifier, MemberCard

IDENTITY = "records.identity.view"


def customers_for(actor: Actor, capability: str = IDENTITY) -> QuerySet[Customer]:
    return Customer.objects.for_actor(actor, capability).filter(status="active")


def customer_for(
    actor: Actor, customer_id: uuid.UUID | str, capability: str = IDENTITY
) -> Customer | None:
    try:
        wanted = uuid.UUID(str(customer_id))
    except ValueError:
        return None
    return customers_for(actor, capability).filter(pk=wanted).first()


def _index(
    field_name: str, institution_id: uuid.UUID, *values: Any, model: Any = Customer
) -> int | None:
    return model._meta.get_field(field_name).compute(model, institution_id, *values)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dt.date) or isinstance(b, dt.date):
        return a == b
    return normalise_text(str(a or "")) == normalise_text(str(b or ""))


def by_mobile(actor: Actor, mobile: str, capability: str = IDENTITY) -> list[Customer]:
    assert actor.institution_id is not None
    idx = _index("mobile_index", actor.institution_id, mobile)
    rows = customers_for(actor, capability).filter(mobile_index=idx)
    return [c for c in rows if _same(c.mobile, mobile)]


def by_name(actor: Actor, name: str, capability: str = IDENTITY) -> list[Customer]:
    assert actor.institution_id is not None
    idx = _index("name_index", actor.institution_id, name)
    rows = customers_for(actor, capability).filter(name_index=idx)
    return [c for c in rows if _same(c.name, name)]


def by_name_and_birth(
    actor: Actor, name: str, birth_date: dt.date, capability: str = IDENTITY
) -> list[Customer]:
    assert actor.institution_id is not None
    idx = _index("name_birth_index", actor.institution_id, name, birth_date)
    rows = customers_for(actor, capability).filter(name_birth_index=idx)
    return [c for c in rows if _same(c.name, name) and c.birth_date == birth_date]


def by_identifier(
    actor: Actor, kind: str, value: str, capability: str = IDENTITY
) -> list[Customer]:
    assert actor.institution_id is not None
    value = ids.normalise(value)
    idx = _index("value_index", actor.institution_id, kind, value, model=CustomerIdentifier)
    rows = CustomerIdentifier.objects.for_actor(actor, capability).filter(value_index=idx)
    customer_ids = [r.customer_id for r in rows if r.type == kind and _same(r.value, value)]
    return list(customers_for(actor, capability).filter(pk__in=customer_ids))


def by_card(actor: Actor, number: str, capability: str = IDENTITY) -> list[Customer]:
    cards = MemberCard.objects.for_actor(actor, capability).filter(number=number.strip())
    return list(customers_for(actor, capability).filter(pk__in=[c.customer_id for c in cards]))


def find_duplicates(
    actor: Actor,
    *,
    name: str,
    birth_date: dt.date | None,
    mobile: str,
    identifier: ids.CheckedIdentifier | None,
) -> list[tuple[uuid.UUID, str]]:
    """Existing customers with the same ID number, mobile, or name + birth date (D-29)."""
    found: dict[uuid.UUID, str] = {}
    capability = "records.customer.enrol"
    if identifier is not None:
        for c in by_identifier(actor, identifier.type, identifier.value, capability):
            found.setdefault(c.pk, "id_number")
    if mobile:
        for c in by_mobile(actor, mobile, capability):
            found.setdefault(c.pk, "mobile")
    if birth_date is not None:
        for c in by_name_and_birth(actor, name, birth_date, capability):
            found.setdefault(c.pk, "name_birth")
    return list(found.items())
