"""Finding and enrolling customers, identity reveal, member cards, manager panels, merge.

Views parse, authorise (`staff_view`) and call `selectors` / `services`. A customer outside the
actor's institution or capability is a 404 with the same body as a missing id, and the denial
is audited with its reason (D-13). No name, mobile or ID number is ever put in a URL: searches
are POSTs whose results live in the session under a random handle (D-15). Identifiers are
masked; the full value is an audited, explicit "show" (D-16). Every customer shown is one read
entry in the ledger (D-07).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
import uuid
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jianguan.accounts.actors import actor_for
from jianguan.accounts.decorators import staff_view
from jianguan.audit.ledger import record, record_many
from jianguan.core.actors import Actor

from .. import identifiers as ids
from .. import selectors
from ..errors import DuplicateSuspected, InvalidValue, NotFound, WarningsToConfirm
from ..forms import choices
from ..forms.cards import (
    EVENTS,
    OFFERED,
    CardEventForm,
    CardIssueForm,
    CardLevelForm,
    CardRenewForm,
)
from ..forms.customers import (
    CustomerEditForm,
    CustomerFilterForm,
    CustomerSearchForm,
    DecisionForm,
    EnrolmentForm,
    MergeSearchForm,
)
from ..models import CardEvent, Customer, MemberCard
from ..services import cards as card_services
from ..services import enrolment, profile
from ..services.merge import merge_customers
from .common import (
    ASSIGN,
    CARD,
    ENROL,
    IDENTITY,
    MERGE,
    REVEAL,
    customer_or_404,
    deny,
    is_htmx,
    page_number,
    show_error,
)

SEARCH_SESSION_KEY = "customer_searches"
SEARCHES_KEPT = 5
REVEALABLE = ("id_number", "mobile", "emergency_phone")
WHY_LABELS = {
    "id_number": gettext_lazy("证件号码相同"),
    "mobile": gettext_lazy("手机号码相同"),
    "name_birth": gettext_lazy("姓名和出生日期相同"),
}
FILTER_KEYS = ("manager", "sex", "age_min", "age_max", "card_level", "sort")

T = TypeVar("T")


# --- helpers ----------------------------------------------------------------------------------


def _store_search(request: HttpRequest, ids_found: list[str], kind: str) -> str:
    """Keep a search's result ids server-side under a random handle (D-15)."""
    handle = secrets.token_urlsafe(12)
    searches: dict[str, Any] = dict(request.session.get(SEARCH_SESSION_KEY, {}))
    while len(searches) >= SEARCHES_KEPT:
        searches.pop(next(iter(searches)))
    searches[handle] = {"ids": ids_found, "kind": kind}
    request.session[SEARCH_SESSION_KEY] = searches
    return handle


def _audit_shown(actor: Actor, action: str, customers: list[Customer]) -> None:
    # D-07: one read entry per customer shown, appended together at the end of the request.
    if customers:
        record_many(
            action,
            [c.pk for c in customers],
            actor=actor,
            institution_id=actor.institution_id,
            defer=True,
        )


def _row_context(actor: Actor, customers: list[Customer]) -> list[selectors.CustomerRow]:
    return selectors.list_rows(actor, customers)


def _with_confirmation(call: Callable[[bool], T], confirmed: set[str]) -> T:
    """Run `call(False)`; if it asks to confirm only warnings the person already ticked
    (the codes shown with the tick), run it again confirmed (D-29)."""
    try:
        return call(False)
    except WarningsToConfirm as exc:
        if confirmed and {code for code, _message in exc.warnings} <= confirmed:
            return call(True)
        raise


def _labels(rows: list[selectors.CustomerRow]) -> list[dict[str, Any]]:
    return [
        {
            "row": r,
            "sex": choices.SEX_LABELS.get(r.customer.sex, ""),
            "id_type": choices.id_type_label(r.id_type) if r.id_type else "",
            "card_level": choices.CARD_LEVEL_LABELS.get(r.card_level, ""),
        }
        for r in rows
    ]


# --- the customer list and the search box ----------------------------------------------------


