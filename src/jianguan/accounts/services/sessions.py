"""Session facts kept server-side (SES-01..03)."""

from __future__ import annotations

from django.db.models import F

from ..models import User


def end_all_sessions(user: User) -> None:
    """Raise the user's session epoch: every existing session of the user is dead on its next request."""
    User.objects.unscoped(reason="end sessions").filter(pk=user.pk).update(
        session_epoch=F("session_epoch") + 1
    )
    user.refresh_from_db(fields=["session_epoch"])
