"""Every change of the record is versioned (D-09): one RecordChange per changed field, with the
old and new value encrypted under the customer's key, written in the change's transaction with
one audit entry per customer naming the resource and the fields (never the values, D-05)."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import models, transaction

from jianguan.audit.ledger import record
from jianguan.core import context
from jianguan.core.actors import Actor
from jianguan.core.fields import Shredded

from ..models import Customer, RecordChange

SKIP = {"id", "institution", "customer", "created", "created_by", "updated"}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, Shredded):
        return None
    return value


def tracked_fields(obj: models.Model) -> list[str]:
    return [
        f.attname
        for f in obj._meta.concrete_fields
        if f.name not in SKIP and not f.name.endswith("_index")
    ]


def snapshot(obj: models.Model) -> dict[str, Any]:
    return {name: _jsonable(getattr(obj, name)) for name in tracked_fields(obj)}


def _customer_id(obj: models.Model) -> uuid.UUID:
    if isinstance(obj, Customer):
        return obj.pk
    return obj.customer_id  # type: ignore[attr-defined]


def save_new(
    actor: Actor, obj: models.Model, *, action: str = "record.create", audit: bool = True
) -> models.Model:
    """Insert a row of a customer's record, version it and audit it.

    `audit=False` is for a service that writes its own single entry for the customer (D-07).
    """
    with transaction.atomic():
        if hasattr(obj, "created_by_id") and actor.kind == "staff":
            obj.created_by_id = actor.id
        obj.save(force_insert=True)
        after = snapshot(obj)
        filled = {k: (None, v) for k, v in after.items() if v not in (None, "")}
        _write_changes(actor, obj, filled, "create")
        if audit:
            _audit(actor, action, [obj], filled.keys())
    return obj


def update(
    actor: Actor, obj: models.Model, changes: dict[str, Any], *, audit: bool = True
) -> list[str]:
    """Apply `changes` (field → new value) to a loaded row; returns the fields that changed.

    `audit=False` is for a service that writes its own single entry for the customer (D-07).
    """
    if isinstance(obj, Customer) and "birth_date" in changes:
        # birth_year is the plaintext copy that filters use (D-01): it follows the date.
        birth = changes["birth_date"]
        changes = {**changes, "birth_year": birth.year if isinstance(birth, dt.date) else None}
    before = snapshot(obj)
    for name, value in changes.items():
        setattr(obj, name, value)
    after = snapshot(obj)
    changed = {k: (before[k], after[k]) for k in after if before.get(k) != after[k]}
    if not changed:
        return []
    with transaction.atomic():
        if isinstance(obj, Customer):
            obj.updated = dt.datetime.now(tz=dt.UTC)
        obj.save()
        _write_changes(actor, obj, changed, "update")
        if audit:
            _audit(actor, "record.update", [obj], changed.keys())
    return sorted(changed)


def delete(actor: Actor, obj: models.Model, *, audit: bool = True) -> None:
    """Delete a row of the record, keeping its last values in the record history."""
    before = snapshot(obj)
    filled = {k: (v, None) for k, v in before.items() if v not in (None, "")}
    with transaction.atomic():
        _write_changes(actor, obj, filled, "delete")
        if audit:
            _audit(actor, "record.delete", [obj], filled.keys())
        obj.delete()


def write_changes(
    actor: Actor, obj: models.Model, changed: dict[str, tuple[Any, Any]], action: str
) -> None:
    """RecordChange rows (field → (old, new)) for a change a service makes itself (a merge)."""
    _write_changes(
        actor, obj, {k: (_jsonable(a), _jsonable(b)) for k, (a, b) in changed.items()}, action
    )


def _write_changes(
    actor: Actor, obj: models.Model, changed: dict[str, tuple[Any, Any]], action: str
) -> None:
    customer_id = _customer_id(obj)
    request_id = context.current().request_id
    # A write, not a read: the default manager refuses every query, bulk inserts included.
    RecordChange.objects.unscoped(reason="record history write").bulk_create(
        [
            RecordChange(
                institution_id=obj.institution_id,  # type: ignore[attr-defined]
                customer_id=customer_id,
                created_by_id=actor.id if actor.kind == "staff" else None,
                resource_type=type(obj).__name__,
                resource_id=obj.pk,
                field=name,
                action=action,
                old_value=old,
                new_value=new,
                request_id=request_id,
            )
            for name, (old, new) in sorted(changed.items())
        ]
    )


def _audit(actor: Actor, action: str, objs: Iterable[models.Model], fields: Iterable[str]) -> None:
    # D-07: one entry per customer per request, naming the resource types, ids and fields.
    for obj in objs:
        record(
            action,
            actor=actor,
            resource_type=type(obj).__name__,
            resource_id=str(obj.pk),
            customer_id=_customer_id(obj),
            institution_id=obj.institution_id,  # type: ignore[attr-defined]
            purpose=_fields_purpose(fields),
        )


def _fields_purpose(fields: Iterable[str]) -> str:
    """`fields:a,b,c` within the ledger's 200 characters; whole names only, then `+N` more."""
    names = sorted(fields)
    text = "fields:"
    for i, name in enumerate(names):
        part = ("," if i else "") + name
        if len(text) + len(part) > 194:
            return f"{text},+{len(names) - i}"
        text += part
    return text
