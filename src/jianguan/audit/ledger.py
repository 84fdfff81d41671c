"""The one audit entry point: `record(...)`, plus the buffered append the middleware flushes.

An entry is the canonical JSON of its fields (D-05): orjson with sorted keys, UTF-8, no
whitespace; UUIDs as 32 lower-case hex digits (no hyphens: the form SQLite stores, so the
verifier needs no conversion), `recorded` as `YYYY-MM-DDTHH:MM:SS.ffffffZ`, absent ids as null.
Control characters, quotes and backslashes are escaped by JSON itself, so a value can never
close its field or start a second record (AU-06). From that byte string:

    leaf_hash_n = SHA-256(0x00 ‖ entry_n)                        (RFC 9162 leaf)
    mac_n       = HMAC-SHA256(k_audit, entry_n ‖ mac_{n−1})      (D-06; mac_0 = 32 zero bytes)

`seq` is assigned under a lock (D-08): `pg_advisory_xact_lock` on PostgreSQL; on SQLite the
transaction is `BEGIN IMMEDIATE` (settings), which already holds the database's write lock.
Writes are recorded in the caller's transaction (defer=False). Reads and denials (defer=True)
are buffered per request and appended together in one short transaction when the response is
decided (D-07, D-08); outside a request they are appended at once.
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from django.db import connections, transaction
from django.utils import timezone

from jianguan.core import context
from jianguan.core.actors import Actor
from jianguan.core.keys import key_provider

from . import merkle

GENESIS_MAC = bytes(32)
OUTCOMES = ("success", "failure", "denied")
ACTION_RE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+")
# pg_advisory_xact_lock key for seq assignment ("JGAU").
PG_LOCK_KEY = 0x4A474155
JOB_ITEMS_PREFIX = "touched:"

COLUMNS = (
    "seq",
    "recorded",
    "actor_id",
    "role",
    "institution_id",
    "action",
    "resource_type",
    "resource_id",
    "customer_id",
    "outcome",
    "client_address",
    "purpose",
    "request_id",
)
MAX_LENGTHS = {
    "role": 200,
    "action": 64,
    "resource_type": 64,
    "resource_id": 200,
    "client_address": 64,
    "purpose": 200,
    "request_id": 64,
}


class LedgerError(ValueError):
    """A programming error in a call to the ledger (bad action name, overlong id, …)."""


@dataclass(slots=True)
class Pending:
    """An entry before its seq is known: everything that goes into the canonical JSON but seq."""

    recorded: datetime
    actor_id: uuid.UUID | None
    role: str
    institution_id: uuid.UUID | None
    action: str
    resource_type: str
    resource_id: str
    customer_id: uuid.UUID | None
    outcome: str
    client_address: str
    purpose: str
    request_id: str
    job_items: tuple[str, ...] = ()


def format_time(value: datetime) -> str:
    """The canonical form of `recorded`: UTC, microseconds, `Z`."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")[:26] + "Z"


def format_id(value: uuid.UUID | None) -> str | None:
    return None if value is None else value.hex


def canonical(
    seq: int,
    recorded: str,
    actor_id: str | None,
    role: str,
    institution_id: str | None,
    action: str,
    resource_type: str,
    resource_id: str,
    customer_id: str | None,
    outcome: str,
    client_address: str,
    purpose: str,
    request_id: str,
) -> bytes:
    """The entry's bytes (D-05); `verify` rebuilds them from the stored columns the same way."""
    return orjson.dumps(
        {
            "seq": seq,
            "recorded": recorded,
            "actor_id": actor_id,
            "role": role,
            "institution_id": institution_id,
            "action": action,
            "resource_type": resource_type,
            "resource_id": resource_id,
            "customer_id": customer_id,
            "outcome": outcome,
            "client_address": client_address,
            "purpose": purpose,
            "request_id": request_id,
        },
        option=orjson.OPT_SORT_KEYS,
    )


def canonical_pending(seq: int, p: Pending) -> bytes:
    """The bytes an entry will have once it gets `seq` (the same code path as `append_many`)."""
    fields, _ = _prepare(p, sqlite=True)
    fields["seq"] = seq
    return orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)


def chain_mac(key: bytes, entry: bytes, previous: bytes) -> bytes:
    return hmac.digest(key, entry + previous, "sha256")


def hmac_pads(key: bytes) -> tuple[Any, Any]:
    """SHA-256 states after the inner and outer padded keys of HMAC-SHA256 (RFC 2104)."""
    block = 64
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    return hashlib.sha256(bytes(b ^ 0x36 for b in key)), hashlib.sha256(
        bytes(b ^ 0x5C for b in key)
    )


