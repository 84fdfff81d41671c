"""Serialising work per institution inside a transaction (the enrolment duplicate check, D-29)."""

from __future__ import annotations

import hashlib
import uuid

from django.db import connection


def institution_lock(institution_id: uuid.UUID, purpose: str) -> None:
    """Hold a lock for (institution, purpose) until the current transaction ends.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: every transaction already begins
    IMMEDIATE (settings), i.e. holds the database's write lock, which serialises the same work.
    """
    if connection.vendor != "postgresql":
        return
    digest = hashlib.sha256(f"{purpose}|{institution_id}".encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
