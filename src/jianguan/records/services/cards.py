"""Member cards (会员卡): numbers with a check digit, levels, validity and a history of events."""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from stdnum import luhn

from jianguan.audit.ledger import record
from jianguan.core.actors import Actor

from ..errors import InvalidValue
from ..models import CardEvent, Customer, MemberCard

CARD_PREFIX = "8"  # all member cards start with 8; 12 digits with the Luhn digit last
LEVELS = {code for code, _label in MemberCard.LEVELS}

# status → the events allowed from it and the status they lead to
TRANSITIONS = {
    ("active", "freeze"): "frozen",
    ("frozen", "unfreeze"): "active",
    ("active", "report_lost"): "lost",
    ("frozen", "report_lost"): "lost",
}


def new_card_number() -> str:
    body = CARD_PREFIX + "".join(secrets.choice("0123456789") for _ in range(10))
    return body + luhn.calc_check_digit(body)


def valid_card_number(number: str) -> bool:
    return len(number) == 12 and number.isdigit() and luhn.is_valid(number)


def _years_later(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year + years, day=28)


def _event(actor: Actor, card: MemberCard, kind: str, note: str = "") -> None:
    CardEvent(
        institution_id=card.institution_id,
        customer_id=card.customer_id,
        created_by_id=actor.id if actor.kind == "staff" else None,
        card=card,
        kind=kind,
        note=note or None,
    ).save(force_insert=True)
    record(
        f"card.{kind}",
        actor=actor,
        resource_type="MemberCard",
        resource_id=str(card.pk),
        customer_id=card.customer_id,
        institution_id=card.institution_id,
    )


def issue_card(
    actor: Actor,
    customer: Customer,
    *,
    level: str = "standard",
    valid_years: int | None = 2,
    replaces: MemberCard | None = None,
) -> MemberCard:
    if level not in LEVELS:
        raise InvalidValue(_("未知的卡级别"), field="card_level", code="card_level")
    today = dt.date.today()
    until = _years_later(today, valid_years) if valid_years else None
    for _attempt in range(5):
        card = MemberCard(
            institution_id=customer.institution_id,
            customer_id=customer.pk,
            created_by_id=actor.id if actor.kind == "staff" else None,
            number=new_card_number(),
            level=level,
            valid_from=today,
            valid_until=until,
            replaces=replaces,
        )
        try:
            with transaction.atomic():
                card.save(force_insert=True)
                _event(actor, card, "issued")
            return card
        except IntegrityError:
            continue  # a number already taken in this institution: draw another
    raise InvalidValue(_("无法生成卡号，请重试"), code="card_number")


def change_status(actor: Actor, card: MemberCard, event: str, note: str = "") -> MemberCard:
    target = TRANSITIONS.get((card.status, event))
    if target is None:
        raise InvalidValue(
            _("该卡当前状态不能办理此操作"), field="card_event", code="card_transition"
        )
    with transaction.atomic():
        card.status = target
        card.save(update_fields=["status"])
        _event(actor, card, event, note)
    return card


def replace_card(actor: Actor, card: MemberCard, note: str = "") -> MemberCard:
    """A new number for a lost or damaged card; the old one is marked replaced."""
    if card.status == "replaced":
        raise InvalidValue(_("该卡已换过新卡"), field="card_event", code="card_transition")
    with transaction.atomic():
        card.status = "replaced"
        card.save(update_fields=["status"])
        _event(actor, card, "replaced", note)
        customer = Customer.objects.unscoped(reason="card replacement").get(pk=card.customer_id)
        return issue_card(actor, customer, level=card.level, replaces=card)


def change_level(actor: Actor, card: MemberCard, level: str) -> MemberCard:
    if level not in LEVELS:
        raise InvalidValue(_("未知的卡级别"), field="card_level", code="card_level")
    if card.status in {"lost", "replaced"}:
        raise InvalidValue(
            _("该卡当前状态不能办理此操作"), field="card_level", code="card_transition"
        )
    if card.level == level:
        return card
    with transaction.atomic():
        card.level = level
        card.save(update_fields=["level"])
        _event(actor, card, "level_changed", level)
    return card