def fast_hmac(key: bytes) -> Callable[[bytes], bytes]:
    """HMAC-SHA256 with the padded keys hashed once: the verifier runs it a million times, about
    twice as fast as `hmac.digest`. Equal results are tested (RFC 4231 and the stdlib)."""
    inner, outer = hmac_pads(key)

    def mac(message: bytes) -> bytes:
        i = inner.copy()
        i.update(message)
        o = outer.copy()
        o.update(i.digest())
        return o.digest()

    return mac


def job_items_digest(ids: Sequence[str]) -> str:
    """SHA-256 over the touched ids, each followed by a newline; the entry carries it (D-07)."""
    h = hashlib.sha256()
    for item in ids:
        h.update(item.encode() + b"\n")
    return h.hexdigest()


def _as_uuid(value: uuid.UUID | str | None, name: str) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise LedgerError(f"{name} must be a UUID") from exc


def _checked(name: str, value: str) -> str:
    if len(value) > MAX_LENGTHS[name]:
        raise LedgerError(f"{name} longer than {MAX_LENGTHS[name]} characters")
    return value


def build(
    action: str,
    *,
    actor: Actor | None = None,
    outcome: str = "success",
    resource_type: str = "",
    resource_id: str = "",
    customer_id: uuid.UUID | None = None,
    institution_id: uuid.UUID | None = None,
    purpose: str | None = None,
    job_items: tuple[str, ...] = (),
) -> Pending:
    if not ACTION_RE.fullmatch(action):
        raise LedgerError(f"audit action {action!r} is not a dotted lower-case name")
    if outcome not in OUTCOMES:
        raise LedgerError(f"audit outcome must be one of {OUTCOMES}")
    if purpose is None:
        purpose = actor.purpose if actor is not None and actor.kind != "anonymous" else ""
    if institution_id is None and actor is not None:
        institution_id = actor.institution_id
    ctx = context.current()
    return Pending(
        recorded=timezone.now(),
        actor_id=_as_uuid(actor.id if actor is not None else None, "actor id"),
        role=_checked("role", actor.role_label if actor is not None else "anonymous"),
        institution_id=_as_uuid(institution_id, "institution_id"),
        action=_checked("action", action),
        resource_type=_checked("resource_type", resource_type),
        resource_id=_checked("resource_id", str(resource_id)),
        customer_id=_as_uuid(customer_id, "customer_id"),
        outcome=outcome,
        client_address=ctx.client_address[: MAX_LENGTHS["client_address"]],
        purpose=_checked("purpose", purpose),
        request_id=_checked("request_id", ctx.request_id),
        job_items=job_items,
    )


# -- appending -------------------------------------------------------------------------------------

_buffer: contextvars.ContextVar[list[Pending] | None] = contextvars.ContextVar(
    "jianguan_audit_buffer", default=None
)
_writes: contextvars.ContextVar[list[Pending] | None] = contextvars.ContextVar(
    "jianguan_audit_writes", default=None
)


def record(
    action: str,
    *,
    actor: Actor | None = None,
    outcome: str = "success",
    resource_type: str = "",
    resource_id: str = "",
    customer_id: uuid.UUID | None = None,
    institution_id: uuid.UUID | None = None,
    purpose: str | None = None,
    defer: bool = False,
) -> None:
    """Append one audit entry (ids only, D-05); deferred entries wait for the request's end."""
    entry = build(
        action,
        actor=actor,
        outcome=outcome,
        resource_type=resource_type,
        resource_id=resource_id,
        customer_id=customer_id,
        institution_id=institution_id,
        purpose=purpose,
    )
    buffer = _buffer.get() if defer else _writes.get()
    if buffer is not None and (defer or entry.customer_id is not None):
        buffer.append(entry)
    else:
        append_many([entry])


