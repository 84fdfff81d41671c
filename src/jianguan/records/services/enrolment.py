"""Enrolment (客户开卡): validate, check for duplicates under a per-institution lock, create the
customer with their identifiers and, if asked, a member card — all in one transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jianguan.accounts.selectors import active_user_ids_with_role
from jianguan.audit.ledger import one_entry_per_customer
from jianguan.core.actors import Actor
from jianguan.core.locks import institution_lock

from .. import identifiers as ids
from ..errors import DuplicateSuspected, InvalidValue, WarningsToConfirm
from ..models import Customer, CustomerIdentifier, MemberCard
from ..selectors import find_duplicates
from . import cards, history

ENROL = "records.customer.enrol"
HEALTH_MANAGER = "health_manager"
CONSENT_VERSION = "2026-01"  # the privacy notice shown on the enrolment form


@dataclass
class EnrolmentData:
    name: str
    sex: str
    birth_date: dt.date | None
    id_type: str = ids.RESIDENT_ID
    id_number: str = ""
    mobile: str = ""
    address: str = ""
    emergency_contact: dict[str, str] = field(default_factory=dict)
    occupation: str = ""
    marital_status: str = ""
    ethnicity: str = ""
    insurance_type: str = ""
    source_channel: str = ""
    consent: bool = False
    consent_version: str = CONSENT_VERSION
    manager_id: uuid.UUID | None = None
    card_level: str = ""  # empty: no card now


@dataclass
class Checked:
    data: EnrolmentData
    identifier: ids.CheckedIdentifier | None
    mobile: str
    warnings: list[tuple[str, str | Promise]]


def check(data: EnrolmentData) -> Checked:
    """Validate every field; raise InvalidValue naming the first bad field."""
    name = " ".join((data.name or "").split())
    if not name:
        raise InvalidValue(_("请输入姓名"), field="name", code="name_required")
    if len(name) > 60:
        raise InvalidValue(_("姓名不能超过 60 个字符"), field="name", code="name_length")
    data.name = name
    if data.sex not in {"M", "F", "U"}:
        raise InvalidValue(_("请选择性别"), field="sex", code="sex_required")
    if data.birth_date is not None:
        if data.birth_date > dt.date.today():
            raise InvalidValue(_("出生日期不能晚于今天"), field="birth_date", code="birth_future")
        if data.birth_date.year < 1890:
            raise InvalidValue(_("出生日期不合理"), field="birth_date", code="birth_past")
    if not data.consent:
        raise InvalidValue(
            _("须经客户同意个人信息处理规则后才能建档"), field="consent", code="consent_required"
        )
    checked_id = None
    if data.id_number.strip():
        try:
            checked_id = ids.check_identifier(data.id_type, data.id_number)
        except ids.InvalidIdentifier as exc:
            raise InvalidValue(exc.message, field="id_number", code=exc.code) from exc
        if data.birth_date is None and checked_id.birth_date:
            data.birth_date = checked_id.birth_date
        if data.sex == "U" and checked_id.sex:
            data.sex = checked_id.sex
    mobile = ""
    if data.mobile.strip():
        try:
            mobile = ids.normalise_mobile(data.mobile)
        except ids.InvalidIdentifier as exc:
            raise InvalidValue(exc.message, field="mobile", code=exc.code) from exc
    warnings = ids.cross_check(checked_id, data.birth_date, data.sex) if checked_id else []
    return Checked(data, checked_id, mobile, warnings)


def enrol(
    actor: Actor,
    data: EnrolmentData,
    *,
    confirmed_warnings: bool = False,
    allow_duplicate: bool = False,
) -> Customer:
    """Create the customer; DuplicateSuspected / WarningsToConfirm ask a person to decide."""
    if not actor.can(ENROL) or actor.institution_id is None:
        raise InvalidValue(_("无权建档"), code="not_allowed")
    checked = check(data)
    if data.manager_id is not None and data.manager_id not in active_user_ids_with_role(
        actor.institution_id, HEALTH_MANAGER
    ):
        # D-13: a user of another institution is as unknown as a missing one.
        raise InvalidValue(_("请选择本机构的健康管理师"), field="manager", code="manager_unknown")
    if checked.warnings and not confirmed_warnings:
        raise WarningsToConfirm(checked.warnings)
    d = checked.data
    # One audit entry for the new customer names the customer, identifier and card (D-07).
    with one_entry_per_customer("customer.enrol"):
        institution_lock(actor.institution_id, "enrolment")
        if not allow_duplicate:
            matches = find_duplicates(
                actor,
                name=d.name,
                birth_date=d.birth_date,
                mobile=checked.mobile,
                identifier=checked.identifier,
            )
            if matches:
                raise DuplicateSuspected(matches)
        customer = Customer(
            institution_id=actor.institution_id,
            name=d.name,
            sex=d.sex,
            birth_date=d.birth_date,
            birth_year=d.birth_date.year if d.birth_date else None,
            mobile=checked.mobile or None,
            address=d.address or None,
            emergency_contact=d.emergency_contact or None,
            occupation=d.occupation or None,
            marital_status=d.marital_status or None,
            ethnicity=d.ethnicity or None,
            insurance_type=d.insurance_type or None,
            source_channel=d.source_channel,
            consent_version=d.consent_version,
            consent_at=timezone.now(),
            manager_id=d.manager_id,
        )
        history.save_new(actor, customer, action="customer.enrol")
        if checked.identifier is not None:
            history.save_new(
                actor,
                CustomerIdentifier(
                    institution_id=actor.institution_id,
                    customer_id=customer.pk,
                    type=checked.identifier.type,
                    value=checked.identifier.value,
                    is_primary=True,
                ),
            )
        if d.card_level:
            cards.issue_card(actor, customer, level=d.card_level)
    return customer


def enrolment_summary(customer: Customer) -> dict[str, Any]:
    card = (
        MemberCard.objects.unscoped(reason="enrolment result")
        .filter(customer_id=customer.pk, status="active")
        .first()
    )
    return {"customer_id": customer.pk, "card_number": card.number if card else ""}
