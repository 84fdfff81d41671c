from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate

HEAD_SCHEDULE_NAME = "audit: signed tree head"
HEAD_FUNC = "jianguan.audit.heads.write_head"


def ensure_head_schedule(using: str = "default", **kwargs: Any) -> None:
    """A signed tree head every 60 s (D-06): one django-q2 schedule, created or repaired."""
    from django.db import connections
    from django_q.models import Schedule

    if Schedule._meta.db_table not in connections[using].introspection.table_names():
        return
    Schedule.objects.using(using).update_or_create(
        name=HEAD_SCHEDULE_NAME,
        defaults={
            "func": HEAD_FUNC,
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )


class AuditConfig(AppConfig):
    name = "jianguan.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        post_migrate.connect(ensure_head_schedule, sender=self, dispatch_uid="audit-head-schedule")
