"""Housekeeping jobs of the platform, run by the job worker on a schedule (D-22)."""

from __future__ import annotations

from typing import Any

from django.db import connection

# (schedule name, function, minutes)
SCHEDULES = [
    ("core: send e-mail outbox", "jianguan.core.notify.send_outbox", 1),
    ("core: SQLite WAL checkpoint", "jianguan.core.maintenance.checkpoint_sqlite", 1),
    ("records: close expired member cards", "jianguan.records.jobs.close_expired_cards", 60),
    ("risk: population counts", "jianguan.risk.jobs.population_counts", 1440),
]


def checkpoint_sqlite() -> str:
    """Copy the SQLite WAL back into the database between requests.

    SQLite otherwise checkpoints from whichever commit crosses `wal_autocheckpoint` pages, and that
    request pays 10–20 ms (docs/benchmarks.md). The threshold is raised in settings and this passive
    checkpoint, which never blocks readers or writers, keeps the WAL short (nothing on PostgreSQL).
    """
    if connection.vendor != "sqlite":
        return "not sqlite"
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
        busy, log_pages, checkpointed = cursor.fetchone()
    return f"busy={busy} wal_pages={log_pages} checkpointed={checkpointed}"


def ensure_schedules(using: str = "default", **kwargs: Any) -> None:
    """Create or repair the platform's django-q2 schedules after every migrate."""
    from django.db import connections
    from django_q.models import Schedule

    if Schedule._meta.db_table not in connections[using].introspection.table_names():
        return
    for name, func, minutes in SCHEDULES:
        Schedule.objects.using(using).update_or_create(
            name=name,
            defaults={
                "func": func,
                "schedule_type": Schedule.MINUTES,
                "minutes": minutes,
                "repeats": -1,
            },
        )
