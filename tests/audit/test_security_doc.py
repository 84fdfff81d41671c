"""The stand-alone verifier in docs/security.md checks real proofs, so the doc stays true."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from jianguan.audit import heads

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
MARKER = "<!-- stand-alone verifier"

pytestmark = pytest.mark.django_db


def verifier_source() -> str:
    text = DOC.read_text(encoding="utf-8")
    after = text[text.index(MARKER) :]
    match = re.search(r"```python\n(.*?)```", after, re.DOTALL)
    assert match is not None
    return match.group(1)


@pytest.fixture
def checker(tmp_path: Path) -> Callable[[dict[str, Any]], subprocess.CompletedProcess[str]]:
    script = tmp_path / "check_proof.py"
    script.write_text(verifier_source(), encoding="utf-8")
    key = tmp_path / "head-key.pem"
    key.write_text(heads.public_key_pem(), encoding="ascii")

    def check(proof: dict[str, Any]) -> subprocess.CompletedProcess[str]:
        path = tmp_path / "proof.json"
        path.write_text(json.dumps(proof), encoding="utf-8")
        return subprocess.run(
            [sys.executable, str(script), str(path), str(key)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    return check


def prove(entry: int) -> dict[str, Any]:
    out = StringIO()
    call_command("audit", "prove", "--entry", str(entry), stdout=out)
    proof: dict[str, Any] = json.loads(out.getvalue())
    return proof


def test_verifier_imports_only_the_standard_library_and_cryptography() -> None:
    tree = ast.parse(verifier_source())
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            modules.add(str(node.module).split(".")[0])
        elif isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
    assert modules == {"hashlib", "json", "sys", "cryptography"}


@pytest.mark.parametrize("entry", [1, 4, 7])
def test_verifier_accepts_a_real_proof(
    add_entries: Callable[[int], None], checker: Callable[..., Any], entry: int
) -> None:
    add_entries(7)
    result = checker(prove(entry))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"OK: entry {entry} (customer.view)")


def test_verifier_accepts_an_entry_with_chinese_and_control_characters(
    doctor_actor: Any, checker: Callable[..., Any]
) -> None:
    from jianguan.audit.ledger import record

    record("customer.view", actor=doctor_actor, purpose="随访\r\n\x1b[0m")
    assert checker(prove(1)).returncode == 0


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            lambda p: p["signed_head"].update(timestamp=p["signed_head"]["timestamp"] + 1),
            "signature",
        ),
        (lambda p: p.update(entry=p["entry"].replace("customer.view", "customer.edit")), "leaf"),
        (lambda p: p["audit_path"].reverse(), "root"),
        (lambda p: p.update(leaf_index=p["leaf_index"] + 1), "canonical"),
        (lambda p: p["audit_path"].append(p["audit_path"][0]), "audit path"),
        (lambda p: p["signed_head"].update(key_id="00" * 32), "another key"),
    ],
)
def test_verifier_rejects_a_changed_proof(
    add_entries: Callable[[int], None],
    checker: Callable[..., Any],
    change: Callable[[dict[str, Any]], None],
    reason: str,
) -> None:
    add_entries(6)
    proof = prove(3)
    change(proof)
    result = checker(proof)
    assert result.returncode == 1
    assert result.stderr.startswith("FAILED") and reason in result.stderr
