"""Platform housekeeping: the job schedules exist after migrate, and the SQLite checkpoint runs."""

from __future__ import annotations

import pytest
from django.db import connection
from django_q.models import Schedule

from jianguan.core.maintenance import SCHEDULES, checkpoint_sqlite


def test_every_platform_schedule_exists_after_migrate(db: None) -> None:
    names = set(Schedule.objects.values_list("name", flat=True))
    for name, _func, _minutes in SCHEDULES:
        assert name in names
    assert "audit: signed tree head" in names


def test_schedules_run_every_minute_forever(db: None) -> None:
    for name, func, minutes in SCHEDULES:
        schedule = Schedule.objects.get(name=name)
        assert schedule.func == func
        assert schedule.minutes == minutes
        assert schedule.repeats == -1


def test_wal_checkpoint_job_reports_what_it_did(transactional_db: None) -> None:
    result = checkpoint_sqlite()
    if connection.vendor == "sqlite":
        assert result.startswith("busy=")
    else:
        assert result == "not sqlite"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite setting")
def test_sqlite_connection_uses_wal_and_immediate_transactions(db: None) -> None:
    options = connection.settings_dict["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "wal_autocheckpoint=20000" in options["init_command"]
