"""Wrapped data keys (DEKs), one per customer and one per institution, outside the main database.

D-02: a separate SQLite file by default (`var/keystore.sqlite3`). Erasure deletes the wrapped DEK
and appends to an append-only deletion log beside it, so that `jianguan keys replay-deletions`
can re-apply erasures after both databases were restored from a backup.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from .keys import WrappedKey

SCHEMA = """
CREATE TABLE IF NOT EXISTS wrapped_dek (
    scope_id TEXT PRIMARY KEY,
    kek_id TEXT NOT NULL,
    kek_version INTEGER NOT NULL,
    wrapped BLOB NOT NULL,
    created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS wrapped_dek_version ON wrapped_dek(kek_version);
CREATE TABLE IF NOT EXISTS deletion_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    scope_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    deleted TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS deletion_log_append_only_u BEFORE UPDATE ON deletion_log
BEGIN SELECT RAISE(ABORT, 'deletion_log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS deletion_log_append_only_d BEFORE DELETE ON deletion_log
BEGIN SELECT RAISE(ABORT, 'deletion_log is append-only'); END;
"""


class KeyStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def get(self, scope_id: uuid.UUID) -> WrappedKey | None:
        row = (
            self._conn()
            .execute(
                "SELECT kek_id, kek_version, wrapped FROM wrapped_dek WHERE scope_id = ?",
                (str(scope_id),),
            )
            .fetchone()
        )
        return WrappedKey(row[0], int(row[1]), bytes(row[2])) if row else None

    def put_if_absent(self, scope_id: uuid.UUID, wrapped: WrappedKey) -> WrappedKey:
        """Store a new wrapped DEK unless another process stored one first; return the stored one."""
        with self._tx() as conn:
            deleted = conn.execute(
                "SELECT 1 FROM deletion_log WHERE scope_id = ? LIMIT 1", (str(scope_id),)
            ).fetchone()
            if deleted:
                # An erased scope never gets a fresh key: its old ciphertexts must stay unreadable
                # and new writes for it are refused by the caller.
                from .errors import KeyDestroyed

                raise KeyDestroyed(f"scope {scope_id} was erased")
            conn.execute(
                "INSERT OR IGNORE INTO wrapped_dek VALUES (?, ?, ?, ?, ?)",
                (
                    str(scope_id),
                    wrapped.kek_id,
                    wrapped.kek_version,
                    wrapped.blob,
                    datetime.now(UTC).isoformat(),
                ),
            )
        stored = self.get(scope_id)
        assert stored is not None
        return stored

    def replace(self, scope_id: uuid.UUID, wrapped: WrappedKey) -> None:
        with self._tx() as conn:
            conn.execute(
                "UPDATE wrapped_dek SET kek_id = ?, kek_version = ?, wrapped = ? WHERE scope_id = ?",
                (wrapped.kek_id, wrapped.kek_version, wrapped.blob, str(scope_id)),
            )

    def destroy(self, scope_id: uuid.UUID, reason: str) -> None:
        with self._tx() as conn:
            conn.execute("DELETE FROM wrapped_dek WHERE scope_id = ?", (str(scope_id),))
            conn.execute(
                "INSERT INTO deletion_log (scope_id, reason, deleted) VALUES (?, ?, ?)",
                (str(scope_id), reason, datetime.now(UTC).isoformat()),
            )

    def was_destroyed(self, scope_id: uuid.UUID) -> bool:
        row = (
            self._conn()
            .execute("SELECT 1 FROM deletion_log WHERE scope_id = ? LIMIT 1", (str(scope_id),))
            .fetchone()
        )
        return row is not None

    def replay_deletions(self) -> int:
        """Re-apply every logged erasure (after a restore); return how many keys were deleted."""
        with self._tx() as conn:
            cur = conn.execute(
                "DELETE FROM wrapped_dek WHERE scope_id IN (SELECT scope_id FROM deletion_log)"
            )
            return cur.rowcount

    def scopes_below(self, version: int) -> list[tuple[uuid.UUID, WrappedKey]]:
        rows = self._conn().execute(
            "SELECT scope_id, kek_id, kek_version, wrapped FROM wrapped_dek WHERE kek_version < ?",
            (version,),
        )
        return [(uuid.UUID(r[0]), WrappedKey(r[1], int(r[2]), bytes(r[3]))) for r in rows]

    def version_counts(self) -> dict[int, int]:
        rows = self._conn().execute(
            "SELECT kek_version, count(*) FROM wrapped_dek GROUP BY kek_version"
        )
        return {int(v): int(n) for v, n in rows}

    def deletion_count(self) -> int:
        row = self._conn().execute("SELECT count(*) FROM deletion_log").fetchone()
        return int(row[0])
