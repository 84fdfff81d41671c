"""Member cards (会员卡): numbers with a check digit, levels, validity and a history of events."""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from stdnum import luhn

from jianguan.audit.ledger import one_entry_per_customer, record
from jianguan.core.actors import Actor

from ..errors import InvalidValue
from ..models import CardEvent, Customer, MemberCard
from . import history

CARD_PREFIX = "8"  # all member cards start with 8; 12 digits with the Luhn digit last
LEVELS = {code for code, _label in MemberCard.LEVELS}

# status → the events allowed from it and the status they lead to
TRANSITIONS = {
    ("active", "freeze"): "frozen",
    ("frozen", "unfreeze"): "active",
    ("active", "report_lost"): "lost",
    ("frozen", "report_lost"): "lost",
}
RENEW_YEARS = (1, 2, 3, 5)


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


def _event(
    actor: Actor, card: MemberCard, kind: str, note: str = "", *, audit: bool = True
) -> None:
    CardEvent(
        institution_id=card.institution_id,
        customer_id=card.customer_id,
        created_by_id=actor.id if actor.kind == "staff" else None,
        card=card,
        kind=kind,
        note=note or None,
    ).save(force_insert=True)
    if not audit:
        return  # a job run writes one entry for all its cards (D-07)
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
    if replaces is not None:
        until = replaces.valid_until  # a new number, not a longer membership
    in_use = (
        MemberCard.objects.unscoped(reason="one card in use")
        .select_for_update()
        .filter(customer_id=customer.pk, status__in=MemberCard.IN_USE)
        .first()
    )
    if in_use is not None:
        if not in_use.expired_on(today):
            raise InvalidValue(
                _("该客户已有在用的会员卡 %(number)s：请先挂失或补换，或待其过期后再发新卡")
                % {"number": in_use.number},
                field="card_level",
                code="card_in_use",
            )
        _close_expired(actor, in_use)
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
                history.write_changes(  # the record history shows cards too (D-09)
                    actor,
                    card,
                    {
                        "number": (None, card.number),
                        "level": (None, card.level),
                        "status": (None, card.status),
                        "valid_from": (None, card.valid_from),
                        "valid_until": (None, card.valid_until),
                    },
                    "create",
                )
            return card
        except IntegrityError:
            continue  # a number already taken in this institution: draw another
    raise InvalidValue(_("无法生成卡号，请重试"), code="card_number")


def _set_status(actor: Actor, card: MemberCard, status: str) -> None:
    before = card.status
    card.status = status
    card.save(update_fields=["status"])
    history.write_changes(actor, card, {"status": (before, status)}, "update")


def _close_expired(actor: Actor, card: MemberCard, *, audit: bool = True) -> None:
    _set_status(actor, card, "expired")
    _event(actor, card, "expired", audit=audit)


def close_expired(actor: Actor, card: MemberCard, today: dt.date, *, audit: bool = True) -> bool:
    """Mark a card in use past its validity as expired; True if it was. The scheduled pass
    (records.jobs) passes audit=False and records its run as one entry."""
    if card.status not in MemberCard.IN_USE or not card.expired_on(today):
        return False
    with transaction.atomic():
        _close_expired(actor, card, audit=audit)
    return True


def renew(actor: Actor, card: MemberCard, years: int) -> MemberCard:
    """Extend a card in use by whole years from its end, or from today if it has run out."""
    if years not in RENEW_YEARS:
        raise InvalidValue(_("请选择续期年限"), field="years", code="renew_years")
    if card.status not in MemberCard.IN_USE:
        raise InvalidValue(
            _("该卡当前状态不能办理此操作"), field="card_event", code="card_transition"
        )
    if card.valid_until is None:
        raise InvalidValue(_("该卡长期有效，无需续期"), field="years", code="renew_unlimited")
    today = dt.date.today()
    start = today if card.expired_on(today) else card.valid_until
    with transaction.atomic():
        before = card.valid_until
        card.valid_until = _years_later(start, years)
        card.save(update_fields=["valid_until"])
        history.write_changes(actor, card, {"valid_until": (before, card.valid_until)}, "update")
        _event(actor, card, "renewed", card.valid_until.isoformat())
    return card


def change_status(actor: Actor, card: MemberCard, event: str, note: str = "") -> MemberCard:
    target = TRANSITIONS.get((card.status, event))
    if target is None:
        raise InvalidValue(
            _("该卡当前状态不能办理此操作"), field="card_event", code="card_transition"
        )
    with transaction.atomic():
        _set_status(actor, card, target)
        _event(actor, card, event, note)
    return card


def replace_card(actor: Actor, card: MemberCard, note: str = "") -> MemberCard:
    """A new number for a lost or damaged card; the old one is marked replaced."""
    if card.status not in (*MemberCard.IN_USE, "lost"):
        raise InvalidValue(_("该卡已换过新卡"), field="card_event", code="card_transition")
    if card.expired_on(dt.date.today()):
        raise InvalidValue(
            _("该卡已过期，不能补换：请发新卡"), field="card_event", code="card_expired"
        )
    with one_entry_per_customer("card.replaced"):  # one entry names both cards (D-07)
        _set_status(actor, card, "replaced")
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
        before = card.level
        card.level = level
        card.save(update_fields=["level"])
        history.write_changes(actor, card, {"level": (before, level)}, "update")
        _event(actor, card, "level_changed", level)
    return card
