"""AuditFlushMiddleware: deferred entries are appended once the response is decided."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from jianguan.accounts.models import User
from jianguan.audit.ledger import record
from jianguan.audit.middleware import AuditFlushMiddleware
from jianguan.audit.models import AuditEntry
from jianguan.core.actors import Actor

pytestmark = pytest.mark.django_db


def test_entries_of_a_request_are_appended_after_the_view(doctor_actor: Actor) -> None:
    seen_during_view: list[int] = []

    def view(request: HttpRequest) -> HttpResponse:
        for _ in range(5):
            record("customer.view", actor=doctor_actor, defer=True)
        seen_during_view.append(AuditEntry.objects.count())
        return HttpResponse("ok")

    response = AuditFlushMiddleware(view)(RequestFactory().get("/"))
    assert response.status_code == 200
    assert seen_during_view == [0]
    assert AuditEntry.objects.count() == 5


def test_entries_are_appended_when_the_view_raises(doctor_actor: Actor) -> None:
    def view(request: HttpRequest) -> HttpResponse:
        record("access.denied", actor=doctor_actor, outcome="denied", defer=True)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        AuditFlushMiddleware(view)(RequestFactory().get("/"))
    assert AuditEntry.objects.get().outcome == "denied"


def test_denied_page_is_audited_with_the_request_id(
    staff_client: Callable[..., tuple[Client, User]],
) -> None:
    client, user = staff_client("doctor")
    response = client.get(reverse("audit:entry_list"))
    assert response.status_code == 404
    entry = AuditEntry.objects.get(action="access.denied")
    assert (entry.actor_id, entry.outcome, entry.request_id) == (
        user.pk,
        "denied",
        response["X-Request-ID"],
    )
    assert entry.purpose == "missing capability audit.ledger.view"
