"""Editing a customer's basic information (基本信息) and assigning their health manager.

Every change goes through `history` (D-09): one RecordChange per changed field with the old and
new value, and one audit entry for the customer naming the fields (D-07). The rules are the
enrolment rules (the same `check`), so a record cannot be edited into a state enrolment refuses.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jianguan.audit.ledger import one_entry_per_customer, record
from jianguan.core.actors import Actor

from .. import identifiers as ids
from .. import selectors
from ..errors import InvalidValue, WarningsToConfirm
from ..models import Customer, CustomerIdentifier
from . import enrolment, history

ENROL = "records.customer.enrol"
ASSIGN = "records.customer.assign"


@dataclass
class BasicInfo:
    name: str
    sex: str
    birth_date: dt.date | None
    id_type: str = ids.RESIDENT_ID
    id_number: str | None = None  # None: unchanged
    mobile: str | None = None  # None: unchanged
    address: str = ""
    # {"name", "relation", "phone"}; a missing "phone" keeps the stored one
    emergency_contact: dict[str, str] = field(default_factory=dict)
    occupation: str = ""
    marital_status: str = ""
    ethnicity: str = ""
    insurance_type: str = ""
    source_channel: str = ""


def primary_identifier(actor: Actor, customer: Customer) -> CustomerIdentifier | None:
    row: CustomerIdentifier | None = (
        CustomerIdentifier.objects.for_actor(actor, selectors.IDENTITY)
        .filter(customer_id=customer.pk, is_primary=True)
        .first()
    )
    return row


def update_basic_info(
    actor: Actor, customer: Customer, info: BasicInfo, *, confirmed_warnings: bool = False
) -> list[str]:
    """Apply the edited fields; returns the names of the fields that changed.

    Raises InvalidValue naming the field (an ID number with a wrong check digit, a malformed
    mobile) and WarningsToConfirm for what a person must confirm: an ID number that disagrees
    with the birth date or sex, or that another customer already holds (a merge may be due).
    An ID number or mobile of None keeps the stored one; the warnings about the ID number are
    raised again only when the number, the birth date or the sex changes.
    """
    if not actor.can(ENROL) or actor.institution_id != customer.institution_id:
        raise InvalidValue(_("无权修改客户信息"), code="not_allowed")
    current = primary_identifier(actor, customer)
    current_value = str(current.value) if current is not None and current.value else ""
    id_type, id_number = info.id_type, info.id_number
    if id_number is None:
        if current is not None and id_type != current.type:
            raise InvalidValue(
                _("更改证件类型时，请重新输入证件号码"), field="id_number", code="id_required"
            )
        id_number = current_value
    mobile = info.mobile
    if mobile is None:
        mobile = customer.mobile if isinstance(customer.mobile, str) else ""
    checked = enrolment.check(
        enrolment.EnrolmentData(
            name=info.name,
            sex=info.sex,
            birth_date=info.birth_date,
            id_type=id_type,
            id_number=id_number,
            mobile=mobile,
            consent=True,  # consent is given once, at enrolment
        )
    )
    ident = checked.identifier
    id_changed = ident is not None and (
        current is None or (ident.type, ident.value) != (current.type, current_value)
    )
    warnings: list[tuple[str, str | Promise]] = []
    if id_changed or checked.data.birth_date != customer.birth_date or info.sex != customer.sex:
        warnings = list(checked.warnings)
    if (
        ident is not None
        and id_changed
        and any(
            c.pk != customer.pk
            for c in selectors.by_identifier(actor, ident.type, ident.value, ENROL)
        )
    ):
        warnings.append(("id_in_use", _("另一位客户已登记此证件号码：如为同一人，请合并客户")))
    current_mobile = customer.mobile if isinstance(customer.mobile, str) else ""
    if (
        checked.mobile
        and checked.mobile != current_mobile
        and any(c.pk != customer.pk for c in selectors.by_mobile(actor, checked.mobile, ENROL))
    ):
        warnings.append(("mobile_in_use", _("另一位客户已登记此手机号码：如为同一人，请合并客户")))
    if warnings and not confirmed_warnings:
        raise WarningsToConfirm(warnings)
    d = checked.data
    contact = dict(info.emergency_contact)
    stored = customer.emergency_contact if isinstance(customer.emergency_contact, dict) else {}
    if "phone" not in contact and stored.get("phone"):
        contact["phone"] = stored["phone"]  # not given: unchanged
    changes: dict[str, Any] = {
        "name": d.name,
        "sex": d.sex,
        "birth_date": d.birth_date,
        "mobile": checked.mobile or None,
        "address": info.address or None,
        "emergency_contact": {k: v for k, v in contact.items() if v} or None,
        "occupation": info.occupation or None,
        "marital_status": info.marital_status or None,
        "ethnicity": info.ethnicity or None,
        "insurance_type": info.insurance_type or None,
        "source_channel": info.source_channel,
    }
    with transaction.atomic():
        changed = history.update(actor, customer, changes, audit=False)
        if ident is None and current is not None:
            history.delete(actor, current, audit=False)
            changed.append("id_number")
        elif ident is not None and current is None:
            history.save_new(
                actor,
                CustomerIdentifier(
                    institution_id=customer.institution_id,
                    customer_id=customer.pk,
                    type=ident.type,
                    value=ident.value,
                    is_primary=True,
                ),
                action="record.update",
            )
            changed.append("id_number")
        elif ident is not None and current is not None:
            if history.update(
                actor, current, {"type": ident.type, "value": ident.value}, audit=False
            ):
                changed.append("id_number")
        if changed:
            # D-07: one entry for the customer per request, naming the fields, never the values.
            record(
                "record.update",
                actor=actor,
                resource_type="Customer",
                resource_id=str(customer.pk),
                customer_id=customer.pk,
                institution_id=customer.institution_id,
                purpose="fields:" + ",".join(sorted(set(changed)))[:180],
            )
    return sorted(set(changed))


def assign_manager(actor: Actor, customer: Customer, manager_id: uuid.UUID | None) -> bool:
    """Assign (or, with None, unassign) the customer's health manager; True if it changed."""
    if not actor.can(ASSIGN) or actor.institution_id != customer.institution_id:
        raise InvalidValue(_("无权分配健康管理师"), field="manager", code="not_allowed")
    if manager_id is not None and manager_id not in dict(selectors.health_managers(actor)):
        raise InvalidValue(
            _("请选择本机构在职的健康管理师"), field="manager", code="manager_unknown"
        )
    return bool(history.update(actor, customer, {"manager_id": manager_id}))


def save_edits(
    actor: Actor,
    customer: Customer,
    info: BasicInfo | None,
    *,
    assign: bool = False,
    manager_id: uuid.UUID | None = None,
    confirmed_warnings: bool = False,
) -> bool:
    """The edit form: basic information (if given) and the manager (if `assign`) in one
    transaction and one audit entry for the customer (D-07); True if anything changed."""
    changed = False
    with one_entry_per_customer("record.update"):
        if info is not None:
            changed = bool(
                update_basic_info(actor, customer, info, confirmed_warnings=confirmed_warnings)
            )
        if assign:
            changed = assign_manager(actor, customer, manager_id) or changed
    return changed
