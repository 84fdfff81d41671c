"""Session facts kept server-side (SES-01..03, D-18).

A signed-in session carries `auth_at` (absolute lifetime), `last_seen` (idle timeout), `mfa_at`
(the second factor passed) and `epoch`, which must equal the user's `session_epoch`: raising the
epoch ends every session of the user on its next request, wherever it is stored.
"""

from __future__ import annotations

import time

from django.db.models import F
from django.http import HttpRequest

from ..models import User


def end_all_sessions(user: User) -> None:
    """Raise the user's session epoch: every session of the user is dead on its next request."""
    User.objects.unscoped(reason="end sessions").filter(pk=user.pk).update(
        session_epoch=F("session_epoch") + 1
    )
    user.refresh_from_db(fields=["session_epoch"])


def stamp(request: HttpRequest, user: User) -> None:
    """Mark a session as fully signed in now (password and second factor)."""
    now = time.time()
    request.session["mfa_at"] = now
    request.session["auth_at"] = now
    request.session["last_seen"] = now
    request.session["epoch"] = user.session_epoch


def end_other_sessions(request: HttpRequest, user: User) -> None:
    """End every session of the user except the one making this request."""
    end_all_sessions(user)
    request.session["epoch"] = user.session_epoch