@staff_view(IDENTITY)
def customer_list(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request)
    managers = selectors.health_managers(actor)
    search_form = CustomerSearchForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and search_form.is_valid():
        kind, found = selectors.search_customers(actor, search_form.cleaned_data["q"])
        handle = _store_search(request, [str(c.pk) for c in found], kind)
        return redirect(reverse("records:customer_list") + "?" + urlencode({"s": handle}))

    handle = request.GET.get("s", "")
    filter_form = CustomerFilterForm(
        {k: v for k, v in request.GET.items() if k in FILTER_KEYS} or None, managers=managers
    )
    query: dict[str, str] = {}
    search_kind = ""
    if handle:
        stored = request.session.get(SEARCH_SESSION_KEY, {}).get(handle)
        if not isinstance(stored, dict):
            messages.info(request, _("查找结果已过期，请重新查找。"))
            return redirect("records:customer_list")
        page = selectors.customers_by_ids(actor, list(stored.get("ids", [])), page_number(request))
        search_kind = str(stored.get("kind", ""))
        query["s"] = handle
    else:
        flt = selectors.CustomerFilter()
        if filter_form.is_bound and filter_form.is_valid():
            flt = filter_form.to_filter()
            query.update(
                {k: str(v) for k, v in filter_form.cleaned_data.items() if k in FILTER_KEYS and v}
            )
        page = selectors.customer_page(actor, flt, page_number(request))
    rows = _row_context(actor, page.customers)
    _audit_shown(actor, "customer.list", page.customers)
    return render(
        request,
        "records/customer_list.html",
        {
            "rows": _labels(rows),
            "page": page,
            "page_query": urlencode(query),
            "filter_form": filter_form,
            "search_form": search_form,
            "searching": bool(handle),
            "search_kind": search_kind,
            "can_enrol": actor.can(ENROL),
            "can_reveal": actor.can(REVEAL),
            "count_cap": selectors.COUNT_CAP,
        },
    )


# --- enrolment ----------------------------------------------------------------------------------


def _enrol(
    actor: Actor, data: enrolment.EnrolmentData, confirmed: set[str], allowed: set[str]
) -> Customer:
    """Enrol, confirming only the warnings and duplicates the person was shown and ticked."""

    def attempt(confirmed_warnings: bool) -> Customer:
        try:
            return enrolment.enrol(
                actor, dataclasses.replace(data), confirmed_warnings=confirmed_warnings
            )
        except DuplicateSuspected as exc:
            if allowed and {str(pk) for pk, _why in exc.matches} <= allowed:
                return enrolment.enrol(
                    actor,
                    dataclasses.replace(data),
                    confirmed_warnings=confirmed_warnings,
                    allow_duplicate=True,
                )
            raise

    return _with_confirmation(attempt, confirmed)


def _duplicate_rows(actor: Actor, matches: list[tuple[uuid.UUID, str]]) -> list[dict[str, Any]]:
    """The suspected duplicates, masked, for roles that may see identity (none for others)."""
    why = dict(matches)
    found = {c.pk: c for c in selectors.customers_for(actor).filter(pk__in=list(why))}
    shown = [found[pk] for pk, _w in matches if pk in found]
    _audit_shown(actor, "customer.duplicates", shown)
    rows = _labels(_row_context(actor, shown))
    for item in rows:
        item["why"] = WHY_LABELS.get(why[item["row"].customer.pk], "")
    return rows


