"""Several processes appending to one SQLite file: gapless seqs and an intact chain (D-08)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ON_POSTGRES

APPEND = """
import uuid
from jianguan.audit.ledger import record
from jianguan.core.actors import Actor
actor = Actor("staff", uuid.uuid4(), uuid.uuid4(), frozenset({"nurse"}))
for _ in range(100):
    record("customer.view", actor=actor, customer_id=uuid.uuid4())
"""


def _jianguan(var: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "JIANGUAN_TEST_VAR")}
    env |= {"JIANGUAN_VAR": str(var), "DJANGO_SETTINGS_MODULE": "jianguan.settings.development"}
    return subprocess.Popen(
        [sys.executable, "-m", "jianguan.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _run(var: Path, *args: str) -> str:
    proc = _jianguan(var, *args)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    return out


@pytest.mark.skipif(ON_POSTGRES, reason="a SQLite file test; the PostgreSQL run tests threads")
def test_four_processes_append_to_one_sqlite_file_without_gaps(tmp_path: Path) -> None:
    _run(tmp_path, "migrate", "-v", "0")
    _run(tmp_path, "keys", "init")  # as `make run` does: keys exist before anything is written
    procs = [_jianguan(tmp_path, "shell", "-c", APPEND) for _ in range(4)]
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, out
    out = _run(tmp_path, "audit", "verify")
    assert "ledger OK: 401 entries" in out  # 4 × 100 appends and the keys.init entry
