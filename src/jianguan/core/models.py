"""Staff notifications (D-20): an in-app inbox and an e-mail outbox.

Neither holds personal values: a notification names its kind, severity and a link inside the
site; the e-mail says only that something needs attention and where, and the recipient's address
is decrypted at send time from the user's record.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class Notification(models.Model):
    SEVERITIES = [("info", "info"), ("warning", "warning"), ("critical", "critical")]

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    institution = models.ForeignKey(
        "accounts.Institution", on_delete=models.CASCADE, related_name="+"
    )
    recipient = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=60)
    severity = models.CharField(max_length=10, choices=SEVERITIES, default="info")
    link = models.CharField(max_length=300, blank=True, default="")
    created = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["recipient", "read_at", "-created"])]

    def __str__(self) -> str:
        return self.kind


class OutboundEmail(models.Model):
    STATUSES = [("pending", "pending"), ("sent", "sent"), ("failed", "failed")]

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    notification = models.OneToOneField(
        Notification, on_delete=models.CASCADE, related_name="email"
    )
    status = models.CharField(max_length=10, choices=STATUSES, default="pending")
    attempts = models.PositiveSmallIntegerField(default=0)
    created = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=60, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["status", "created"])]

    def __str__(self) -> str:
        return self.status
