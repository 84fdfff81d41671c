"""The audit ledger's tables: one row per entry, and the ids a background job run touched.

Entries hold ids only (D-05): no names, ID numbers, values, tokens or passwords. Rows are
append-only: the ORM refuses to update or delete them, PostgreSQL refuses it to the app role
(D-08, AU-07), and the keyed chain and signed heads detect it anywhere (D-06).
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models


class AppendOnly(RuntimeError):
    """Audit rows are never updated or deleted."""


class AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnly("audit rows are append-only")

    def delete(self) -> NoReturn:
        raise AppendOnly("audit rows are append-only")


class AuditEntry(models.Model):
    """One ledger entry. `seq` is the leaf number (leaf index seq − 1), gapless from 1 (D-08)."""

    seq = models.BigIntegerField(primary_key=True)
    recorded = models.DateTimeField()
    actor_id = models.UUIDField(null=True, blank=True)
    role = models.CharField(max_length=200, blank=True)
    institution_id = models.UUIDField(null=True, blank=True)
    action = models.CharField(max_length=64)
    resource_type = models.CharField(max_length=64, blank=True)
    resource_id = models.CharField(max_length=200, blank=True)
    customer_id = models.UUIDField(null=True, blank=True)
    outcome = models.CharField(max_length=10)
    client_address = models.CharField(max_length=64, blank=True)
    purpose = models.CharField(max_length=200, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    leaf_hash = models.BinaryField(max_length=32)
    mac = models.BinaryField(max_length=32)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        db_table = "audit_entry"
        # The auditor's filters; the institution index also serves the newest-first list.
        indexes = [
            models.Index(fields=["institution_id", "seq"], name="audit_inst_seq"),
            models.Index(fields=["actor_id"], name="audit_actor"),
            models.Index(fields=["customer_id"], name="audit_customer"),
            models.Index(fields=["action"], name="audit_action"),
            models.Index(fields=["recorded"], name="audit_recorded"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        raise AppendOnly("audit entries are written only by jianguan.audit.ledger")

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnly("audit rows are append-only")


class AuditJobItem(models.Model):
    """An id a background job run touched (D-07), in order; covered by its entry's digest."""

    entry = models.ForeignKey(
        AuditEntry, on_delete=models.PROTECT, db_column="entry_seq", related_name="items"
    )
    position = models.PositiveIntegerField()
    resource_id = models.CharField(max_length=200)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        db_table = "audit_job_item"
        constraints = [
            models.UniqueConstraint(fields=["entry", "position"], name="audit_job_item_position")
        ]

    def __str__(self) -> str:
        return f"#{self.entry_id}[{self.position}]"

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnly("audit rows are append-only")
