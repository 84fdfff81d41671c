"""Reading the ledger for the auditor: scoped to the auditor's institution, newest first."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q, QuerySet

from jianguan.accounts.models import User
from jianguan.core.actors import Actor

from .models import AuditEntry

PAGE_SIZE = 50


def entries_for(actor: Actor, filters: dict[str, Any], actor_id: uuid.UUID | None) -> QuerySet[Any]:
    """The auditor's institution's entries, and site-wide ones without an institution (failed
    logins of unknown accounts, system jobs), narrowed by the validated filters."""
    qs = AuditEntry.objects.filter(
        Q(institution_id=actor.institution_id) | Q(institution_id__isnull=True)
    )
    if filters.get("user"):
        qs = qs.filter(actor_id=actor_id)
    if filters.get("customer"):
        qs = qs.filter(customer_id=filters["customer"])
    action = filters.get("action") or ""
    if action.endswith(".*"):
        qs = qs.filter(action__startswith=action[:-1])
    elif action:
        qs = qs.filter(action=action)
    if filters.get("outcome"):
        qs = qs.filter(outcome=filters["outcome"])
    if filters.get("since"):
        qs = qs.filter(recorded__gte=filters["since"])
    if filters.get("until"):
        qs = qs.filter(recorded__lte=filters["until"])
    return qs


@dataclass
class Page:
    entries: list[AuditEntry]
    newer: int | None  # seq to pass as ?after= for the newer page
    older: int | None  # seq to pass as ?before= for the older page


def page_of(qs: QuerySet[Any], *, before: int | None, after: int | None) -> Page:
    """Keyset paging on seq: no OFFSET and no COUNT over a million rows."""
    qs = qs.defer("leaf_hash", "mac")
    if after is not None:
        rows = list(qs.filter(seq__gt=after).order_by("seq")[: PAGE_SIZE + 1])
        more_newer = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE][::-1]
        return Page(
            rows, rows[0].seq if rows and more_newer else None, rows[-1].seq if rows else None
        )
    if before is not None:
        qs = qs.filter(seq__lt=before)
    rows = list(qs.order_by("-seq")[: PAGE_SIZE + 1])
    more_older = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    newer = rows[0].seq if rows and before is not None else None
    return Page(rows, newer, rows[-1].seq if rows and more_older else None)


def usernames(actor_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    """One query for the usernames of a page of entries (no N+1)."""
    ids = {i for i in actor_ids if i is not None}
    if not ids:
        return {}
    return dict(
        User.objects.unscoped(reason="audit actor names")
        .filter(pk__in=ids)
        .values_list("pk", "username")
    )


def iterate(qs: QuerySet[Any], chunk: int = 2000) -> Iterator[list[AuditEntry]]:
    """All matching entries, oldest first, in keyset chunks (for the CSV export)."""
    qs = qs.defer("mac")
    after = 0
    while True:
        rows = list(qs.filter(seq__gt=after).order_by("seq")[:chunk])
        if not rows:
            return
        yield rows
        after = rows[-1].seq


def ledger_summary() -> dict[str, Any]:
    """Size of the ledger and its last signed head, for the auditor's dashboard card."""
    from django.db.models import Max

    from .heads import read_heads

    size = AuditEntry.objects.aggregate(n=Max("seq"))["n"]
    heads = read_heads()
    last = heads[-1] if heads else None
    return {
        "entries": size or 0,
        "head_size": last.get("tree_size") if last else None,
        "head_time": (
            datetime.fromtimestamp(int(last["timestamp"]) / 1000, tz=UTC) if last else None
        ),
    }