@staff_view(ENROL)
def customer_enrol(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request)
    managers = selectors.health_managers(actor)
    form = EnrolmentForm(request.POST if request.method == "POST" else None, managers=managers)
    decision: DecisionForm | None = None
    warnings: list[Any] = []
    duplicates: list[dict[str, Any]] = []
    duplicate_count = 0
    if request.method == "POST" and form.is_valid():
        ticked = DecisionForm(request.POST, warnings=[], duplicates=[])
        confirmed = ticked.confirmed_warnings()
        try:
            customer = _enrol(actor, form.to_data(), confirmed, ticked.allowed_duplicates())
        except InvalidValue as exc:
            show_error(form, exc)
        except WarningsToConfirm as exc:
            warnings = [message for _code, message in exc.warnings]
            decision = DecisionForm(warnings=[code for code, _m in exc.warnings])
        except DuplicateSuspected as exc:
            duplicates = _duplicate_rows(actor, exc.matches)
            duplicate_count = len(exc.matches)
            # Warnings already confirmed stay shown and confirmed while duplicates are decided.
            if confirmed:
                checked = enrolment.check(dataclasses.replace(form.to_data()))
                warnings = [message for _code, message in checked.warnings]
            decision = DecisionForm(
                warnings=sorted(confirmed) if confirmed else None,
                duplicates=[pk for pk, _why in exc.matches],
                initial={"confirm_warnings": bool(confirmed)},
            )
        else:
            card = enrolment.enrolment_summary(customer)["card_number"]
            if card:
                messages.success(request, _("建档成功，会员卡号 %(card)s。") % {"card": card})
            else:
                messages.success(request, _("建档成功。"))
            return redirect("records:customer", customer_id=customer.pk)
    return render(
        request,
        "records/customer_enrol.html",
        {
            "form": form,
            "decision": decision,
            "warnings": warnings,
            "duplicates": duplicates,
            "duplicate_count": duplicate_count,
            "consent_version": enrolment.CONSENT_VERSION,
        },
    )


# --- basic information and the health manager ---------------------------------------------------


@staff_view(IDENTITY)
def customer_edit(request: HttpRequest, customer_id: uuid.UUID) -> HttpResponse:
    actor = actor_for(request)
    customer = customer_or_404(actor, customer_id, IDENTITY)
    can_edit, can_assign = actor.can(ENROL), actor.can(ASSIGN)
    if not (can_edit or can_assign):
        raise deny(actor, "customer", customer.pk, f"missing capability {ENROL}")
    ident = profile.primary_identifier(actor, customer)
    id_value = str(ident.value) if ident is not None and isinstance(ident.value, str) else ""
    mobile = customer.mobile if isinstance(customer.mobile, str) else ""
    current = CustomerEditForm.initial_for(customer, ident.type if ident else "", "")
    kwargs: dict[str, Any] = {
        "managers": selectors.health_managers(actor),
        "can_edit": can_edit,
        "can_assign": can_assign,
        "current": current,
    }
    decision: DecisionForm | None = None
    warnings: list[Any] = []
    if request.method == "POST":
        form = CustomerEditForm(request.POST, **kwargs)
        if form.is_valid():
            confirmed = DecisionForm(request.POST, warnings=[]).confirmed_warnings()
            try:
                changed = _save_edit(actor, customer, form, confirmed)
            except InvalidValue as exc:
                show_error(form, exc)
            except WarningsToConfirm as exc:
                warnings = [message for _code, message in exc.warnings]
                decision = DecisionForm(
                    warnings=[code for code, _m in exc.warnings], confirm_label=_("确认无误，保存")
                )
            else:
                messages.success(request, _("已保存。") if changed else _("没有改动。"))
                return redirect("records:customer", customer_id=customer.pk)
    else:
        # The full mobile and ID number are not put in the form (D-16): blank keeps them.
        form = CustomerEditForm(initial=current, **kwargs)
    record(
        "customer.view",
        actor=actor,
        resource_type="customer",
        resource_id=str(customer.pk),
        customer_id=customer.pk,
        institution_id=customer.institution_id,
        defer=True,
    )
    contact = customer.emergency_contact if isinstance(customer.emergency_contact, dict) else {}
    for name, value, masker in (
        ("id_number", id_value, ids.mask_identifier),
        ("mobile", mobile, ids.mask_mobile),
        ("emergency_phone", str(contact.get("phone") or ""), ids.mask_mobile),
    ):
        if name in form.fields and value:
            form.fields[name].widget.attrs["placeholder"] = masker(value)
            form.fields[name].help_text = _("当前：%(masked)s。留空表示不修改。") % {
                "masked": masker(value)
            }
    return render(
        request,
        "records/customer_edit.html",
        {
            "form": form,
            "customer": customer,
            "name": str(customer.name or ""),
            "decision": decision,
            "warnings": warnings,
            "can_merge": actor.can(MERGE),
        },
    )


