"""Shell pages: dashboard, key status, and the error pages (generic, with a correlation id)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from jianguan.accounts.decorators import staff_view
from jianguan.accounts.models import User
from jianguan.core import context
from jianguan.core.notify import kind_label, mark_read, unread_for

log = logging.getLogger("jianguan.web")


@staff_view()
def dashboard(request: HttpRequest) -> HttpResponse:
    from jianguan.accounts.matrix import roles

    labels = roles()
    user = request.user
    assert isinstance(user, User)  # staff_view let only signed-in staff through
    held = [labels.get(code, code) for code in sorted(user.role_codes)]
    return render(
        request,
        "web/dashboard.html",
        {"role_labels": held, "inbox": inbox_items(user.pk), "cards": dashboard_cards(user)},
    )


def dashboard_cards(user: User) -> dict[str, Any]:
    """Figures for the cards the user's roles may open; each comes from its app's selectors."""
    from jianguan.accounts.actors import actor_for_user
    from jianguan.accounts.selectors import user_counts
    from jianguan.accounts.services.totp import remaining_recovery_codes

    actor = actor_for_user(user)
    cards: dict[str, Any] = {"recovery_codes": remaining_recovery_codes(user)}
    if actor.can("accounts.user.view"):
        cards["users"] = user_counts(actor)
    if actor.can("audit.ledger.view"):
        from jianguan.audit.selectors import ledger_summary

        cards["ledger"] = ledger_summary()
    if actor.can("security.keys.view"):
        from jianguan.core.keyadmin import status

        cards["key_status"] = status()
    return cards


def inbox_items(user_id: uuid.UUID) -> list[dict[str, Any]]:
    return [
        {
            "id": n.id,
            "label": kind_label(n.kind),
            "severity": n.severity,
            "link": n.link,
            "at": n.created,
        }
        for n in unread_for(user_id)
    ]


@staff_view()
@require_POST
def inbox_read(request: HttpRequest, notification_id: str) -> HttpResponse:
    """Mark one of the user's own notifications read; answers with the refreshed inbox (htmx)."""
    user = request.user
    assert isinstance(user, User)
    mark_read(user.pk, notification_id)
    return render(request, "web/_inbox.html", {"inbox": inbox_items(user.pk)})


@staff_view("security.keys.view")
def key_status(request: HttpRequest) -> HttpResponse:
    from jianguan.core.keyadmin import status

    return render(request, "web/key_status.html", {"status": status()})


def _error(request: HttpRequest, status: int, template: str) -> HttpResponse:
    response = render(
        request, template, {"correlation_id": context.current().request_id}, status=status
    )
    return response


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, "web/404.html")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, "web/400.html")


def server_error(request: HttpRequest) -> HttpResponse:
    # ID-05: the log has the stack trace under the correlation id; the page has only the id.
    return _error(request, 500, "web/500.html")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    log.warning("csrf failure: %s", reason)
    return _error(request, 403, "web/csrf.html")
