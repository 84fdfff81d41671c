"""`verify_ledger()`: recompute every entry, the keyed chain, the tree and every signed head.

From the stored columns it rebuilds each entry's canonical JSON, its leaf hash and its chain MAC
(D-06) and names the first entry that does not match: a changed field, a missing seq (deleted),
an inserted or reordered row. The MAC key is not in the database, so recomputing the unkeyed
leaf hashes does not hide an edit (LG-03, LG-04). Then every head in the heads file must be
signed by this ledger's own key (never a key the file names, LG-06), be no smaller than the
last trusted head, match the recomputed root at its size and be consistent with the head before
it (LG-05); a ledger shorter than a signed head lost its tail.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from django.db import connections

from jianguan.core.keys import key_provider

from . import heads as heads_mod
from . import merkle
from .ledger import GENESIS_MAC, JOB_ITEMS_PREFIX, format_time, hmac_pads, job_items_digest

READ_CHUNK = 20_000


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries: int
    first_bad_seq: int | None = None
    problem: str = ""
    code: str = ""
    heads_checked: int = 0
    root_hash: str = ""

    def summary(self) -> str:
        if self.ok:
            return (
                f"ledger OK: {self.entries} entries, {self.heads_checked} signed heads checked, "
                f"root {self.root_hash}"
            )
        where = f"first bad entry: {self.first_bad_seq}; " if self.first_bad_seq else ""
        return f"ledger verification FAILED ({self.code}): {where}{self.problem}"


def _fallback_time(value: str) -> str:
    """`recorded` as stored, when SQL could not put it in canonical form (see _rows)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return "!" + value  # cannot equal the canonical form: reported as a changed entry
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return format_time(parsed)


def _select(vendor: str) -> str:
    """Entry columns in canonical form, computed by the database (no per-row Python work).

    PostgreSQL: UUIDs lose their hyphens, `recorded` is formatted in UTC. SQLite stores UUIDs as
    32 hex digits already and `recorded` as `YYYY-MM-DD HH:MM:SS.ffffff` in UTC; anything else
    (Django leaves out a zero fraction) is marked with `?` and formatted in Python.
    """
    if vendor == "postgresql":
        recorded = "to_char(recorded AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
        ident = "replace({0}::text, '-', '')"
    else:
        recorded = (
            "CASE WHEN length(recorded) = 26 AND substr(recorded, 11, 1) = ' ' "
            "THEN substr(recorded, 1, 10) || 'T' || substr(recorded, 12) || 'Z' "
            "ELSE '?' || recorded END"
        )
        ident = "{0}"
    # Only the column expressions above are formatted in; values are parameters.
    return (
        f"SELECT seq, {recorded}, {ident.format('actor_id')}, role, "  # noqa: S608
        f"{ident.format('institution_id')}, action, resource_type, resource_id, "
        f"{ident.format('customer_id')}, outcome, client_address, purpose, request_id, "
        "leaf_hash, mac FROM audit_entry WHERE seq > %s ORDER BY seq LIMIT %s"
    )


def _rows(using: str) -> Iterator[list[tuple[Any, ...]]]:
    """Entry rows in seq order, in chunks of READ_CHUNK, with canonical ids and times."""
    connection = connections[using]
    sql = _select(connection.vendor)
    after = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(sql, [after, READ_CHUNK])
            rows = cursor.fetchall()
            if not rows:
                return
            yield rows
            after = rows[-1][0]


def _check_entries(
    using: str, key: bytes, leaves: bytearray
) -> tuple[int, VerifyResult | None, dict[int, str]]:
    """Walk the chain; return the count, the first problem (or None) and the job-run entries.

    The hot loop of `verify` (a million entries in a few seconds): the canonical dict is built
    with its keys already in sorted order, so it serialises exactly as the ledger's sorted dump.
    """
    expected = 1
    previous = GENESIS_MAC
    jobs: dict[int, str] = {}
    inner, outer = hmac_pads(key)  # HMAC inlined below: the call alone costs a second per 1M
    sha256 = hashlib.sha256
    dumps = orjson.dumps
    for chunk in _rows(using):
        for (
            seq,
            recorded,
            actor_id,
            role,
            institution_id,
            action,
            resource_type,
            resource_id,
            customer_id,
            outcome,
            client_address,
            purpose,
            request_id,
            leaf_hash,
            mac,
        ) in chunk:
            if seq != expected:
                problem = VerifyResult(
                    False,
                    expected - 1,
                    expected,
                    f"entry {expected} is missing (deleted, or seq rewritten to {seq})",
                    "entry_missing",
                )
                return expected - 1, problem, jobs
            if recorded[0] == "?":
                recorded = _fallback_time(recorded[1:])
            body = dumps(
                {
                    "action": action,
                    "actor_id": actor_id,
                    "client_address": client_address,
                    "customer_id": customer_id,
                    "institution_id": institution_id,
                    "outcome": outcome,
                    "purpose": purpose,
                    "recorded": recorded,
                    "request_id": request_id,
                    "resource_id": resource_id,
                    "resource_type": resource_type,
                    "role": role,
                    "seq": seq,
                }
            )
            if sha256(b"\x00" + body).digest() != leaf_hash:
                problem = VerifyResult(
                    False,
                    seq - 1,
                    seq,
                    f"entry {seq} was changed: its fields no longer give its leaf hash",
                    "entry_changed",
                )
                return seq - 1, problem, jobs
            h = inner.copy()
            h.update(body)
            h.update(previous)
            o = outer.copy()
            o.update(h.digest())
            computed = o.digest()
            if computed != mac:
                problem = VerifyResult(
                    False,
                    seq - 1,
                    seq,
                    f"entry {seq} fails the keyed chain: changed, inserted or reordered "
                    "(its unkeyed hash was recomputed, or an entry before it was replaced)",
                    "chain_broken",
                )
                return seq - 1, problem, jobs
            previous = computed
            leaves += leaf_hash
            if resource_id.startswith(JOB_ITEMS_PREFIX):
                jobs[seq] = resource_id
            expected += 1
    return expected - 1, None, jobs


