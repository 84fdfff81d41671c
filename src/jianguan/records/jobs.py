"""Background jobs of the record, run by the job worker on a schedule (core.maintenance)."""

from __future__ import annotations

import datetime as dt

from jianguan.audit.ledger import record_job_run
from jianguan.core.actors import Actor

from .models import MemberCard
from .services import cards

JOB = "records.close_expired_cards"


def close_expired_cards(today: dt.date | None = None) -> str:
    """Mark every member card still in use past its validity as expired, with its card event,
    and one audit entry per institution listing the cards (D-07)."""
    today = today or dt.date.today()
    due = list(
        MemberCard.objects.unscoped(reason="nightly pass over card validity")
        .filter(status__in=MemberCard.IN_USE, valid_until__lt=today)
        .order_by("institution_id", "valid_until")
    )
    closed: dict[object, list[str]] = {}
    for card in due:
        if cards.close_expired(Actor.system(JOB, card.institution_id), card, today, audit=False):
            closed.setdefault(card.institution_id, []).append(str(card.pk))
    for institution_id, ids in closed.items():
        record_job_run(
            JOB,
            action="card.expired",
            resource_type="MemberCard",
            ids=ids,
            institution_id=institution_id,  # type: ignore[arg-type]
        )
    return f"closed={sum(len(v) for v in closed.values())}"
