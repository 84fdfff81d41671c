"""Member cards: 12-digit numbers with a Luhn check digit, levels, a status machine, replacement
and a history of events; a customer holds several cards over time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from stdnum import luhn

from jianguan.accounts.models import Institution
from jianguan.audit.models import AuditEntry
from jianguan.core.actors import Actor
from jianguan.records import selectors
from jianguan.records.errors import InvalidValue
from jianguan.records.models import CardEvent, Customer, MemberCard
from jianguan.records.services import cards

from .conftest import Enrol, MakeActor

pytestmark = pytest.mark.django_db

VIEW = "records.identity.view"


@pytest.fixture
def desk(make_actor: MakeActor) -> Actor:
    return make_actor("front_desk")


@pytest.fixture
def customer(enrolled: Enrol, desk: Actor) -> Customer:
    return enrolled(desk)


def events(actor: Actor, card: MemberCard) -> list[str]:
    rows = CardEvent.objects.for_actor(actor, VIEW).filter(card=card).order_by("created")
    return [e.kind for e in rows]


def refused(call: object) -> InvalidValue:
    with pytest.raises(InvalidValue) as caught:
        call()  # type: ignore[operator]
    return caught.value


# --- numbers ------------------------------------------------------------------------------------


def test_a_new_card_number_has_12_digits_and_a_valid_luhn_digit() -> None:
    for _ in range(200):
        number = cards.new_card_number()
        assert len(number) == 12 and number.isdigit()
        assert luhn.is_valid(number)
        assert cards.valid_card_number(number)


def test_a_mistyped_card_number_is_not_valid() -> None:
    number = cards.new_card_number()
    wrong_digit = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert not cards.valid_card_number(wrong_digit)
    assert not cards.valid_card_number(number[:-1])
    assert not cards.valid_card_number(number + "0")
    assert not cards.valid_card_number("8" * 11 + "x")


def test_card_numbers_are_unique_within_an_institution_only(
    desk: Actor,
    customer: Customer,
    enrolled: Enrol,
    make_actor: MakeActor,
    other_institution: Institution,
) -> None:
    first = cards.issue_card(desk, customer)
    elsewhere = make_actor("front_desk", inst=other_institution)
    theirs = enrolled(elsewhere)
    same = MemberCard(
        institution_id=other_institution.id,
        customer_id=theirs.pk,
        number=first.number,
        valid_from=dt.date.today(),
    )
    same.save(force_insert=True)  # another institution may hold the same number
    assert [c.pk for c in selectors.by_card(elsewhere, first.number)] == [theirs.pk]
    clash = MemberCard(
        institution_id=customer.institution_id,
        customer_id=customer.pk,
        number=first.number,
        valid_from=dt.date.today(),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        clash.save(force_insert=True)


# --- issue ------------------------------------------------------------------------------------


def test_issuing_a_card_makes_an_active_card_valid_for_two_years(
    desk: Actor, customer: Customer
) -> None:
    card = cards.issue_card(desk, customer, level="silver")
    today = dt.date.today()
    assert (card.status, card.level, card.valid_from) == ("active", "silver", today)
    assert card.valid_until is not None and card.valid_until.year == today.year + 2
    assert card.created_by_id == desk.id


def test_a_card_issued_on_29_february_runs_to_28_february() -> None:
    assert cards._years_later(dt.date(2024, 2, 29), 2) == dt.date(2026, 2, 28)
    assert cards._years_later(dt.date(2024, 2, 29), 4) == dt.date(2028, 2, 29)


def test_a_card_may_have_no_end_date(desk: Actor, customer: Customer) -> None:
    assert cards.issue_card(desk, customer, valid_years=None).valid_until is None


def test_an_unknown_level_is_refused(desk: Actor, customer: Customer) -> None:
    error = refused(lambda: cards.issue_card(desk, customer, level="diamond"))
    assert (error.field, error.code) == ("card_level", "card_level")


def test_issuing_is_an_event_and_an_audit_entry(desk: Actor, customer: Customer) -> None:
    card = cards.issue_card(desk, customer)
    assert events(desk, card) == ["issued"]
    entry = AuditEntry.objects.get(action="card.issued", resource_id=str(card.pk))
    assert (entry.customer_id, entry.actor_id) == (customer.pk, desk.id)


def test_the_card_is_found_by_its_number(desk: Actor, customer: Customer) -> None:
    card = cards.issue_card(desk, customer)
    assert [c.pk for c in selectors.by_card(desk, f" {card.number} ")] == [customer.pk]


# --- transitions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("events_before", "event", "status"),
    [
        ([], "freeze", "frozen"),
        (["freeze"], "unfreeze", "active"),
        ([], "report_lost", "lost"),
        (["freeze"], "report_lost", "lost"),
    ],
)
def test_allowed_transitions_change_the_status(
    desk: Actor, customer: Customer, events_before: list[str], event: str, status: str
) -> None:
    card = cards.issue_card(desk, customer)
    for before in events_before:
        cards.change_status(desk, card, before)
    assert cards.change_status(desk, card, event).status == status
    stored = MemberCard.objects.for_actor(desk, VIEW).get(pk=card.pk)
    assert stored.status == status


@pytest.mark.parametrize(
    ("events_before", "event"),
    [
        ([], "unfreeze"),
        (["freeze"], "freeze"),
        (["report_lost"], "freeze"),
        (["report_lost"], "unfreeze"),
        (["report_lost"], "report_lost"),
        ([], "destroy"),
    ],
)
def test_refused_transitions_leave_the_status(
    desk: Actor, customer: Customer, events_before: list[str], event: str
) -> None:
    card = cards.issue_card(desk, customer)
    for before in events_before:
        cards.change_status(desk, card, before)
    status = card.status
    error = refused(lambda: cards.change_status(desk, card, event))
    assert (error.field, error.code) == ("card_event", "card_transition")
    assert MemberCard.objects.for_actor(desk, VIEW).get(pk=card.pk).status == status


def test_a_replaced_card_accepts_no_status_change(desk: Actor, customer: Customer) -> None:
    card = cards.issue_card(desk, customer)
    cards.replace_card(desk, card)
    for event in ("freeze", "unfreeze", "report_lost"):
        with pytest.raises(InvalidValue) as caught:
            cards.change_status(desk, card, event)
        assert caught.value.code == "card_transition"


def test_every_transition_is_an_event_with_its_note(desk: Actor, customer: Customer) -> None:
    card = cards.issue_card(desk, customer)
    cards.change_status(desk, card, "freeze", note="客户出国三个月")
    cards.change_status(desk, card, "unfreeze")
    cards.change_status(desk, card, "report_lost", note="钱包被盗")
    assert events(desk, card) == ["issued", "freeze", "unfreeze", "report_lost"]
    notes = [
        e.note
        for e in CardEvent.objects.for_actor(desk, VIEW).filter(card=card).order_by("created")
    ]
    assert notes == [None, "客户出国三个月", None, "钱包被盗"]
    assert AuditEntry.objects.filter(action="card.freeze", resource_id=str(card.pk)).count() == 1


# --- replacement --------------------------------------------------------------------------------


def test_replacing_a_lost_card_issues_a_new_number_linked_to_the_old(
    desk: Actor, customer: Customer
) -> None:
    old = cards.issue_card(desk, customer, level="gold")
    cards.change_status(desk, old, "report_lost")
    new = cards.replace_card(desk, old, note="补卡")
    assert new.pk != old.pk and new.number != old.number
    assert new.replaces_id == old.pk
    assert (new.status, new.level, new.customer_id) == ("active", "gold", customer.pk)
    assert MemberCard.objects.for_actor(desk, VIEW).get(pk=old.pk).status == "replaced"
    assert events(desk, old) == ["issued", "report_lost", "replaced"]
    assert events(desk, new) == ["issued"]


def test_a_card_is_replaced_only_once(desk: Actor, customer: Customer) -> None:
    card = cards.issue_card(desk, customer)
    cards.replace_card(desk, card)
    error = refused(lambda: cards.replace_card(desk, card))
    assert error.code == "card_transition"


def test_the_old_number_no_longer_finds_an_active_card(desk: Actor, customer: Customer) -> None:
    old = cards.issue_card(desk, customer)
    new = cards.replace_card(desk, old)
    active = MemberCard.objects.for_actor(desk, VIEW).filter(customer=customer, status="active")
    assert [c.number for c in active] == [new.number]


def test_a_customer_holds_several_cards_over_time(desk: Actor, customer: Customer) -> None:
    first = cards.issue_card(desk, customer, level="standard")
    second = cards.replace_card(desk, first)
    cards.change_status(desk, second, "report_lost")
    third = cards.issue_card(desk, customer, level="platinum")
    held = MemberCard.objects.for_actor(desk, VIEW).filter(customer=customer)
    assert {(c.pk, c.status) for c in held} == {
        (first.pk, "replaced"),
        (second.pk, "lost"),
        (third.pk, "active"),
    }


def test_a_replacement_is_one_audit_entry_naming_both_cards(
    desk: Actor, customer: Customer
) -> None:
    old = cards.issue_card(desk, customer)
    before = AuditEntry.objects.filter(customer_id=customer.pk).count()
    new = cards.replace_card(desk, old)
    (entry,) = AuditEntry.objects.filter(customer_id=customer.pk).order_by("seq")[before:]
    assert (entry.action, entry.resource_type) == ("card.replaced", "MemberCard")
    assert entry.resource_id == f"{old.pk},{new.pk}"


def test_a_replacement_keeps_the_old_cards_validity(desk: Actor, customer: Customer) -> None:
    old = cards.issue_card(desk, customer, valid_years=1)
    new = cards.replace_card(desk, old)
    assert new.valid_until == old.valid_until


# --- one card in use, validity and renewal -------------------------------------------------------


def test_a_second_card_in_use_is_refused_naming_the_first(desk: Actor, customer: Customer) -> None:
    first = cards.issue_card(desk, customer)
    error = refused(lambda: cards.issue_card(desk, customer, level="gold"))
    assert error.code == "card_in_use" and first.number in str(error.message)
    cards.change_status(desk, first, "freeze")  # a frozen card is still in use
    assert refused(lambda: cards.issue_card(desk, customer)).code == "card_in_use"
    assert MemberCard.objects.for_actor(desk, VIEW).filter(customer=customer).count() == 1


def test_the_database_refuses_two_cards_in_use(desk: Actor, customer: Customer) -> None:
    card = cards.issue_card(desk, customer)
    twin = MemberCard(
        institution_id=customer.institution_id,
        customer_id=customer.pk,
        number=cards.new_card_number(),
        valid_from=card.valid_from,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save(force_insert=True)


def expire(card: MemberCard, days_ago: int = 1) -> None:
    MemberCard.objects.unscoped(reason="test").filter(pk=card.pk).update(
        valid_from=dt.date.today() - dt.timedelta(days=800),
        valid_until=dt.date.today() - dt.timedelta(days=days_ago),
    )
    card.refresh_from_db()


def test_a_card_in_use_past_its_end_shows_as_expired(desk: Actor, customer: Customer) -> None:
    card = cards.issue_card(desk, customer)
    today = dt.date.today()
    assert card.status_on(today) == "active"
    assert card.status_on(card.valid_until) == "active"  # the last valid day is valid
    assert card.status_on(card.valid_until + dt.timedelta(days=1)) == "expired"
    expire(card)
    assert card.status_on(today) == "expired"


def test_an_expired_card_is_closed_when_a_new_one_is_issued(
    desk: Actor, customer: Customer
) -> None:
    old = cards.issue_card(desk, customer)
    expire(old)
    new = cards.issue_card(desk, customer, level="gold")
    old.refresh_from_db()
    assert (old.status, new.status) == ("expired", "active")
    assert events(desk, old) == ["issued", "expired"]


def test_an_expired_card_cannot_be_replaced(desk: Actor, customer: Customer) -> None:
    card = cards.issue_card(desk, customer)
    expire(card)
    assert refused(lambda: cards.replace_card(desk, card)).code == "card_expired"


def test_the_scheduled_pass_closes_expired_cards_with_one_entry(
    desk: Actor, enrolled: Enrol
) -> None:
    from jianguan.audit.models import AuditJobItem
    from jianguan.records import jobs

    def someone(n: int) -> Customer:
        return enrolled(desk, name=f"客户{n}", id_number="", mobile=f"1391234567{n}")

    due = [cards.issue_card(desk, someone(i)) for i in range(2)]
    for card in due:
        expire(card)
    current = cards.issue_card(desk, someone(2))
    assert jobs.close_expired_cards() == "closed=2"
    states = dict(MemberCard.objects.for_actor(desk, VIEW).values_list("pk", "status"))
    assert [states[c.pk] for c in due] == ["expired", "expired"]
    assert states[current.pk] == "active"
    entry = AuditEntry.objects.get(action="card.expired")
    items = AuditJobItem.objects.filter(entry_id=entry.seq).values_list("resource_id", flat=True)
    assert set(items) == {str(c.pk) for c in due}
    assert jobs.close_expired_cards() == "closed=0"  # idempotent


def test_renewal_extends_from_the_end_or_from_today_if_run_out(
    desk: Actor, customer: Customer
) -> None:
    card = cards.issue_card(desk, customer, valid_years=1)
    end = card.valid_until
    assert end is not None
    cards.renew(desk, card, 2)
    assert card.valid_until == end.replace(year=end.year + 2)
    expire(card, days_ago=30)
    cards.renew(desk, card, 1)
    today = dt.date.today()
    assert card.valid_until == cards._years_later(today, 1)
    assert events(desk, card) == ["issued", "renewed", "renewed"]


def test_renewal_is_refused_for_unlimited_lost_or_odd_terms(
    desk: Actor, customer: Customer
) -> None:
    card = cards.issue_card(desk, customer, valid_years=None)
    assert refused(lambda: cards.renew(desk, card, 1)).code == "renew_unlimited"
    cards.change_status(desk, card, "report_lost")
    assert refused(lambda: cards.renew(desk, card, 1)).code == "card_transition"
    other = cards.issue_card(desk, customer)
    assert refused(lambda: cards.renew(desk, other, 7)).code == "renew_years"


# --- level --------------------------------------------------------------------------------------


def test_changing_the_level_is_an_event_naming_the_new_level(
    desk: Actor, customer: Customer
) -> None:
    card = cards.issue_card(desk, customer)
    cards.change_level(desk, card, "platinum")
    assert MemberCard.objects.for_actor(desk, VIEW).get(pk=card.pk).level == "platinum"
    event = CardEvent.objects.for_actor(desk, VIEW).get(card=card, kind="level_changed")
    assert event.note == "platinum"


def test_changing_to_the_same_level_is_no_event(desk: Actor, customer: Customer) -> None:
    card = cards.issue_card(desk, customer, level="gold")
    cards.change_level(desk, card, "gold")
    assert events(desk, card) == ["issued"]


def test_an_unknown_level_change_is_refused(desk: Actor, customer: Customer) -> None:
    card = cards.issue_card(desk, customer)
    assert refused(lambda: cards.change_level(desk, card, "diamond")).code == "card_level"


@pytest.mark.parametrize("event", ["report_lost", "replace"])
def test_the_level_of_a_lost_or_replaced_card_cannot_change(
    desk: Actor, customer: Customer, event: str
) -> None:
    card = cards.issue_card(desk, customer)
    if event == "replace":
        cards.replace_card(desk, card)
    else:
        cards.change_status(desk, card, event)
    assert refused(lambda: cards.change_level(desk, card, "gold")).code == "card_transition"


def test_every_card_change_is_in_the_record_history(desk: Actor, customer: Customer) -> None:
    from jianguan.records.models import RecordChange

    card = cards.issue_card(desk, customer, level="silver", valid_years=1)
    cards.change_status(desk, card, "freeze")
    cards.change_level(desk, card, "gold")
    cards.renew(desk, card, 2)
    changes = [
        (c.action, c.field, c.old_value, c.new_value)
        for c in RecordChange.objects.for_actor(desk, VIEW)
        .filter(resource_type="MemberCard", resource_id=card.pk)
        .order_by("created", "field")
    ]
    assert ("create", "number", None, card.number) in changes
    assert ("update", "status", "active", "frozen") in changes
    assert ("update", "level", "silver", "gold") in changes
    assert any(c[:2] == ("update", "valid_until") for c in changes)