def _check_job_items(using: str, jobs: dict[int, str], count: int) -> VerifyResult | None:
    """The child rows of each job-run entry must give the count and digest the entry carries."""
    found: dict[int, list[tuple[int, str]]] = {}
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT entry_seq, position, resource_id FROM audit_job_item "
            "ORDER BY entry_seq, position"
        )
        for seq, position, resource_id in cursor.fetchall():
            found.setdefault(seq, []).append((position, resource_id))
    for seq in sorted(set(jobs) | set(found)):
        rows = found.get(seq, [])
        items = [resource_id for _, resource_id in rows]
        in_order = [position for position, _ in rows] == list(range(len(rows)))
        if not in_order or jobs.get(seq) != (
            f"{JOB_ITEMS_PREFIX}{len(items)}:{job_items_digest(items)}"
        ):
            return VerifyResult(
                False,
                count,
                seq,
                f"the ids touched by job entry {seq} do not match the entry",
                "job_items_changed",
            )
    return None


def _check_heads(
    heads: list[dict[str, Any]], tree: merkle.Tree, count: int
) -> tuple[int, VerifyResult | None]:
    key = heads_mod.public_key()
    trusted: dict[str, Any] | None = None
    checked = 0
    for number, head in enumerate(heads, start=1):
        try:
            heads_mod.check_head(head, key)
        except heads_mod.HeadError as exc:
            return checked, VerifyResult(
                False, count, None, f"signed head {number}: {exc}", "head_invalid"
            )
        size = head["tree_size"]
        if trusted is not None and size < trusted["tree_size"]:
            return checked, VerifyResult(
                False,
                count,
                None,
                f"signed head {number} has size {size}, smaller than the last trusted head "
                f"({trusted['tree_size']})",
                "head_smaller",
            )
        if size > count:
            return checked, VerifyResult(
                False,
                count,
                count + 1,
                f"the ledger has {count} entries but signed head {number} covers {size}: "
                f"entries {count + 1}–{size} were deleted",
                "ledger_truncated",
            )
        root = bytes.fromhex(head["root_hash"])
        if tree.root(size) != root:
            low = trusted["tree_size"] + 1 if trusted is not None else 1
            return checked, VerifyResult(
                False,
                count,
                None,
                f"signed head {number} (size {size}) does not match the ledger: an entry "
                f"between {low} and {size} was rewritten with the chain key",
                "head_root_mismatch",
            )
        if trusted is not None and trusted["tree_size"] > 0:
            old = trusted["tree_size"]
            try:
                merkle.verify_consistency(
                    old,
                    size,
                    tree.consistency_proof(old, size),
                    bytes.fromhex(trusted["root_hash"]),
                    root,
                )
            except merkle.ProofError as exc:
                return checked, VerifyResult(
                    False,
                    count,
                    None,
                    f"signed head {number} is not consistent with the head before it: {exc}",
                    "head_inconsistent",
                )
        trusted = head
        checked += 1
    return checked, None


def verify_ledger(*, using: str = "default", heads_file: Path | None = None) -> VerifyResult:
    key = key_provider().audit_mac_key()
    leaves = bytearray()
    count, problem, jobs = _check_entries(using, key, leaves)
    if problem is not None:
        return problem
    problem = _check_job_items(using, jobs, count)
    if problem is not None:
        return problem
    try:
        heads = heads_mod.read_heads(heads_file)
    except heads_mod.HeadError as exc:
        return VerifyResult(False, count, None, str(exc), "heads_file_invalid")
    tree = merkle.Tree(bytes(leaves))
    checked, problem = _check_heads(heads, tree, count)
    if problem is not None:
        return VerifyResult(
            False,
            count,
            problem.first_bad_seq,
            problem.problem,
            problem.code,
            checked,
        )
    return VerifyResult(True, count, None, "", "", checked, tree.root().hex())