def record_many(
    action: str,
    customer_ids: Sequence[uuid.UUID],
    *,
    actor: Actor | None = None,
    outcome: str = "success",
    resource_type: str = "customer",
    resource_ids: Sequence[str] | None = None,
    institution_id: uuid.UUID | None = None,
    purpose: str | None = None,
    defer: bool = True,
) -> None:
    """One entry per customer touched by one action (D-07: a list page of 50 customers gives
    50 entries); `resource_ids` default to the customer ids. Same entries as 50 `record` calls,
    validated once, so a list page adds less."""
    if resource_ids is None:
        resource_ids = [str(c) for c in customer_ids]
    if len(resource_ids) != len(customer_ids):
        raise LedgerError("one resource id per customer id")
    base = build(
        action,
        actor=actor,
        outcome=outcome,
        resource_type=resource_type,
        institution_id=institution_id,
        purpose=purpose,
    )
    limit = MAX_LENGTHS["resource_id"]
    entries = []
    for customer, resource in zip(customer_ids, resource_ids, strict=True):
        if len(resource) > limit:
            raise LedgerError(f"resource_id longer than {limit} characters")
        entries.append(
            Pending(
                base.recorded,
                base.actor_id,
                base.role,
                base.institution_id,
                base.action,
                base.resource_type,
                str(resource),
                _as_uuid(customer, "customer_id"),
                base.outcome,
                base.client_address,
                base.purpose,
                base.request_id,
            )
        )
    buffer = _buffer.get() if defer else None
    if buffer is not None:
        buffer.extend(entries)
    else:
        append_many(entries)


def record_job_run(
    job: str,
    *,
    action: str,
    resource_type: str,
    ids: Sequence[str | uuid.UUID],
    institution_id: uuid.UUID | None = None,
    outcome: str = "success",
) -> int:
    """One entry for a background job run, the ids it touched in a child table (D-07).

    The entry's resource_id is `touched:<count>:<sha256 of the ids>`, so the chain covers the
    child rows too. Returns the entry's seq.
    """
    items = tuple(str(i) for i in ids)
    for item in items:
        if "\n" in item or len(item) > MAX_LENGTHS["resource_id"]:
            raise LedgerError("a touched id must be one line of at most 200 characters")
    entry = build(
        action,
        actor=Actor.system(job, institution_id),
        outcome=outcome,
        resource_type=resource_type,
        resource_id=f"{JOB_ITEMS_PREFIX}{len(items)}:{job_items_digest(items)}",
        institution_id=institution_id,
        purpose="system",
        job_items=items,
    )
    return append_many([entry])[0]


def _prepare(p: Pending, sqlite: bool) -> tuple[dict[str, Any], tuple[Any, ...]]:
    """The canonical fields (without seq) and the column values of an entry, made before the
    seq lock is taken so that the lock is held only for the chain itself. The fields are those
    of `canonical()`; tests rebuild stored entries through both and compare."""
    when = p.recorded.astimezone(UTC)
    iso = when.isoformat(timespec="microseconds")
    fields = {
        "action": p.action,
        "actor_id": format_id(p.actor_id),
        "client_address": p.client_address,
        "customer_id": format_id(p.customer_id),
        "institution_id": format_id(p.institution_id),
        "outcome": p.outcome,
        "purpose": p.purpose,
        "recorded": iso[:26] + "Z",
        "request_id": p.request_id,
        "resource_id": p.resource_id,
        "resource_type": p.resource_type,
        "role": p.role,
    }
    if sqlite:
        # Django's own SQLite format for an aware datetime: naive UTC, no fraction when zero.
        stored: Any = f"{iso[:10]} {iso[11:26] if when.microsecond else iso[11:19]}"
        ids: tuple[Any, ...] = (fields["actor_id"], fields["institution_id"], fields["customer_id"])
    else:
        stored = when
        ids = (p.actor_id, p.institution_id, p.customer_id)
    row = (
        stored,
        ids[0],
        p.role,
        ids[1],
        p.action,
        p.resource_type,
        p.resource_id,
        ids[2],
        p.outcome,
        p.client_address,
        p.purpose,
        p.request_id,
    )
    return fields, row


def append_many(entries: Sequence[Pending], *, using: str = "default") -> list[int]:
    """Append entries in order, in one transaction, under the seq lock; return their seqs."""
    if not entries:
        return []
    key = key_provider().audit_mac_key()
    connection = connections[using]
    prepared = [_prepare(p, connection.vendor == "sqlite") for p in entries]
    dumps, sort, sha256, digest = orjson.dumps, orjson.OPT_SORT_KEYS, hashlib.sha256, hmac.digest
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Held to the end of the outermost transaction. Under READ COMMITTED (Django's
            # default) the next statement then sees every entry committed before us.
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PG_LOCK_KEY])
        cursor.execute("SELECT seq, mac FROM audit_entry ORDER BY seq DESC LIMIT 1")
        last = cursor.fetchone()
        seq, previous = (int(last[0]), bytes(last[1])) if last else (0, GENESIS_MAC)
        first = seq + 1
        rows: list[tuple[Any, ...]] = []
        for fields, row in prepared:
            seq += 1
            fields["seq"] = seq
            body = dumps(fields, option=sort)
            previous = digest(key, body + previous, "sha256")
            rows.append((seq, *row, sha256(merkle.LEAF_PREFIX + body).digest(), previous))
        placeholders = ", ".join(["%s"] * (len(COLUMNS) + 2))
        cursor.executemany(
            f"INSERT INTO audit_entry ({', '.join(COLUMNS)}, leaf_hash, mac) "  # noqa: S608
            f"VALUES ({placeholders})",
            rows,
        )
        items = [
            (number, position, item)
            for number, p in enumerate(entries, start=first)
            for position, item in enumerate(p.job_items)
        ]
        if items:
            cursor.executemany(
                "INSERT INTO audit_job_item (entry_seq, position, resource_id) VALUES (%s, %s, %s)",
                items,
            )
    return list(range(first, seq + 1))


