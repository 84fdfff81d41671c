from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "jianguan.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
        from .maintenance import ensure_schedules

        post_migrate.connect(ensure_schedules, sender=self, dispatch_uid="core-schedules")
