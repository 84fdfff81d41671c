"""The auditor's pages: the ledger list with filters, and the CSV export (re-authenticated).

The auditor sees ids, actions and outcomes only — no clinical content (three-role separation).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any, cast

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from jianguan.accounts.actors import actor_for
from jianguan.accounts.decorators import reauth_required, staff_view

from . import selectors
from .forms import KNOWN_ACTIONS, EntryFilterForm
from .ledger import format_time, record

CSV_COLUMNS = (
    "seq",
    "recorded",
    "actor_id",
    "username",
    "role",
    "institution_id",
    "action",
    "resource_type",
    "resource_id",
    "customer_id",
    "outcome",
    "client_address",
    "purpose",
    "request_id",
    "leaf_hash",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _seq(value: str | None) -> int | None:
    """A paging position; anything else (also a number too big for the database) is ignored."""
    return int(value) if value and value.isascii() and value.isdigit() and len(value) < 19 else None


def _filter_form(request: HttpRequest) -> EntryFilterForm:
    return EntryFilterForm(request.GET, institution_id=actor_for(request).institution_id)


def _list_page(request: HttpRequest, form: EntryFilterForm, status: int = 200) -> HttpResponse:
    actor = actor_for(request)
    page = None
    names: dict[Any, str] = {}
    if form.is_valid():
        qs = selectors.entries_for(actor, form.cleaned_data, form.actor_id)
        page = selectors.page_of(
            qs, before=_seq(request.GET.get("before")), after=_seq(request.GET.get("after"))
        )
        names = selectors.usernames(e.actor_id for e in page.entries)
    query = request.GET.copy()
    for key in ("before", "after"):
        query.pop(key, None)
    rows = (
        [{"entry": e, "username": names.get(e.actor_id, "")} for e in page.entries] if page else []
    )
    return render(
        request,
        "audit/entry_list.html",
        {
            "form": form,
            "rows": rows,
            "page": page,
            "query": query.urlencode(),
            "known_actions": KNOWN_ACTIONS,
        },
        status=status,
    )


@staff_view("audit.ledger.view")
def entry_list(request: HttpRequest) -> HttpResponse:
    return _list_page(request, _filter_form(request))


def _export_rows(request: HttpRequest, form: EntryFilterForm) -> Iterator[list[str]]:
    actor = actor_for(request)
    qs = selectors.entries_for(actor, form.cleaned_data, form.actor_id)
    yield list(CSV_COLUMNS)
    for chunk in selectors.iterate(qs):
        names = selectors.usernames(e.actor_id for e in chunk)
        for e in chunk:
            yield [
                csv_cell(v)
                for v in (
                    e.seq,
                    format_time(e.recorded),
                    e.actor_id,
                    names.get(e.actor_id, "") if e.actor_id else "",
                    e.role,
                    e.institution_id,
                    e.action,
                    e.resource_type,
                    e.resource_id,
                    e.customer_id,
                    e.outcome,
                    e.client_address,
                    e.purpose,
                    e.request_id,
                    bytes(e.leaf_hash).hex(),
                )
            ]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _filter_summary(form: EntryFilterForm) -> str:
    """What was exported, as ids (D-05: the username is replaced by the user's id)."""
    data = form.cleaned_data
    parts = [
        f"actor={form.actor_id}" if form.actor_id else "",
        f"action={data['action']}" if data.get("action") else "",
        f"outcome={data['outcome']}" if data.get("outcome") else "",
        f"since={format_time(data['since'])}" if data.get("since") else "",
        f"until={format_time(data['until'])}" if data.get("until") else "",
    ]
    return ";".join(p for p in parts if p)[:200]


@staff_view("audit.ledger.export")
@reauth_required
def export(request: HttpRequest) -> HttpResponse:
    form = _filter_form(request)
    if not form.is_valid():
        return _list_page(request, form, status=400)
    # The export is a security event: recorded now, before a single row leaves (AU-03).
    record(
        "audit.export",
        actor=actor_for(request),
        resource_type="audit_entry",
        resource_id=_filter_summary(form),
        customer_id=form.cleaned_data.get("customer"),
    )
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in _export_rows(request, form)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="audit-ledger.csv"'
    # staff_view is typed for HttpResponse; a streamed body is what a large export needs.
    return cast(HttpResponse, response)
