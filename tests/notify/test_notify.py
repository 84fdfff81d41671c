"""Staff notifications: inbox rows for a user or a role, e-mail through a real SMTP server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from jianguan.core.models import Notification, OutboundEmail
from jianguan.core.notify import notify, send_outbox


class Collect(Message):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[Any] = []

    def handle_message(self, message: Any) -> None:
        self.messages.append(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[Collect]:
    handler = Collect()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    yield handler
    controller.stop()


def test_role_notification_reaches_every_active_holder_and_nobody_else(
    make_user, institution
) -> None:  # type: ignore[no-untyped-def]
    sec1 = make_user("security_admin")
    sec2 = make_user("security_admin")
    disabled = make_user("security_admin")
    disabled.is_active = False
    disabled.save()
    make_user("doctor")
    notes = notify(
        institution_id=institution.id,
        kind="security.lockout",
        severity="warning",
        role="security_admin",
        email=False,
    )
    assert {n.recipient_id for n in notes} == {sec1.id, sec2.id}
    assert OutboundEmail.objects.count() == 0


def test_role_notification_stays_inside_the_institution(
    make_user, institution, other_institution
) -> None:  # type: ignore[no-untyped-def]
    make_user("security_admin", inst=other_institution)
    notes = notify(
        institution_id=institution.id, kind="security.lockout", role="security_admin", email=False
    )
    assert notes == []


def test_email_is_sent_through_a_loopback_smtp_server(  # type: ignore[no-untyped-def]
    smtp_server: Collect, make_user, institution
) -> None:
    user = make_user("security_admin")
    user.email = "sec@example.test"
    user.save()
    notify(institution_id=institution.id, kind="security.lockout", link="/audit/", users=[user.id])
    # The test transaction never commits, so no on-commit send is queued: drain as the job does.
    send_outbox()
    assert len(smtp_server.messages) == 1
    msg = smtp_server.messages[0]
    assert msg["To"] == "sec@example.test"
    body = msg.get_payload(decode=True).decode()
    assert "/audit/" in body
    assert OutboundEmail.objects.get().status == "sent"


def test_failed_send_stays_pending_for_a_retry(make_user, institution, settings) -> None:  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens there
    user = make_user("security_admin")
    user.email = "sec@example.test"
    user.save()
    notify(institution_id=institution.id, kind="security.lockout", users=[user.id])
    assert send_outbox() == 0
    item = OutboundEmail.objects.get()
    assert item.status == "pending"
    assert item.attempts == 1
    assert item.error_code


def test_unread_notifications_are_listed_newest_first(make_user, institution) -> None:  # type: ignore[no-untyped-def]
    user = make_user("doctor")
    notify(institution_id=institution.id, kind="a", users=[user.id], email=False)
    notify(institution_id=institution.id, kind="b", users=[user.id], email=False)
    kinds = [n.kind for n in Notification.objects.filter(recipient=user).order_by("-created")]
    assert kinds == ["b", "a"]


def test_dashboard_lists_unread_notifications_and_marks_one_read(staff_client, institution) -> None:  # type: ignore[no-untyped-def]
    client, user = staff_client("security_admin")
    (note,) = notify(
        institution_id=institution.id,
        kind="security.lockout",
        severity="warning",
        users=[user.id],
        email=False,
    )
    page = client.get("/").content.decode()
    assert "账户因多次登录失败被暂时锁定" in page
    response = client.post(f"/inbox/{note.id}/read/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "账户因多次登录失败被暂时锁定" not in response.content.decode()
    note.refresh_from_db()
    assert note.read_at is not None


def test_nobody_can_mark_another_users_notification_read(
    staff_client, make_user, institution
) -> None:  # type: ignore[no-untyped-def]
    other = make_user("security_admin")
    (note,) = notify(
        institution_id=institution.id, kind="security.lockout", users=[other.id], email=False
    )
    client, _ = staff_client("security_admin")
    client.post(f"/inbox/{note.id}/read/")
    note.refresh_from_db()
    assert note.read_at is None


def test_lockout_notifies_the_account_holder_and_security_admins(
    client, make_user, institution
) -> None:  # type: ignore[no-untyped-def]
    sec = make_user("security_admin")
    victim = make_user("doctor")
    for _ in range(5):
        client.post(
            "/accounts/login/", {"username": victim.username, "password": "wrong password 1"}
        )
    recipients = set(
        Notification.objects.filter(kind="security.lockout").values_list("recipient_id", flat=True)
    )
    assert recipients == {sec.id, victim.id}


def test_admin_mfa_reset_notifies_the_holder(staff_client, make_user) -> None:  # type: ignore[no-untyped-def]
    client, _admin = staff_client("institution_admin")
    user = make_user("doctor")
    response = client.post(f"/accounts/users/{user.id}/mfa-reset/")
    assert response.status_code in (200, 302)
    assert Notification.objects.filter(kind="security.mfa_reset", recipient=user).exists()
