"""Signed tree heads: format, signature, the heads file, refusals, and the 60 s schedule."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.db import connection

from jianguan.audit import heads, merkle
from jianguan.audit.apps import HEAD_FUNC, HEAD_SCHEDULE_NAME, ensure_head_schedule
from jianguan.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_head_of_the_empty_ledger_signs_the_empty_root() -> None:
    head = heads.write_head()
    assert (head["tree_size"], head["root_hash"]) == (0, merkle.EMPTY_ROOT.hex())


def test_head_root_is_the_merkle_root_of_the_stored_leaves(
    add_entries: Callable[[int], None],
) -> None:
    add_entries(7)
    head = heads.write_head()
    leaves = [bytes(e.leaf_hash) for e in AuditEntry.objects.order_by("seq")]
    assert (head["tree_size"], head["root_hash"]) == (7, merkle.root(leaves).hex())


def test_head_signature_verifies_with_the_published_public_key(
    add_entries: Callable[[int], None],
) -> None:
    add_entries(3)
    head = heads.write_head()
    key = load_pem_public_key(heads.public_key_pem().encode())
    message = (
        f"jianguan-audit-tree-head-v1\n{head['tree_size']}\n{head['timestamp']}\n"
        f"{head['root_hash']}\n"
    ).encode()
    key.verify(bytes.fromhex(head["signature"]), message)  # type: ignore[union-attr,call-arg]
    assert head["key_id"] == heads.key_id(heads.public_key())


def test_head_timestamp_is_utc_milliseconds() -> None:
    import time

    head = heads.write_head()
    assert abs(head["timestamp"] - time.time() * 1000) < 5_000


def test_heads_are_appended_as_json_lines(
    add_entries: Callable[[int], None], heads_file: Path
) -> None:
    first = heads.write_head()
    add_entries(2)
    second = heads.write_head()
    lines = heads_file.read_text().splitlines()
    assert [json.loads(line) for line in lines] == [first, second]
    assert heads.read_heads() == [first, second]


def test_next_head_extends_the_last_one_from_new_entries_only(
    add_entries: Callable[[int], None],
) -> None:
    add_entries(4)
    heads.write_head()
    add_entries(3)
    head = heads.write_head()  # the incremental path of the same process
    leaves = [bytes(e.leaf_hash) for e in AuditEntry.objects.order_by("seq")]
    assert (head["tree_size"], head["root_hash"]) == (7, merkle.root(leaves).hex())


def test_head_is_refused_when_the_ledger_shrank_below_the_last_head(
    add_entries: Callable[[int], None],
) -> None:
    add_entries(5)
    heads.write_head()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_entry WHERE seq = 5")
    heads._state.head = {}  # another process, without this one's state
    with pytest.raises(heads.HeadError, match="deleted"):
        heads.write_head()


def test_head_is_refused_when_the_ledger_no_longer_matches_the_last_head(
    add_entries: Callable[[int], None],
) -> None:
    add_entries(5)
    heads.write_head()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_entry SET leaf_hash = %s WHERE seq = 2", [bytes(32)])
    heads._state.head = {}
    with pytest.raises(heads.HeadError, match="no longer matches"):
        heads.write_head()


def test_head_is_refused_over_a_seq_gap(add_entries: Callable[[int], None]) -> None:
    add_entries(5)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_entry WHERE seq = 3")
    with pytest.raises(heads.HeadError, match="no entry 3"):
        heads.write_head()


def test_read_heads_of_a_missing_file_is_empty() -> None:
    assert heads.read_heads() == []


def test_read_heads_names_the_malformed_line(heads_file: Path) -> None:
    heads.write_head()
    with heads_file.open("a") as fh:
        fh.write("[1, 2]\n")
    with pytest.raises(heads.HeadError, match="line 2"):
        heads.read_heads()


def test_the_head_schedule_exists_after_migrate() -> None:
    from django_q.models import Schedule

    schedule = Schedule.objects.get(name=HEAD_SCHEDULE_NAME)
    assert (schedule.func, schedule.schedule_type, schedule.minutes, schedule.repeats) == (
        HEAD_FUNC,
        Schedule.MINUTES,
        1,
        -1,
    )


def test_the_head_schedule_is_created_once_and_repaired() -> None:
    from django_q.models import Schedule

    Schedule.objects.filter(name=HEAD_SCHEDULE_NAME).update(minutes=30)
    ensure_head_schedule()
    ensure_head_schedule()
    assert list(Schedule.objects.filter(name=HEAD_SCHEDULE_NAME).values_list("minutes")) == [(1,)]


def test_the_scheduled_function_writes_a_head(heads_file: Path) -> None:
    from django.utils.module_loading import import_string

    import_string(HEAD_FUNC)()
    assert len(heads.read_heads()) == 1