def _save_edit(
    actor: Actor, customer: Customer, form: CustomerEditForm, confirmed: set[str]
) -> bool:
    info = form.to_info() if form.edits_identity else None
    assign = "manager" in form.fields
    manager_id = form.manager_id() if assign else None

    def attempt(ok: bool) -> bool:
        return profile.save_edits(
            actor, customer, info, assign=assign, manager_id=manager_id, confirmed_warnings=ok
        )

    return _with_confirmation(attempt, confirmed)


# --- reveal -------------------------------------------------------------------------------------


@staff_view(REVEAL)
def customer_reveal(request: HttpRequest, customer_id: uuid.UUID, what: str) -> HttpResponse:
    actor = actor_for(request)
    # Scope first, so another institution's id is a 404 whatever the method (D-13).
    customer = customer_or_404(actor, customer_id, REVEAL)
    if what not in REVEALABLE:
        raise deny(actor, "customer", customer.pk, "unknown identity field")
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if what == "mobile":
        value = customer.mobile if isinstance(customer.mobile, str) else ""
    elif what == "emergency_phone":
        contact = customer.emergency_contact
        value = str(contact.get("phone") or "") if isinstance(contact, dict) else ""
    else:
        ident = profile.primary_identifier(actor, customer)
        value = str(ident.value) if ident is not None and isinstance(ident.value, str) else ""
    if value:
        # D-16: written at once, in its own transaction, before the value leaves the server.
        record(
            "identity.reveal",
            actor=actor,
            resource_type="customer",
            resource_id=str(customer.pk),
            customer_id=customer.pk,
            institution_id=customer.institution_id,
            purpose=what,
        )
    return render(
        request,
        "records/_identity.html",
        {"customer_id": customer.pk, "what": what, "value": value, "masked": "", "revealed": True},
    )


# --- member cards -------------------------------------------------------------------------------


def cards_context(actor: Actor, customer: Customer, *, error: str = "") -> dict[str, Any]:
    """What `records/cards_tab.html` needs: the customer's cards, newest first, each with its
    status, validity, the actions its status allows and its event history (two queries, plus
    one for the names of the staff who acted). The caller audits the read."""
    cards = list(
        MemberCard.objects.for_actor(actor, IDENTITY)
        .filter(customer_id=customer.pk)
        .order_by("-valid_from", "-created")
    )
    events: dict[uuid.UUID, list[CardEvent]] = {c.pk: [] for c in cards}
    rows = list(
        CardEvent.objects.for_actor(actor, IDENTITY)
        .filter(customer_id=customer.pk)
        .order_by("created")
    )
    for event in rows:
        events.setdefault(event.card_id, []).append(event)
    staff = selectors.staff_labels(actor, [e.created_by_id for e in rows if e.created_by_id])
    can_manage = actor.can(CARD)
    today = dt.date.today()
    return {
        "cards_customer": customer,
        "cards": [
            {
                "card": card,
                "level": choices.CARD_LEVEL_LABELS.get(card.level, card.level),
                "status_code": card.status_on(today),
                "status": choices.CARD_STATUS_LABELS.get(
                    card.status_on(today), card.status_on(today)
                ),
                "actions": [(e, EVENTS[e]) for e in OFFERED.get(card.status_on(today), [])]
                if can_manage
                else [],
                "can_change_level": can_manage and card.status_on(today) in MemberCard.IN_USE,
                "level_form": CardLevelForm(
                    prefix="level",
                    auto_id=f"id_{card.pk.hex}_%s",
                    initial={"card_level": card.level},
                ),
                "can_renew": can_manage
                and card.status in MemberCard.IN_USE
                and card.valid_until is not None,
                "renew_form": CardRenewForm(prefix="renew", auto_id=f"id_{card.pk.hex}_r_%s"),
                "events": [
                    {
                        "when": e.created,
                        "what": choices.CARD_EVENT_LABELS.get(e.kind, e.kind),
                        "note": _event_note(e),
                        "who": staff.get(e.created_by_id, "") if e.created_by_id else "",
                    }
                    for e in events.get(card.pk, [])
                ],
            }
            for card in cards
        ],
        "can_manage_cards": can_manage,
        "card_issue_form": CardIssueForm(prefix="issue"),
        "card_error": error,
        "card_notice": "",
    }