# -- one entry per customer for a write made of several steps --------------------------------


@contextmanager
def one_entry_per_customer(action: str | None = None) -> Iterator[None]:
    """A transaction whose writes are audited as one entry per customer (D-07).

    A service that is made of other services (enrolment creates a customer, an identifier and a
    card; a card replacement closes one card and issues another) opens this: the entries those
    steps record are collected and, when the block ends without an error, combined per customer
    (`action`, or the first step's, with every resource type, id and purpose named) and appended
    in the same transaction as the writes. Blocks nest: the outermost one appends.
    """
    if _writes.get() is not None:
        with transaction.atomic():
            yield
        return
    collected: list[Pending] = []
    with transaction.atomic():
        token = _writes.set(collected)
        try:
            yield
        finally:
            _writes.reset(token)
        append_many(combine_per_customer(collected, action))


def _joined(values: Sequence[str], limit: int, separator: str = ",") -> str:
    """Distinct values in order, joined within `limit` characters; `+N` says how many were cut."""
    distinct = list(dict.fromkeys(v for v in values if v))
    whole = separator.join(distinct)
    if len(whole) <= limit or len(distinct) == 1:
        return whole[:limit]
    kept: list[str] = []
    for value in distinct:
        rest = f"{separator}+{len(distinct) - len(kept) - 1}"
        if len(separator.join([*kept, value])) + len(rest) > limit:
            break
        kept.append(value)
    if not kept:  # the first value alone is too long: cut it
        rest = f"{separator}+{len(distinct) - 1}"
        kept = [distinct[0][: limit - len(rest)]]
    return separator.join(kept) + f"{separator}+{len(distinct) - len(kept)}"


def combine_per_customer(entries: Sequence[Pending], action: str | None = None) -> list[Pending]:
    """Entries of one write, one per customer, in the order customers were first touched."""
    groups: dict[uuid.UUID | None, list[Pending]] = {}
    for entry in entries:
        groups.setdefault(entry.customer_id, []).append(entry)
    combined: list[Pending] = []
    for group in groups.values():
        first = group[0]
        if len(group) == 1 and action is None:
            combined.append(first)
            continue
        combined.append(
            Pending(
                recorded=first.recorded,
                actor_id=first.actor_id,
                role=first.role,
                institution_id=first.institution_id,
                action=action or first.action,
                resource_type=_joined(
                    [e.resource_type for e in group], MAX_LENGTHS["resource_type"]
                ),
                resource_id=_joined([e.resource_id for e in group], MAX_LENGTHS["resource_id"]),
                customer_id=first.customer_id,
                outcome=first.outcome,
                client_address=first.client_address,
                purpose=_joined(
                    [e.purpose for e in group]
                    if len(group) == 1
                    else [f"{e.action}:{e.purpose}" if e.purpose else e.action for e in group],
                    MAX_LENGTHS["purpose"],
                    ";",
                ),
                request_id=first.request_id,
            )
        )
    return combined


# -- the per-request buffer ----------------------------------------------------------------------


def start_buffer() -> contextvars.Token[list[Pending] | None]:
    return _buffer.set([])


def end_buffer(token: contextvars.Token[list[Pending] | None]) -> None:
    _buffer.reset(token)


def flush() -> int:
    """Append the buffered entries in one short transaction; return how many were appended."""
    buffer = _buffer.get()
    if not buffer:
        return 0
    pending = list(buffer)
    buffer.clear()
    append_many(pending)
    return len(pending)


@contextmanager
def buffered() -> Iterator[None]:
    """Buffer deferred entries for the block and flush them at its end, also after an error."""
    token = start_buffer()
    try:
        yield
    finally:
        try:
            flush()
        finally:
            end_buffer(token)
