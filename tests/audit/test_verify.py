"""`verify_ledger()` names the first tampered entry; signed heads catch what the chain cannot."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import connection

from jianguan.audit import heads, ledger
from jianguan.audit.models import AuditEntry
from jianguan.audit.proofs import entry_bytes
from jianguan.audit.verify import verify_ledger
from jianguan.core.keys import key_provider

pytestmark = pytest.mark.django_db


def sql(statement: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def rewrite_hashes(*, with_mac_key: bool = False) -> None:
    """What an attacker with database access does after an edit: recompute every leaf hash
    (and, if they also stole the MAC key, the whole chain)."""
    key = key_provider().audit_mac_key()
    previous = ledger.GENESIS_MAC
    for entry in AuditEntry.objects.order_by("seq"):
        body = entry_bytes(entry)
        mac = ledger.chain_mac(key, body, previous) if with_mac_key else bytes(entry.mac)
        previous = mac
        sql(
            "UPDATE audit_entry SET leaf_hash = %s, mac = %s WHERE seq = %s",
            [hashlib.sha256(b"\x00" + body).digest(), mac, entry.seq],
        )


@pytest.fixture
def ten(add_entries: Callable[[int], None]) -> None:
    add_entries(10)


def test_empty_ledger_verifies() -> None:
    result = verify_ledger()
    assert (result.ok, result.entries) == (True, 0)


def test_empty_ledger_with_a_head_of_size_zero_verifies(
    add_entries: Callable[[int], None],
) -> None:
    heads.write_head()
    add_entries(2)
    heads.write_head()
    result = verify_ledger()
    assert (result.ok, result.heads_checked) == (True, 2)


@pytest.mark.usefixtures("ten")
def test_untouched_ledger_verifies_with_its_heads() -> None:
    heads.write_head()
    result = verify_ledger()
    assert (result.ok, result.entries, result.heads_checked) == (True, 10, 1)


@pytest.mark.usefixtures("ten")
def test_changed_field_names_its_entry() -> None:
    sql("UPDATE audit_entry SET resource_id = 'x' WHERE seq = 4")
    result = verify_ledger()
    assert (result.ok, result.first_bad_seq, result.code) == (False, 4, "entry_changed")


@pytest.mark.usefixtures("ten")
def test_changed_action_names_its_entry() -> None:
    sql("UPDATE audit_entry SET action = 'customer.vieW' WHERE seq = 7")
    assert verify_ledger().first_bad_seq == 7


@pytest.mark.usefixtures("ten")
def test_changed_timestamp_names_its_entry() -> None:
    entry = AuditEntry.objects.get(seq=6)
    later = connection.ops.adapt_datetimefield_value(entry.recorded + timedelta(microseconds=1))
    sql("UPDATE audit_entry SET recorded = %s WHERE seq = 6", [later])
    assert verify_ledger().first_bad_seq == 6


@pytest.mark.usefixtures("ten")
def test_flipped_byte_of_the_stored_hash_names_its_entry() -> None:
    leaf = bytearray(AuditEntry.objects.get(seq=2).leaf_hash)
    leaf[0] ^= 0x01
    sql("UPDATE audit_entry SET leaf_hash = %s WHERE seq = 2", [bytes(leaf)])
    assert verify_ledger().first_bad_seq == 2


@pytest.mark.usefixtures("ten")
def test_deleted_entry_is_named() -> None:
    sql("DELETE FROM audit_entry WHERE seq = 5")
    result = verify_ledger()
    assert (result.first_bad_seq, result.code) == (5, "entry_missing")


@pytest.mark.usefixtures("ten")
def test_deleted_and_renumbered_entry_is_named() -> None:
    sql("DELETE FROM audit_entry WHERE seq = 5")
    sql("UPDATE audit_entry SET seq = seq + 1000 WHERE seq > 5")
    sql("UPDATE audit_entry SET seq = seq - 1001 WHERE seq > 1000")
    rewrite_hashes()
    result = verify_ledger()
    assert (result.first_bad_seq, result.code) == (5, "chain_broken")


@pytest.mark.usefixtures("ten")
def test_two_swapped_entries_name_the_first() -> None:
    sql("UPDATE audit_entry SET seq = -1 WHERE seq = 3")
    sql("UPDATE audit_entry SET seq = 3 WHERE seq = 8")
    sql("UPDATE audit_entry SET seq = 8 WHERE seq = -1")
    assert verify_ledger().first_bad_seq == 3


@pytest.mark.usefixtures("ten")
def test_entry_inserted_in_the_middle_is_named() -> None:
    sql("UPDATE audit_entry SET seq = seq + 1000 WHERE seq >= 5")
    sql("UPDATE audit_entry SET seq = seq - 999 WHERE seq >= 1000")
    forged = AuditEntry.objects.get(seq=4)
    sql(
        "INSERT INTO audit_entry (seq, recorded, actor_id, role, institution_id, action, "
        "resource_type, resource_id, customer_id, outcome, client_address, purpose, request_id, "
        "leaf_hash, mac) SELECT 5, recorded, actor_id, role, institution_id, 'auth.login', "
        "resource_type, resource_id, customer_id, outcome, client_address, purpose, request_id, "
        "leaf_hash, mac FROM audit_entry WHERE seq = %s",
        [forged.seq],
    )
    rewrite_hashes()
    result = verify_ledger()
    assert (result.first_bad_seq, result.code) == (5, "chain_broken")


@pytest.mark.usefixtures("ten")
def test_edit_with_every_unkeyed_hash_recomputed_is_still_named() -> None:
    heads.write_head()
    sql("UPDATE audit_entry SET outcome = 'failure' WHERE seq = 4")
    rewrite_hashes()
    result = verify_ledger()
    assert (result.ok, result.first_bad_seq, result.code) == (False, 4, "chain_broken")


@pytest.mark.usefixtures("ten")
def test_rewrite_with_the_stolen_mac_key_is_caught_by_the_signed_head() -> None:
    heads.write_head()
    sql("UPDATE audit_entry SET outcome = 'failure' WHERE seq = 4")
    rewrite_hashes(with_mac_key=True)
    result = verify_ledger()
    assert (result.ok, result.code) == (False, "head_root_mismatch")
    assert "between 1 and 10" in result.problem


@pytest.mark.usefixtures("ten")
def test_tail_truncated_below_the_last_signed_head_is_named() -> None:
    heads.write_head()
    sql("DELETE FROM audit_entry WHERE seq >= 8")
    result = verify_ledger()
    assert (result.first_bad_seq, result.code) == (8, "ledger_truncated")


@pytest.mark.usefixtures("ten")
def test_head_with_a_bad_signature_is_rejected(heads_file: Path) -> None:
    head = heads.write_head()
    head["signature"] = ("0" if head["signature"][0] != "0" else "1") + head["signature"][1:]
    heads_file.write_text(json.dumps(head) + "\n")
    result = verify_ledger()
    assert (result.ok, result.code) == (False, "head_invalid")
    assert "signature" in result.problem


@pytest.mark.usefixtures("ten")
def test_head_with_a_changed_root_is_rejected(heads_file: Path) -> None:
    head = heads.write_head()
    head["root_hash"] = hashlib.sha256(b"other").hexdigest()
    heads_file.write_text(json.dumps(head) + "\n")
    assert verify_ledger().code == "head_invalid"


@pytest.mark.usefixtures("ten")
def test_head_signed_by_another_key_does_not_become_trusted(heads_file: Path) -> None:
    heads.write_head()
    other = Ed25519PrivateKey.generate()
    root = bytes.fromhex(heads.read_heads()[0]["root_hash"])
    stamp = 1_700_000_000_000
    forged = {
        "tree_size": 10,
        "root_hash": root.hex(),
        "timestamp": stamp,
        "signature": other.sign(heads.signed_bytes(10, stamp, root.hex())).hex(),
        "key_id": heads.key_id(other.public_key()),
    }
    with heads_file.open("a") as fh:
        fh.write(json.dumps(forged) + "\n")
    result = verify_ledger()
    assert (result.code, result.heads_checked) == ("head_invalid", 1)
    assert "another key" in result.problem


def test_head_smaller_than_the_last_trusted_head_is_refused(
    add_entries: Callable[[int], None], heads_file: Path
) -> None:
    add_entries(5)
    small = heads.write_head()
    add_entries(5)
    heads.write_head()
    with heads_file.open("a") as fh:
        fh.write(json.dumps(small) + "\n")
    result = verify_ledger()
    assert (result.ok, result.code, result.heads_checked) == (False, "head_smaller", 2)


def test_successive_heads_are_checked_for_consistency(
    add_entries: Callable[[int], None],
) -> None:
    for _ in range(4):
        add_entries(3)
        heads.write_head()
    result = verify_ledger()
    assert (result.ok, result.heads_checked, result.entries) == (True, 4, 12)


@pytest.mark.usefixtures("ten")
def test_malformed_heads_file_is_reported(heads_file: Path) -> None:
    heads_file.write_text("{not json\n")
    assert verify_ledger().code == "heads_file_invalid"


def test_changed_job_item_names_the_job_entry(add_entries: Callable[[int], None]) -> None:
    add_entries(2)
    seq = ledger.record_job_run(
        "tags", action="tags.recompute", resource_type="customer", ids=["a", "b", "c"]
    )
    add_entries(2)
    assert verify_ledger().ok
    sql("UPDATE audit_job_item SET resource_id = 'z' WHERE entry_seq = %s AND position = 1", [seq])
    result = verify_ledger()
    assert (result.first_bad_seq, result.code) == (seq, "job_items_changed")


def test_deleted_job_item_names_the_job_entry() -> None:
    seq = ledger.record_job_run(
        "tags", action="tags.recompute", resource_type="customer", ids=["a", "b"]
    )
    sql("DELETE FROM audit_job_item WHERE entry_seq = %s AND position = 0", [seq])
    assert verify_ledger().first_bad_seq == seq