def _event_note(event: CardEvent) -> str:
    note = event.note if isinstance(event.note, str) else ""
    if event.kind == "level_changed":
        return str(choices.CARD_LEVEL_LABELS.get(note, note))
    return note


def _audit_cards_read(actor: Actor, customer: Customer) -> None:
    record(
        "card.list",
        actor=actor,
        resource_type="customer",
        resource_id=str(customer.pk),
        customer_id=customer.pk,
        institution_id=customer.institution_id,
        defer=True,
    )


def _cards_response(
    request: HttpRequest, actor: Actor, customer: Customer, notice: str, error: str
) -> HttpResponse:
    """HTMX: the refreshed cards fragment with the outcome in it; otherwise back to the page."""
    if is_htmx(request):
        context = cards_context(actor, customer, error=error)
        context["card_notice"] = notice
        _audit_cards_read(actor, customer)  # the fragment shows every card again (D-07)
        return render(request, "records/cards_tab.html", context)
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    return redirect("records:card_issue", customer_id=customer.pk)


@staff_view(CARD)
def card_issue(request: HttpRequest, customer_id: uuid.UUID) -> HttpResponse:
    """GET: the customer's cards with the issue form; POST: issue a card of the chosen level."""
    actor = actor_for(request)
    customer = customer_or_404(actor, customer_id, CARD)
    if request.method == "POST":
        form = CardIssueForm(request.POST, prefix="issue")
        notice = error = ""
        if not form.is_valid():
            error = _("请选择卡级别")
        else:
            try:
                card = card_services.issue_card(
                    actor, customer, level=form.cleaned_data["card_level"]
                )
            except InvalidValue as exc:
                error = str(exc.message)
            else:
                notice = _("已发卡，卡号 %(card)s。") % {"card": card.number}
        return _cards_response(request, actor, customer, notice, error)
    _audit_cards_read(actor, customer)
    return render(
        request,
        "records/cards_page.html",
        {"customer": customer, "name": str(customer.name or ""), **cards_context(actor, customer)},
    )


@staff_view(CARD)
def card_event(
    request: HttpRequest, customer_id: uuid.UUID, card_id: uuid.UUID, event: str
) -> HttpResponse:
    actor = actor_for(request)
    customer = customer_or_404(actor, customer_id, CARD)
    card = (
        MemberCard.objects.for_actor(actor, CARD)
        .filter(pk=card_id, customer_id=customer.pk)
        .first()
    )
    if card is None:
        raise deny(actor, "MemberCard", card_id, "not found for this customer")
    if event not in EVENTS:
        raise deny(actor, "MemberCard", card.pk, "unknown card event")
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    note_form = CardEventForm(request.POST)
    note = note_form.cleaned_data["note"] if note_form.is_valid() else ""
    notice = error = ""
    try:
        if event == "replace":
            new = card_services.replace_card(actor, card, note)
            notice = _("已换卡，新卡号 %(card)s。") % {"card": new.number}
        elif event == "change_level":
            level_form = CardLevelForm(request.POST, prefix="level")
            if not level_form.is_valid():
                raise InvalidValue(_("请选择卡级别"), field="card_level", code="card_level")
            card_services.change_level(actor, card, level_form.cleaned_data["card_level"])
            notice = _("已变更卡级别。")
        elif event == "renew":
            renew_form = CardRenewForm(request.POST, prefix="renew")
            if not renew_form.is_valid():
                raise InvalidValue(_("请选择续期年限"), field="years", code="renew_years")
            card_services.renew(actor, card, renew_form.cleaned_data["years"])
            notice = _("已续期至 %(date)s。") % {"date": card.valid_until}
        else:
            card_services.change_status(actor, card, event, note)
            notice = _("已办理：%(event)s。") % {"event": EVENTS[event]}
    except InvalidValue as exc:
        error = str(exc.message)
    return _cards_response(request, actor, customer, notice, error)


