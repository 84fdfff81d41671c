"""Merging a duplicate customer into the one kept (合并重复客户).

Every row of the dropped customer's record moves to the kept customer and is re-encrypted under
the kept customer's data key (D-03): the plaintext is read, the row is given to the new customer
and the plaintext set again, so that the field encrypts under the new scope on save (the
associated data binds the row id, which does not change). Erasing the dropped customer's key
afterwards therefore leaves everything that moved readable. The dropped customer stays as a
`merged` stub pointing at the kept one, so that old links and the ledger still resolve.
"""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jianguan.audit.ledger import record
from jianguan.core.actors import Actor
from jianguan.core.fields import EncryptedField, Shredded
from jianguan.core.locks import institution_lock

from .. import identifiers as ids
from ..errors import InvalidValue, NotFound
from ..models import PERSONAL_MODELS, CardEvent, Customer, CustomerIdentifier, Lifestyle, MemberCard
from . import history

MERGE = "records.customer.merge"


def moved_models() -> tuple[type[models.Model], ...]:
    """Every model of the record but the customer itself (other apps' too, see
    records.models.register_personal_model), RecordChange last, so that the history written
    while folding duplicates moves as well."""
    return tuple(m for m in PERSONAL_MODELS if m is not Customer)


# Basic information the kept record lacks and the dropped one has: carried over, so that a merge
# never loses a way to reach the customer. Name, sex and birth date stay the kept record's own.
CARRIED = (
    "mobile",
    "address",
    "emergency_contact",
    "occupation",
    "marital_status",
    "ethnicity",
    "insurance_type",
    "manager_id",
)


def merge_customers(actor: Actor, keep: Customer, drop: Customer) -> dict[str, int]:
    """Move every row of `drop`'s record to `keep`; return how many rows moved, per model.

    Two rows are not moved but deleted with their values kept in the record history: `drop`'s
    lifestyle when `keep` has one (the kept customer's is current), and an identifier `keep`
    already holds (same type and number). Raises NotFound outside the actor's institution or
    capability (D-13) and InvalidValue for a customer that is not active.
    """
    if not actor.can(MERGE) or actor.institution_id is None:
        raise NotFound()
    if keep.pk == drop.pk:
        raise InvalidValue(_("不能将客户与自身合并"), field="drop", code="merge_self")
    with transaction.atomic():
        # The enrolment duplicate check must not run against a half-merged pair (D-29).
        institution_lock(actor.institution_id, "enrolment")
        found = {
            c.pk: c
            for c in Customer.objects.for_actor(actor, MERGE)
            .select_for_update()
            .filter(pk__in=[keep.pk, drop.pk])
        }
        if len(found) != 2:
            raise NotFound()
        keep, drop = found[keep.pk], found[drop.pk]
        for side, customer in (("keep", keep), ("drop", drop)):
            if customer.status != "active":
                raise InvalidValue(_("只能合并在册的客户"), field=side, code="merge_status")
        _fold_duplicates(actor, keep, drop)
        carried = _carry_basic_info(actor, keep, drop)
        counts = {model.__name__: _move(model, keep, drop) for model in moved_models()}
        now = timezone.now()
        drop.status = "merged"
        drop.merged_into = keep
        drop.updated = now
        drop.save(update_fields=["status", "merged_into", "updated"])
        keep.updated = now
        keep.save(update_fields=["updated", *carried])
        history.write_changes(
            actor,
            drop,
            {"status": ("active", "merged"), "merged_into_id": (None, keep.pk)},
            "merge",
        )
        history.write_changes(
            actor, keep, {"merged_from": (None, {"customer": str(drop.pk), **counts})}, "merge"
        )
        moved = ",".join(f"{name}={n}" for name, n in counts.items() if n)
        for customer, other in ((keep, drop), (drop, keep)):
            # D-07: one entry per customer touched, ids and counts only (D-05).
            record(
                "customer.merge",
                actor=actor,
                resource_type="Customer",
                resource_id=str(other.pk),
                customer_id=customer.pk,
                institution_id=customer.institution_id,
                purpose=("moved:" + moved)[:200],
            )
    return counts


def _rows(model: type[models.Model], customer: Customer) -> list[Any]:
    # Every row moves, whatever the actor may read: a row left behind would be lost with the
    # dropped customer's key. The actor's capability and institution were checked above.
    return list(
        model.objects.unscoped(reason="customer merge")  # type: ignore[attr-defined]
        .filter(institution_id=customer.institution_id, customer_id=customer.pk)
        .order_by("created", "pk")
    )


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == {} or isinstance(value, Shredded)


def _carry_basic_info(actor: Actor, keep: Customer, drop: Customer) -> list[str]:
    """Fill `keep`'s empty basic fields from `drop` (CARRIED); versioned as part of the merge."""
    carried: dict[str, tuple[Any, Any]] = {}
    for name in CARRIED:
        mine, theirs = getattr(keep, name), getattr(drop, name)
        if _empty(mine) and not _empty(theirs):
            setattr(keep, name, theirs)  # plaintext again: sealed under keep's key on save
            carried[name] = (mine, theirs)
    if carried:
        history.write_changes(actor, keep, carried, "merge")
    # the blind index follows the mobile it is computed from
    return [*carried, *(["mobile_index"] if "mobile" in carried else [])]


def _fold_duplicates(actor: Actor, keep: Customer, drop: Customer) -> None:
    """Rows that would clash with `keep`'s own: deleted, their values kept in the history; a
    member card the dropped customer still uses is closed when the kept one has one in use."""
    if _rows_in_use(keep):
        for card in _rows_in_use(drop):
            before = card.status
            card.status = "replaced"
            card.save(update_fields=["status"])
            history.write_changes(actor, card, {"status": (before, "replaced")}, "merge")
            CardEvent(
                institution_id=card.institution_id,
                customer_id=card.customer_id,
                created_by_id=actor.id if actor.kind == "staff" else None,
                card=card,
                kind="merged",
            ).save(force_insert=True)
    if _rows(Lifestyle, keep):
        for row in _rows(Lifestyle, drop):
            history.delete(actor, row, audit=False)
    held = {(i.type, ids.normalise(str(i.value))) for i in _rows(CustomerIdentifier, keep)}
    for ident in _rows(CustomerIdentifier, drop):
        if (ident.type, ids.normalise(str(ident.value))) in held:
            history.delete(actor, ident, audit=False)
    if any(i.is_primary for i in _rows(CustomerIdentifier, keep)):
        for ident in _rows(CustomerIdentifier, drop):
            if ident.is_primary:
                ident.is_primary = False
                ident.save(update_fields=["is_primary"])
                history.write_changes(actor, ident, {"is_primary": (True, False)}, "merge")


def _rows_in_use(customer: Customer) -> list[MemberCard]:
    return [c for c in _rows(MemberCard, customer) if c.status in MemberCard.IN_USE]


def _move(model: type[models.Model], keep: Customer, drop: Customer) -> int:
    encrypted = [f.attname for f in model._meta.concrete_fields if isinstance(f, EncryptedField)]
    rows = _rows(model, drop)
    for row in rows:
        plain = {name: getattr(row, name) for name in encrypted}
        if any(isinstance(value, Shredded) for value in plain.values()):
            raise InvalidValue(
                _("被合并客户的部分数据已销毁，无法合并"), field="drop", code="merge_erased"
            )
        row.customer_id = keep.pk
        for name, value in plain.items():
            setattr(row, name, value)  # plaintext again: pre_save seals it under keep's key
        row.save(update_fields=["customer", *encrypted])
    return len(rows)
