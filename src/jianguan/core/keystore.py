"""Wrapped data keys (DEKs), one per customer and one per institution, outside the main database.

D-02: a separate SQLite file by default (`var/keystore.sqlite3`). Erasure appends the scope to an
append-only deletion log *beside* the key store (`keystore-deletions.jsonl`, a plain file that is
never restored from a backup), then deletes the wrapped DEK. After the main database and the key
store were restored from a backup taken before an erasure, `jianguan keys replay-deletions`
deletes the resurrected DEKs again (PR-04). Until then the key ring already refuses every scope
in the log, so a restore does not make erased data readable as long as the log itself survives:
back it up, but never restore an older copy over it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from .errors import KeyDestroyed, KeysMissing
from .keys import WrappedKey, auto_create_keys

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
        self.deletion_log_path = path.with_name(f"{path.stem}-deletions.jsonl")
        self._local = threading.local()
        self.allow_create = False
        self._log_lock = threading.Lock()
        self._log_stamp: tuple[int, int] | None = None
        self._log_scopes: frozenset[str] = frozenset()

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if not self.path.exists() and not (self.allow_create or auto_create_keys()):
                raise KeysMissing(
                    f"the key store {self.path} is missing: restore it from its backup, or run "
                    "`jianguan keys init` on a new installation"
                )
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

    def checkpoint(self) -> None:
        """Fold the -wal file into the main file, so that a plain file copy is a full backup."""
        self._conn().execute("PRAGMA wal_checkpoint(TRUNCATE)")

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
        """Store a new wrapped DEK unless another process stored one first; return the stored."""
        with self._tx() as conn:
            deleted = conn.execute(
                "SELECT 1 FROM deletion_log WHERE scope_id = ? LIMIT 1", (str(scope_id),)
            ).fetchone()
            if deleted or str(scope_id) in self.logged_deletions():
                # An erased scope never gets a fresh key: its old ciphertexts must stay unreadable
                # and new writes for it are refused by the caller.
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
                "UPDATE wrapped_dek SET kek_id = ?, kek_version = ?, wrapped = ?"
                " WHERE scope_id = ?",
                (wrapped.kek_id, wrapped.kek_version, wrapped.blob, str(scope_id)),
            )

    # -- the deletion log (a file beside the key store) ------------------------------------------
    def _append_deletion(self, scope_id: uuid.UUID, reason: str) -> None:
        line = json.dumps(
            {"scope_id": str(scope_id), "reason": reason, "deleted": datetime.now(UTC).isoformat()},
            sort_keys=True,
        )
        self.deletion_log_path.parent.mkdir(parents=True, exist_ok=True)
        # O_APPEND: a single short write is appended whole even with several writers.
        fd = os.open(self.deletion_log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (line + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def logged_deletions(self) -> frozenset[str]:
        """Scope ids (as strings) in the deletion log file; re-read only when the file changed."""
        try:
            st = os.stat(self.deletion_log_path)
        except FileNotFoundError:
            return frozenset()
        stamp = (st.st_ino, st.st_size)
        with self._log_lock:
            if stamp != self._log_stamp:
                scopes = set()
                with open(self.deletion_log_path, encoding="utf-8") as fh:
                    for line in fh:
                        if line.strip():
                            scopes.add(json.loads(line)["scope_id"])
                self._log_scopes = frozenset(scopes)
                self._log_stamp = stamp
            return self._log_scopes

    def destroy(self, scope_id: uuid.UUID, reason: str) -> None:
        # Log first: if the process dies in between, replay finishes the erasure; the other
        # order could lose an erasure that a later restore would then undo.
        self._append_deletion(scope_id, reason)
        with self._tx() as conn:
            conn.execute("DELETE FROM wrapped_dek WHERE scope_id = ?", (str(scope_id),))
            conn.execute(
                "INSERT INTO deletion_log (scope_id, reason, deleted) VALUES (?, ?, ?)",
                (str(scope_id), reason, datetime.now(UTC).isoformat()),
            )

    def was_destroyed(self, scope_id: uuid.UUID) -> bool:
        if str(scope_id) in self.logged_deletions():
            return True
        row = (
            self._conn()
            .execute("SELECT 1 FROM deletion_log WHERE scope_id = ? LIMIT 1", (str(scope_id),))
            .fetchone()
        )
        return row is not None

    def replay_deletions(self) -> int:
        """Re-apply every logged erasure (after a restore); return how many keys were deleted."""
        logged = self.logged_deletions()
        now = datetime.now(UTC).isoformat()
        with self._tx() as conn:
            known = {r[0] for r in conn.execute("SELECT scope_id FROM deletion_log")}
            conn.executemany(
                "INSERT INTO deletion_log (scope_id, reason, deleted) VALUES (?, ?, ?)",
                [(scope, "replayed from the deletion log", now) for scope in logged - known],
            )
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
        """Erased scopes, counting the log file too (a restored key store may lag behind it)."""
        rows = self._conn().execute("SELECT scope_id FROM deletion_log")
        return len({r[0] for r in rows} | self.logged_deletions())

    def pending_deletions(self) -> int:
        """Wrapped DEKs still present for erased scopes: non-zero after a restore, before replay."""
        logged = self.logged_deletions()
        if not logged:
            return 0
        rows = self._conn().execute("SELECT scope_id FROM wrapped_dek")
        return sum(1 for r in rows if r[0] in logged)
