"""`notify(recipient or role, kind, severity, link)`: the one way to tell staff something (D-20)."""

from __future__ import annotations

import logging
import smtplib
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Notification, OutboundEmail

log = logging.getLogger("jianguan.notify")

MAX_ATTEMPTS = 5

# What each kind is called in the inbox and in the e-mail subject.
KINDS = {
    "security.lockout": "账户因多次登录失败被暂时锁定",
    "security.mfa_reset": "账户的双因素认证已被重置",
    "security.password_changed": "账户密码已修改",
    "clinical.alert": "有需要立即处理的临床提醒",
}


def kind_label(kind: str) -> str:
    return _(KINDS.get(kind, kind))


def _recipients(
    institution_id: uuid.UUID, user_ids: Iterable[uuid.UUID], role: str | None
) -> list[uuid.UUID]:
    from jianguan.accounts.selectors import active_user_ids_with_role

    ids = set(user_ids)
    if role:
        ids |= set(active_user_ids_with_role(institution_id, role))
    return sorted(ids)


def notify(
    *,
    institution_id: uuid.UUID,
    kind: str,
    severity: str = "info",
    link: str = "",
    users: Iterable[uuid.UUID] = (),
    role: str | None = None,
    email: bool = True,
) -> list[Notification]:
    """Put a notification in each recipient's inbox and, if asked, queue an e-mail for each."""
    recipients = _recipients(institution_id, users, role)
    created: list[Notification] = []
    with transaction.atomic():
        for user_id in recipients:
            note = Notification.objects.create(
                institution_id=institution_id,
                recipient_id=user_id,
                kind=kind,
                severity=severity,
                link=link,
            )
            if email:
                OutboundEmail.objects.create(notification=note)
            created.append(note)
    if email and created:
        transaction.on_commit(_enqueue_send)
    return created


def _enqueue_send() -> None:
    from django_q.tasks import async_task

    async_task("jianguan.core.notify.send_outbox", task_name="send_outbox")


def send_outbox(limit: int = 100) -> int:
    """Send pending e-mails; a failed send is retried on the next run, up to MAX_ATTEMPTS."""
    from jianguan.accounts.selectors import email_address_of

    sent = 0
    pending = OutboundEmail.objects.filter(status="pending").select_related("notification")[:limit]
    for item in pending:
        note = item.notification
        address = email_address_of(note.recipient_id)
        if not address:
            item.status, item.error_code = "failed", "no_address"
            item.save(update_fields=["status", "error_code"])
            continue
        base = getattr(settings, "JIANGUAN_SITE_URL", "")
        message = EmailMessage(
            subject=f"[健管] {kind_label(note.kind)}",
            body=_("请登录健管查看：") + f"{base}{note.link or '/'}",
            to=[address],
        )
        try:
            message.send(fail_silently=False)
        except (smtplib.SMTPException, OSError) as exc:
            item.attempts += 1
            item.error_code = type(exc).__name__[:60]
            item.status = "failed" if item.attempts >= MAX_ATTEMPTS else "pending"
            item.save(update_fields=["attempts", "error_code", "status"])
            log.warning("outbox send failed (%s), attempt %s", item.error_code, item.attempts)
            continue
        item.status, item.sent_at = "sent", timezone.now()
        item.attempts += 1
        item.save(update_fields=["status", "sent_at", "attempts"])
        sent += 1
    return sent


def unread_for(user_id: uuid.UUID, limit: int = 20) -> list[Notification]:
    return list(
        Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).order_by(
            "-created"
        )[:limit]
    )


def mark_read(user_id: uuid.UUID, notification_id: str) -> bool:
    """Mark a notification read, only if it is the user's own; False for anything else."""
    try:
        wanted = uuid.UUID(str(notification_id))
    except ValueError:
        return False
    return (
        Notification.objects.filter(pk=wanted, recipient_id=user_id, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        == 1
    )
