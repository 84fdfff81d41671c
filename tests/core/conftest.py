"""Helpers for the key and encryption tests: raw database images and key material."""

from __future__ import annotations

import base64
import os
import subprocess
import uuid

from django.db import connection

from jianguan.core.crypto import _dek_context, keyring


def database_image() -> bytes:
    """Every byte the main database holds, as a backup or an attacker with the disk would see it.

    SQLite: the raw database file plus its -wal file after a checkpoint, or for pytest-django's
    in-memory test database its raw page image (`serialize()`, free pages included).
    PostgreSQL: a plain `pg_dump` of the test database (rows must be committed).
    """
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        raw = connection.connection
        name = str(connection.settings_dict["NAME"])
        if connection.is_in_memory_db():  # type: ignore[attr-defined]
            return bytes(raw.serialize())
        raw.execute("PRAGMA wal_checkpoint(FULL)")
        image = b""
        for suffix in ("", "-wal"):
            if os.path.exists(name + suffix):
                with open(name + suffix, "rb") as fh:
                    image += fh.read()
        return image
    return pg_dump()


def pg_dump() -> bytes:
    s = connection.settings_dict
    env = dict(os.environ)
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = str(s["PASSWORD"])
    cmd = ["pg_dump", "--no-owner", "-d", str(s["NAME"])]
    if s.get("HOST"):
        cmd += ["-h", str(s["HOST"])]
    if s.get("PORT"):
        cmd += ["-p", str(s["PORT"])]
    if s.get("USER"):
        cmd += ["-U", str(s["USER"])]
    return subprocess.run(cmd, env=env, check=True, capture_output=True).stdout


def file_image(path: os.PathLike[str] | str) -> bytes:
    """A SQLite file (the key store) with its -wal file, after a checkpoint by the caller."""
    image = b""
    for suffix in ("", "-wal"):
        p = f"{os.fspath(path)}{suffix}"
        if os.path.exists(p):
            with open(p, "rb") as fh:
                image += fh.read()
    return image


def plain_dek(scope_id: uuid.UUID) -> bytes:
    """The data key of a scope, unwrapped the way the key ring does it (test use only)."""
    ring = keyring()
    wrapped = ring.store.get(scope_id)
    assert wrapped is not None
    return ring.provider.unwrap(wrapped, _dek_context(scope_id))


def encodings_of(key: bytes) -> dict[str, bytes]:
    """Forms in which key material leaks in practice: raw, hex, base64 (standard and URL-safe)."""
    return {
        "raw": key,
        "hex": key.hex().encode(),
        "HEX": key.hex().upper().encode(),
        "base64": base64.b64encode(key),
        "base64-unpadded": base64.b64encode(key).rstrip(b"="),
        "base64url": base64.urlsafe_b64encode(key).rstrip(b"="),
        "repr": repr(key).encode(),  # how a logged bytes object prints
    }
