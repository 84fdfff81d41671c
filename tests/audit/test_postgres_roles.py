"""PostgreSQL (D-08, AU-07): the app role may insert and read audit rows, never change them."""

from __future__ import annotations

import uuid

import pytest
from django.db import DatabaseError, connection, transaction

from jianguan.audit.ledger import record
from jianguan.audit.models import AuditEntry
from jianguan.audit.verify import verify_ledger
from jianguan.core.actors import Actor
from tests.conftest import ON_POSTGRES

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        not ON_POSTGRES, reason="SQLite has no roles; there the keyed chain is the control"
    ),
]


def as_app_role(statement: str) -> None:
    """Run one statement as jianguan_app inside a savepoint, so a refusal leaves the test usable."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE jianguan_app")
        cursor.execute(statement)


@pytest.fixture
def entry(doctor_actor: Actor) -> AuditEntry:
    record("customer.view", actor=doctor_actor, customer_id=uuid.uuid4())
    return AuditEntry.objects.get()


def test_audit_tables_belong_to_the_owner_role() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, tableowner FROM pg_tables "
            "WHERE tablename IN ('audit_entry', 'audit_job_item') ORDER BY tablename"
        )
        assert cursor.fetchall() == [
            ("audit_entry", "jianguan_audit_owner"),
            ("audit_job_item", "jianguan_audit_owner"),
        ]


@pytest.mark.usefixtures("entry")
def test_app_role_cannot_update_entries() -> None:
    with pytest.raises(DatabaseError, match="permission denied"):
        as_app_role("UPDATE audit_entry SET outcome = 'failure'")


@pytest.mark.usefixtures("entry")
def test_app_role_cannot_delete_entries() -> None:
    with pytest.raises(DatabaseError, match="permission denied"):
        as_app_role("DELETE FROM audit_entry")


@pytest.mark.usefixtures("entry")
def test_app_role_cannot_truncate_entries() -> None:
    with pytest.raises(DatabaseError, match="permission denied"):
        as_app_role("TRUNCATE audit_entry")


def test_app_role_cannot_change_job_items() -> None:
    from jianguan.audit.ledger import record_job_run

    record_job_run("tags", action="tags.recompute", resource_type="customer", ids=["a"])
    with pytest.raises(DatabaseError, match="permission denied"):
        as_app_role("UPDATE audit_job_item SET resource_id = 'b'")
    with pytest.raises(DatabaseError, match="permission denied"):
        as_app_role("DELETE FROM audit_job_item")


def test_app_role_can_append_and_read(doctor_actor: Actor) -> None:
    from jianguan.audit.ledger import record_job_run

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL ROLE jianguan_app")
        record("customer.view", actor=doctor_actor)
        record_job_run("tags", action="tags.recompute", resource_type="customer", ids=["a"])
        assert AuditEntry.objects.count() == 2
        assert verify_ledger().ok
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone() == ("jianguan_app",)


def test_roles_cannot_log_in() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolname, rolcanlogin FROM pg_roles "
            "WHERE rolname IN ('jianguan_app', 'jianguan_audit_owner') ORDER BY rolname"
        )
        assert cursor.fetchall() == [("jianguan_app", False), ("jianguan_audit_owner", False)]
