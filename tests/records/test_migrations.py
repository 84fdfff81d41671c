"""The record's migrations on a database that already holds rows: existing results become
final without copying the table, and a customer's extra cards in use are closed."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("records", "0001_initial")]


def _latest() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    return [key for key in executor.loader.graph.leaf_nodes() if key[0] == "records"]


def test_results_and_cards_made_before_0002_survive_it() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    Institution = apps.get_model("accounts", "Institution")
    inst = Institution.objects.create(code="mig", name="迁移测试")
    customer, when = uuid.uuid4(), "2025-01-01 00:00:00"
    # Raw rows: the historical models lack the blind-index hooks of the real ones.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO records_customer (id, institution_id, sex, source_channel,"
            " consent_version, status, created, updated) VALUES (%s, %s, 'F', '', '', 'active',"
            " %s, %s)",
            [customer.hex, inst.pk.hex, when, when],
        )
        cursor.execute(
            "INSERT INTO records_observation (id, institution_id, customer_id, created, loinc,"
            " local_code, unit, effective, source, source_key) VALUES (%s, %s, %s, %s,"
            " '8480-6', '', 'mm[Hg]', %s, 'manual', '')",
            [uuid.uuid4().hex, inst.pk.hex, customer.hex, when, when],
        )
        for n in (1, 2):
            cursor.execute(
                "INSERT INTO records_membercard (id, institution_id, customer_id, created,"
                " number, level, status, valid_from) VALUES (%s, %s, %s, %s, %s, 'standard',"
                " 'active', %s)",
                [
                    uuid.uuid4().hex,
                    inst.pk.hex,
                    customer.hex,
                    when,
                    f"80000000000{n}",
                    f"202{n}-01-01",
                ],
            )
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(_latest())
        with connection.cursor() as cursor:
            cursor.execute("SELECT status FROM records_observation")
            assert [row[0] for row in cursor.fetchall()] == ["final"]
            cursor.execute(
                "SELECT id, status FROM records_membercard ORDER BY valid_from",
            )
            statuses = [row[1] for row in cursor.fetchall()]
        assert statuses == ["replaced", "active"]
    finally:
        MigrationExecutor(connection).migrate(_latest())
