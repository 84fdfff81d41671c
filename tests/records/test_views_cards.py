"""The member-card pages and actions through their URLs, and the cards fragment's context."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from jianguan.accounts.actors import actor_for_user
from jianguan.accounts.models import Institution, User
from jianguan.audit.models import AuditEntry
from jianguan.core.actors import Actor
from jianguan.records.models import CardEvent, Customer, MemberCard
from jianguan.records.services import cards
from jianguan.records.views.customers import cards_context

StaffClient = Callable[..., tuple[Client, User]]
Enrol = Callable[..., Customer]
HTMX = {"HTTP_HX_REQUEST": "true"}


def cards_url(c: Customer) -> str:
    return f"/customers/{c.pk}/cards/new/"


def event_url(c: Customer, card: MemberCard | uuid.UUID, event: str) -> str:
    return f"/customers/{c.pk}/cards/{getattr(card, 'pk', card)}/{event}/"


def cards_of(c: Customer) -> list[MemberCard]:
    return list(
        MemberCard.objects.unscoped(reason="test").filter(customer_id=c.pk).order_by("created")
    )


def fresh(card: MemberCard) -> MemberCard:
    return MemberCard.objects.unscoped(reason="test").get(pk=card.pk)


def body(response: Any) -> str:
    return str(response.content.decode())


@pytest.fixture
def desk(staff_client: StaffClient) -> tuple[Client, User, Actor]:
    client, user = staff_client("front_desk")
    return client, user, actor_for_user(user)


@pytest.fixture
def customer_with_card(desk: tuple[Client, User, Actor], enrolled: Enrol) -> tuple[Customer, Any]:
    _, _, actor = desk
    c = enrolled(actor)
    return c, cards.issue_card(actor, c, level="silver")


# --- anonymous and wrong roles first --------------------------------------------------------------


def test_anonymous_is_sent_to_login(client: Client, enrolled: Enrol) -> None:
    c = enrolled()
    assert client.get(cards_url(c))["Location"].startswith("/accounts/login/")
    assert client.post(cards_url(c), {"issue-card_level": "gold"}).status_code == 302
    assert cards_of(c) == []


@pytest.mark.parametrize("role", ["doctor", "nurse", "followup_agent", "auditor"])
def test_roles_without_card_management_get_404(
    staff_client: StaffClient,
    customer_with_card: tuple[Customer, MemberCard],
    role: str,
) -> None:
    client, user = staff_client(role)
    c, card = customer_with_card
    assert client.get(cards_url(c)).status_code == 404
    assert client.post(cards_url(c), {"issue-card_level": "gold"}).status_code == 404
    assert client.post(event_url(c, card, "freeze")).status_code == 404
    assert len(cards_of(c)) == 1 and fresh(card).status == "active"
    assert AuditEntry.objects.filter(action="access.denied", actor_id=user.pk).exists()


def test_another_institutions_cards_are_404(
    desk: tuple[Client, User, Actor],
    enrolled: Enrol,
    make_actor: Callable[..., Actor],
    other_institution: Institution,
) -> None:
    client, _, _ = desk
    their_actor = make_actor("front_desk", inst=other_institution)
    theirs = enrolled(their_actor)
    card = cards.issue_card(their_actor, theirs)
    assert client.get(cards_url(theirs)).status_code == 404
    assert client.post(cards_url(theirs), {"issue-card_level": "gold"}).status_code == 404
    response = client.post(event_url(theirs, card, "report_lost"))
    assert response.status_code == 404
    assert card.number not in body(response)
    assert fresh(card).status == "active" and len(cards_of(theirs)) == 1


def test_a_card_of_another_customer_is_404(
    desk: tuple[Client, User, Actor], enrolled: Enrol
) -> None:
    client, _, actor = desk
    a = enrolled(actor)
    b = enrolled(actor, name="李雷", id_number="", mobile="13900004444", birth_date=None)
    card = cards.issue_card(actor, b)
    assert client.post(event_url(a, card, "freeze")).status_code == 404
    assert fresh(card).status == "active"


def test_an_unknown_event_is_404_and_get_is_405(
    desk: tuple[Client, User, Actor], customer_with_card: tuple[Customer, MemberCard]
) -> None:
    client, _, _ = desk
    c, card = customer_with_card
    assert client.post(event_url(c, card, "destroy")).status_code == 404
    assert client.get(event_url(c, card, "freeze")).status_code == 405
    assert client.post(event_url(c, uuid.uuid4(), "freeze")).status_code == 404
    assert fresh(card).status == "active"


# --- the cards page and fragment ------------------------------------------------------------------


def test_the_cards_page_lists_cards_with_status_validity_and_history(
    desk: tuple[Client, User, Actor], customer_with_card: tuple[Customer, MemberCard]
) -> None:
    client, user, _ = desk
    c, card = customer_with_card
    html = body(client.get(cards_url(c)))
    assert card.number in html
    assert "银卡" in html and "正常" in html
    assert card.valid_from.isoformat() in html
    assert card.valid_until is not None and card.valid_until.isoformat() in html
    assert "发卡" in html and user.username in html  # the event, and who did it
    assert AuditEntry.objects.filter(action="card.list", customer_id=c.pk).exists()


def test_issuing_a_card_adds_one_with_a_valid_number(
    desk: tuple[Client, User, Actor], enrolled: Enrol
) -> None:
    client, user, actor = desk
    c = enrolled(actor)
    response = client.post(cards_url(c), {"issue-card_level": "gold"})
    assert response.status_code == 302 and response["Location"] == cards_url(c)
    (card,) = cards_of(c)
    assert card.level == "gold" and card.status == "active"
    assert cards.valid_card_number(card.number)
    event = CardEvent.objects.unscoped(reason="test").get(card=card)
    assert (event.kind, event.created_by_id) == ("issued", user.pk)
    assert AuditEntry.objects.filter(action="card.issued", customer_id=c.pk).exists()


def test_issuing_with_htmx_returns_the_refreshed_fragment(
    desk: tuple[Client, User, Actor], enrolled: Enrol
) -> None:
    client, _, actor = desk
    c = enrolled(actor)
    response = client.post(cards_url(c), {"issue-card_level": "platinum"}, **HTMX)
    html = body(response)
    (card,) = cards_of(c)
    assert response.status_code == 200 and "<html" not in html
    assert 'id="cards-tab"' in html and card.number in html and "白金卡" in html
    assert "已发卡" in html


def test_issuing_an_unknown_level_shows_an_error(
    desk: tuple[Client, User, Actor], enrolled: Enrol
) -> None:
    client, _, actor = desk
    c = enrolled(actor)
    response = client.post(cards_url(c), {"issue-card_level": "diamond"}, **HTMX)
    assert "请选择卡级别" in body(response)
    assert cards_of(c) == []


@pytest.mark.parametrize(
    ("events", "status"),
    [
        (["freeze"], "frozen"),
        (["freeze", "unfreeze"], "active"),
        (["report_lost"], "lost"),
        (["freeze", "report_lost"], "lost"),
    ],
)
def test_card_status_follows_its_events(
    desk: tuple[Client, User, Actor],
    customer_with_card: tuple[Customer, MemberCard],
    events: list[str],
    status: str,
) -> None:
    client, _, _ = desk
    c, card = customer_with_card
    for event in events:
        response = client.post(event_url(c, card, event), **HTMX)
        assert response.status_code == 200
        assert 'class="error"' not in body(response)
    assert fresh(card).status == status
    kinds = list(
        CardEvent.objects.unscoped(reason="test")
        .filter(card_id=card.pk)
        .order_by("created")
        .values_list("kind", flat=True)
    )
    assert kinds == ["issued", *events]


def test_an_impossible_transition_is_refused_with_a_message(
    desk: tuple[Client, User, Actor], customer_with_card: tuple[Customer, MemberCard]
) -> None:
    client, _, _ = desk
    c, card = customer_with_card
    response = client.post(event_url(c, card, "unfreeze"), **HTMX)
    assert "该卡当前状态不能办理此操作" in body(response)
    assert fresh(card).status == "active"


def test_replacing_a_lost_card_issues_a_new_number(
    desk: tuple[Client, User, Actor], customer_with_card: tuple[Customer, MemberCard]
) -> None:
    client, _, _ = desk
    c, card = customer_with_card
    client.post(event_url(c, card, "report_lost"))
    response = client.post(event_url(c, card, "replace"))
    assert response.status_code == 302
    old, new = cards_of(c)
    assert old.pk == card.pk and old.status == "replaced"
    assert new.status == "active" and new.replaces_id == card.pk and new.level == "silver"
    assert new.number != card.number
    html = body(client.get(cards_url(c)))
    assert "已换卡" in html and new.number in html


def test_changing_the_level(
    desk: tuple[Client, User, Actor], customer_with_card: tuple[Customer, MemberCard]
) -> None:
    client, _, _ = desk
    c, card = customer_with_card
    response = client.post(event_url(c, card, "change_level"), {"level-card_level": "gold"}, **HTMX)
    assert "金卡" in body(response)
    assert fresh(card).level == "gold"
    event = CardEvent.objects.unscoped(reason="test").get(card=card, kind="level_changed")
    assert event.note == "gold"


def test_a_replaced_card_offers_no_actions(
    desk: tuple[Client, User, Actor], customer_with_card: tuple[Customer, MemberCard]
) -> None:
    client, _, _ = desk
    c, card = customer_with_card
    client.post(event_url(c, card, "replace"))
    html = body(client.get(cards_url(c)))
    assert event_url(c, card, "freeze") not in html
    assert event_url(c, card, "change_level") not in html
    new = cards_of(c)[1]
    assert event_url(c, new, "freeze") in html


def test_cards_context_reads_every_card_with_its_events(
    desk: tuple[Client, User, Actor],
    customer_with_card: tuple[Customer, MemberCard],
    make_actor: Callable[..., Actor],
) -> None:
    _, user, actor = desk
    c, card = customer_with_card
    cards.change_status(actor, card, "freeze", "客户出国")
    context = cards_context(actor, c)
    (item,) = context["cards"]
    assert item["card"].pk == card.pk
    assert [e["what"] for e in item["events"]] == ["发卡", "冻结"]
    assert item["events"][1]["note"] == "客户出国"
    assert user.username in item["events"][0]["who"]
    assert [e for e, _label in item["actions"]] == ["unfreeze", "report_lost", "replace"]
    assert context["can_manage_cards"] is True
    # A nurse reads the cards (identity data) but is offered no action.
    nurse_context = cards_context(make_actor("nurse"), c)
    assert nurse_context["cards"][0]["actions"] == []
    assert nurse_context["can_manage_cards"] is False


# --- validity: renewal and the expired label ------------------------------------------------------


def test_renewing_through_the_page_extends_the_card_and_says_until_when(
    desk: tuple[Client, User, Actor], customer_with_card: tuple[Customer, MemberCard]
) -> None:
    client, _, _ = desk
    c, card = customer_with_card
    end = card.valid_until
    response = client.post(event_url(c, card, "renew"), {"renew-years": "3"}, **HTMX)
    assert response.status_code == 200
    renewed = fresh(card).valid_until
    assert renewed == end.replace(year=end.year + 3)
    assert str(renewed) in body(response)
    assert (
        CardEvent.objects.unscoped(reason="test").filter(card_id=card.pk, kind="renewed").exists()
    )


def test_a_bad_renewal_term_is_an_error_in_the_fragment(
    desk: tuple[Client, User, Actor], customer_with_card: tuple[Customer, MemberCard]
) -> None:
    client, _, _ = desk
    c, card = customer_with_card
    response = client.post(event_url(c, card, "renew"), {"renew-years": "40"}, **HTMX)
    assert response.status_code == 200
    assert "请选择续期年限" in body(response)
    assert fresh(card).valid_until == card.valid_until


def test_a_second_card_is_refused_on_the_page_and_an_expired_one_is_labelled(
    desk: tuple[Client, User, Actor], customer_with_card: tuple[Customer, MemberCard]
) -> None:
    import datetime as dt

    client, _, _ = desk
    c, card = customer_with_card
    response = client.post(cards_url(c), {"issue-card_level": "gold"}, **HTMX)
    assert "已有在用的会员卡" in body(response) and card.number in body(response)
    assert len(cards_of(c)) == 1
    MemberCard.objects.unscoped(reason="test").filter(pk=card.pk).update(
        valid_until=dt.date.today() - dt.timedelta(days=1)
    )
    page = body(client.get(cards_url(c)))
    assert "cust-card-expired" in page and "已过期" in page
    response = client.post(cards_url(c), {"issue-card_level": "gold"}, **HTMX)
    assert [x.status for x in cards_of(c)] == ["expired", "active"]


def test_an_expired_card_is_no_valid_card_in_the_header_or_the_level_filter(
    desk: tuple[Client, User, Actor], customer_with_card: tuple[Customer, MemberCard]
) -> None:
    import datetime as dt

    client, _, _ = desk
    c, card = customer_with_card
    filtered = "/customers/?card_level=silver"
    assert card.number in body(client.get(f"/customers/{c.pk}/"))
    assert str(c.pk) in body(client.get(filtered))
    MemberCard.objects.unscoped(reason="test").filter(pk=card.pk).update(
        valid_until=dt.date.today() - dt.timedelta(days=1)
    )
    assert "无有效卡" in body(client.get(f"/customers/{c.pk}/"))
    assert str(c.pk) not in body(client.get(filtered))