# --- manager panels -----------------------------------------------------------------------------


@staff_view(IDENTITY)
def manager_panel(request: HttpRequest, manager_id: uuid.UUID | None = None) -> HttpResponse:
    """A health manager's customers: /panel/ for one's own, /panel/<id>/ for a colleague's."""
    actor = actor_for(request)
    wanted = manager_id if manager_id is not None else actor.id
    manager = selectors.staff_member(actor, wanted) if wanted is not None else None
    if manager is None:
        raise deny(actor, "user", wanted, "manager not found in institution")
    managers = selectors.health_managers(actor)
    filter_form = CustomerFilterForm(
        {k: v for k, v in request.GET.items() if k in FILTER_KEYS and k != "manager"} or None,
        managers=managers,
    )
    del filter_form.fields["manager"]
    flt = selectors.CustomerFilter(manager_id=manager[0])
    query: dict[str, str] = {}
    if filter_form.is_bound and filter_form.is_valid():
        flt = dataclasses.replace(filter_form.to_filter(), manager_id=manager[0])
        query = {k: str(v) for k, v in filter_form.cleaned_data.items() if k in FILTER_KEYS and v}
    page = selectors.customer_page(actor, flt, page_number(request))
    rows = _row_context(actor, page.customers)
    _audit_shown(actor, "customer.list", page.customers)
    return render(
        request,
        "records/panel.html",
        {
            "manager_id": manager[0],
            "manager_label": manager[1],
            "own": manager[0] == actor.id,
            "managers": managers,
            "counts": selectors.panel_counts(actor, manager[0]),
            "rows": _labels(rows),
            "page": page,
            "page_query": urlencode(query),
            "filter_form": filter_form,
            "can_reveal": actor.can(REVEAL),
            "count_cap": selectors.COUNT_CAP,
        },
    )


# --- merge --------------------------------------------------------------------------------------


@staff_view(MERGE)
def customer_merge(request: HttpRequest, customer_id: uuid.UUID) -> HttpResponse:
    """Pick the duplicate (by ID number, mobile or card), compare both masked, confirm."""
    actor = actor_for(request)
    keep = customer_or_404(actor, customer_id, MERGE)
    step = request.POST.get("step", "") if request.method == "POST" else ""
    search_form = MergeSearchForm(request.POST if step == "find" else None)
    candidates: list[dict[str, Any]] = []
    drop: Customer | None = None
    error = ""
    _audit_shown(actor, "customer.view", [keep])
    if step == "find" and search_form.is_valid():
        _kind, found = selectors.search_customers(actor, search_form.cleaned_data["q"])
        shown = [c for c in found if c.pk != keep.pk][: selectors.PAGE_SIZE]
        _audit_shown(actor, "customer.list", shown)
        candidates = _labels(_row_context(actor, shown))
        if not candidates:
            error = _("没有找到其他符合的客户。")
    elif step in {"compare", "confirm"}:
        drop = customer_or_404(actor, request.POST.get("drop", ""), MERGE)
        if drop.pk == keep.pk:
            error = _("不能将客户与自身合并")
            drop = None
        elif step == "confirm":
            try:
                moved = merge_customers(actor, keep, drop)
            except NotFound as exc:
                raise deny(actor, "customer", drop.pk, "merge refused: out of scope") from exc
            except InvalidValue as exc:
                error = str(exc.message)
            else:
                messages.success(
                    request,
                    _("已合并：%(count)s 条记录已转入本客户。") % {"count": sum(moved.values())},
                )
                return redirect("records:customer", customer_id=keep.pk)
        if drop is not None:
            _audit_shown(actor, "customer.view", [drop])
    pair = _labels(_row_context(actor, [keep] if drop is None else [keep, drop]))
    return render(
        request,
        "records/merge.html",
        {
            "keep": keep,
            "keep_row": pair[0],
            "drop": drop,
            "pair": pair,
            "candidates": candidates,
            "search_form": search_form,
            "error": error,
        },
    )
