"""`jianguan audit verify | head | prove --entry N | public-key`."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from jianguan.audit import heads, merkle

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("audit", *args, stdout=out)
    return out.getvalue()


def test_verify_prints_ok(add_entries: Callable[[int], None]) -> None:
    add_entries(3)
    assert "ledger OK: 3 entries" in run("verify")


def test_verify_fails_with_exit_code_1_and_the_first_bad_seq(
    add_entries: Callable[[int], None],
) -> None:
    add_entries(5)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_entry SET purpose = 'x' WHERE seq = 3")
    with pytest.raises(CommandError) as failed:
        run("verify")
    assert failed.value.returncode == 1
    assert "first bad entry: 3" in str(failed.value)


def test_head_prints_the_written_head(add_entries: Callable[[int], None]) -> None:
    add_entries(2)
    printed = json.loads(run("head"))
    assert printed == heads.read_heads()[-1]
    assert printed["tree_size"] == 2


def test_prove_prints_a_proof_that_verifies_against_the_signed_head(
    add_entries: Callable[[int], None],
) -> None:
    add_entries(11)
    proof = json.loads(run("prove", "--entry", "6"))
    head = proof["signed_head"]
    heads.check_head(head, heads.public_key())
    assert (proof["leaf_index"], proof["tree_size"]) == (5, head["tree_size"]) == (5, 11)
    leaf = merkle.leaf_hash(proof["entry"].encode())
    assert leaf.hex() == proof["leaf_hash"]
    merkle.verify_inclusion(
        5,
        head["tree_size"],
        leaf,
        [bytes.fromhex(h) for h in proof["audit_path"]],
        bytes.fromhex(head["root_hash"]),
    )


def test_prove_uses_the_latest_head_when_it_covers_the_entry(
    add_entries: Callable[[int], None], heads_file: Path
) -> None:
    add_entries(4)
    head = heads.write_head()
    add_entries(4)
    proof = json.loads(run("prove", "--entry", "2"))
    assert proof["signed_head"] == head
    assert len(heads.read_heads()) == 1


def test_prove_writes_a_head_when_none_covers_the_entry(
    add_entries: Callable[[int], None],
) -> None:
    add_entries(4)
    heads.write_head()
    add_entries(4)
    proof = json.loads(run("prove", "--entry", "7"))
    assert proof["tree_size"] == 8
    assert [h["tree_size"] for h in heads.read_heads()] == [4, 8]


@pytest.mark.parametrize("entry", ["0", "4", "-1", "9" * 30])
def test_prove_out_of_range_is_an_error_not_a_proof(
    add_entries: Callable[[int], None], entry: str
) -> None:
    add_entries(3)
    with pytest.raises(CommandError, match="no entry"):
        run("prove", "--entry", entry)


def test_prove_refuses_a_changed_entry(add_entries: Callable[[int], None]) -> None:
    add_entries(3)
    heads.write_head()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_entry SET purpose = 'x' WHERE seq = 2")
    with pytest.raises(CommandError, match="changed"):
        run("prove", "--entry", "2")


def test_public_key_prints_pem() -> None:
    assert run("public-key").startswith("-----BEGIN PUBLIC KEY-----")
