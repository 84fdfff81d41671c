"""Signed tree heads of the ledger, appended to a JSON-lines file outside the database (D-06).

A head is `{"tree_size", "root_hash", "timestamp", "signature", "key_id"}`: the RFC 9162 root
(hex) over the first `tree_size` entries, the time in UTC milliseconds, an Ed25519 signature
(hex) and the SHA-256 fingerprint (hex) of the raw 32-byte public key. The signature covers the
ASCII bytes

    "jianguan-audit-tree-head-v1\\n" + tree_size + "\\n" + timestamp + "\\n" + root_hash + "\\n"

(decimal integers, lower-case hex). Heads are written every 60 s by a django-q2 schedule, by
`jianguan audit head` and when `jianguan serve` stops. A new head is refused if the ledger is
shorter than the last head or no longer has that head's root at its size (LG-05).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.db import connections

from jianguan.core.keys import key_provider

from . import merkle

SIGNING_LABEL = "jianguan-audit-tree-head-v1"
HEAD_KEYS = ("key_id", "root_hash", "signature", "timestamp", "tree_size")
READ_CHUNK = 50_000


class HeadError(ValueError):
    """A head is malformed, badly signed, or may not be written over the current ledger."""


def heads_path() -> Path:
    return Path(settings.JIANGUAN_AUDIT_HEADS)


def signed_bytes(tree_size: int, timestamp: int, root_hash_hex: str) -> bytes:
    return f"{SIGNING_LABEL}\n{tree_size}\n{timestamp}\n{root_hash_hex}\n".encode("ascii")


def public_key() -> Ed25519PublicKey:
    return key_provider().head_signing_key().public_key()


def key_id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def public_key_pem() -> str:
    return (
        public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def sign_head(tree_size: int, root: bytes, timestamp: int | None = None) -> dict[str, Any]:
    private = key_provider().head_signing_key()
    stamp = int(time.time() * 1000) if timestamp is None else timestamp
    root_hex = root.hex()
    return {
        "tree_size": tree_size,
        "root_hash": root_hex,
        "timestamp": stamp,
        "signature": private.sign(signed_bytes(tree_size, stamp, root_hex)).hex(),
        "key_id": key_id(private.public_key()),
    }


def check_head(head: dict[str, Any], key: Ed25519PublicKey) -> None:
    """Raise HeadError unless the head is well formed and signed by `key` (our key, LG-06)."""
    if sorted(head) != sorted(HEAD_KEYS):
        raise HeadError("head does not have exactly the fields " + ", ".join(HEAD_KEYS))
    size, stamp = head["tree_size"], head["timestamp"]
    if type(size) is not int or size < 0 or type(stamp) is not int:
        raise HeadError("tree_size and timestamp must be non-negative integers")
    try:
        root = bytes.fromhex(head["root_hash"])
        signature = bytes.fromhex(head["signature"])
    except (TypeError, ValueError) as exc:
        raise HeadError("root_hash and signature must be hex") from exc
    if len(root) != merkle.HASH_SIZE or head["root_hash"] != root.hex():
        raise HeadError("root_hash must be 64 lower-case hex digits")
    if head["key_id"] != key_id(key):
        raise HeadError("head is signed by another key than this ledger's head key")
    try:
        key.verify(signature, signed_bytes(size, stamp, head["root_hash"]))
    except InvalidSignature as exc:
        raise HeadError("head signature does not verify") from exc


def read_heads(path: Path | None = None) -> list[dict[str, Any]]:
    """Every head in the file, in order; HeadError names the first line that is not an object."""
    path = heads_path() if path is None else path
    if not path.exists():
        return []
    heads: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                head = json.loads(line)
            except ValueError as exc:
                raise HeadError(f"line {number} of {path.name} is not JSON") from exc
            if not isinstance(head, dict):
                raise HeadError(f"line {number} of {path.name} is not a JSON object")
            heads.append(head)
    return heads


def read_leaf_hashes(
    *, using: str = "default", after: int = 0, upto: int | None = None
) -> list[bytes]:
    """Stored leaf hashes of entries after seq `after` (up to `upto`); HeadError on a seq gap."""
    leaves: list[bytes] = []
    expected = after + 1
    last = upto if upto is not None else 2**62
    with connections[using].cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT seq, leaf_hash FROM audit_entry WHERE seq >= %s AND seq <= %s "
                "ORDER BY seq LIMIT %s",
                [expected, last, READ_CHUNK],
            )
            rows = cursor.fetchall()
            for seq, leaf in rows:
                if seq != expected:
                    raise HeadError(f"ledger has no entry {expected}: run `jianguan audit verify`")
                leaves.append(bytes(leaf))
                expected += 1
            if len(rows) < READ_CHUNK:
                return leaves


@dataclass
class _State:
    """The tree this process last signed, so the next head only reads the entries since."""

    database: str = ""
    head: dict[str, Any] = field(default_factory=dict)
    last_leaf: bytes = b""
    tree: merkle.CompactRange = field(default_factory=merkle.CompactRange)


_state = _State()
_state_lock = threading.Lock()


def _stored_leaf(seq: int, using: str) -> bytes | None:
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT leaf_hash FROM audit_entry WHERE seq = %s", [seq])
        row = cursor.fetchone()
    return bytes(row[0]) if row else None


def _current_tree(last: dict[str, Any] | None, using: str) -> tuple[merkle.CompactRange, bytes]:
    """The ledger's tree now, checked against the last head; reuses this process's last state."""
    database = str(connections[using].settings_dict["NAME"])
    s = _state
    if (
        last is not None
        and s.database == database
        and s.head == last
        and s.tree.size > 0
        and _stored_leaf(s.tree.size, using) == s.last_leaf
    ):
        tree = s.tree
        leaves = read_leaf_hashes(using=using, after=tree.size)
        last_leaf = leaves[-1] if leaves else s.last_leaf
        for leaf in leaves:
            tree.append(leaf)
        return tree, last_leaf
    leaves = read_leaf_hashes(using=using)
    if last is not None:
        size = int(last["tree_size"])
        if len(leaves) < size:
            raise HeadError(
                f"ledger has {len(leaves)} entries but the last signed head covers {size}: "
                "entries were deleted; run `jianguan audit verify`"
            )
        if merkle.Tree(leaves[:size]).root().hex() != last["root_hash"]:
            raise HeadError(
                f"ledger no longer matches the last signed head at size {size}; "
                "run `jianguan audit verify`"
            )
    tree = merkle.CompactRange()
    for leaf in leaves:
        tree.append(leaf)
    return tree, leaves[-1] if leaves else b""


def write_head(*, using: str = "default") -> dict[str, Any]:
    """Sign the ledger's current root and append the head to the heads file; return the head."""
    path = heads_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with _state_lock, path.open("a", encoding="utf-8") as fh:
        # One writer at a time across processes, so heads are appended in size order.
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            heads = read_heads(path)
            last = heads[-1] if heads else None
            tree, last_leaf = _current_tree(last, using)
            head = sign_head(tree.size, tree.root())
            fh.write(json.dumps(head, sort_keys=True, separators=(",", ":")) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        _state.database = str(connections[using].settings_dict["NAME"])
        _state.head = head
        _state.last_leaf = last_leaf
        _state.tree = tree
    return head


def latest_head() -> dict[str, Any] | None:
    heads = read_heads()
    return heads[-1] if heads else None
