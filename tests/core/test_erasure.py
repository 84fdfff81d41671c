"""D-02, LG-09, PR-04: an erasure survives restoring the backups, and the ledger verifies.

The scenario of D-02: back up the main database and the key store, erase, restore both, run
`jianguan keys replay-deletions`. SQLite backs the main database up with SQLite's online backup
API (pytest-django's test database lives in memory, so there is no file to copy); the key store
is a file copy after a checkpoint, as an operator would take it. On PostgreSQL only the key store
is backed up and restored: the main database stays as it is, which is the case of a key store
restored alone.
"""

from __future__ import annotations

import io
import shutil
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from jianguan.accounts.models import Institution, User
from jianguan.audit.heads import write_head
from jianguan.audit.ledger import record
from jianguan.audit.models import AuditEntry
from jianguan.audit.verify import verify_ledger
from jianguan.core import keyadmin
from jianguan.core.actors import Actor
from jianguan.core.crypto import keyring
from jianguan.core.errors import KeyDestroyed
from jianguan.core.fields import SHREDDED

MakeUser = Callable[..., User]


def fetch(pk: uuid.UUID) -> User:
    return User.objects.unscoped(reason="test").get(pk=pk)


def keys_replay() -> str:
    out = io.StringIO()
    call_command("keys", "replay-deletions", stdout=out)
    return out.getvalue()


def backup_key_store(target: Path) -> None:
    store = keyring().store
    store.checkpoint()
    shutil.copyfile(store.path, target)


def restore_key_store(source: Path) -> None:
    store = keyring().store
    store.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{store.path}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, store.path)
    keyring().forget()


def backup_main_database(target: Path) -> None:
    connection.ensure_connection()
    with sqlite3.connect(target) as dst:
        connection.connection.backup(dst)


def restore_main_database(source: Path) -> None:
    with sqlite3.connect(source) as src:
        src.backup(connection.connection)


@pytest.fixture
def own_heads(isolated_keys: Path, settings: Any) -> Path:
    """Signed heads of this test's ledger only, verified with this test's keys."""
    path = isolated_keys / "audit-heads.jsonl"
    settings.JIANGUAN_AUDIT_HEADS = path
    return path


@pytest.mark.django_db(transaction=True)
def test_an_erasure_survives_restoring_both_backups_and_the_ledger_still_verifies(
    own_heads: Path,
    isolated_keys: Path,
    make_user: MakeUser,
    institution: Institution,
    other_institution: Institution,
) -> None:
    actor = Actor.system("test")
    erased = make_user(full_name="被遗忘者", mobile="13600000000", inst=other_institution)
    kept = make_user(full_name="保留者", mobile="13600000001")
    for user in (erased, kept):
        record("user.create", actor=actor, resource_type="user", resource_id=str(user.pk))
    write_head()

    key_store_backup = isolated_keys / "backup-keystore.sqlite3"
    backup_key_store(key_store_backup)
    on_sqlite = connection.vendor == "sqlite"
    if on_sqlite:
        backup_main_database(isolated_keys / "backup-main.sqlite3")

    keyadmin.erase_scope(other_institution.id, "erasure request ER-1", actor=actor)
    assert fetch(erased.pk).full_name is SHREDDED

    restore_key_store(key_store_backup)
    if on_sqlite:
        restore_main_database(isolated_keys / "backup-main.sqlite3")
    # The restored main database predates the erasure; on PostgreSQL it was not restored.
    assert AuditEntry.objects.filter(action="keys.erase").exists() is not on_sqlite
    store = keyring().store
    assert store.get(other_institution.id) is not None  # the restored store has the key again
    assert store.pending_deletions() == 1

    assert "Deleted 1 data key(s)" in keys_replay()

    assert store.get(other_institution.id) is None
    assert store.pending_deletions() == 0
    keyring().forget()
    again = fetch(erased.pk)
    assert again.full_name is SHREDDED
    assert again.mobile is SHREDDED
    assert str(again.full_name) == "〔已销毁〕"
    assert fetch(kept.pk).full_name == "保留者"
    result = verify_ledger(heads_file=own_heads)
    assert result.ok, result.summary()
    assert result.heads_checked >= 1


@pytest.mark.django_db
def test_a_restored_key_store_refuses_an_erased_scope_even_before_the_replay(
    isolated_keys: Path, make_user: MakeUser, institution: Institution
) -> None:
    user = make_user(full_name="被遗忘者")
    backup = isolated_keys / "backup-keystore.sqlite3"
    backup_key_store(backup)
    keyadmin.erase_scope(institution.id, "erasure request ER-2", actor=Actor.system("test"))
    restore_key_store(backup)
    assert keyring().store.get(institution.id) is not None
    assert fetch(user.pk).full_name is SHREDDED  # the deletion log beside the store still says so


@pytest.mark.django_db
def test_an_erasure_is_logged_beside_the_key_store_and_audited(
    isolated_keys: Path, make_user: MakeUser, institution: Institution
) -> None:
    make_user(full_name="被遗忘者")
    keyadmin.erase_scope(institution.id, "erasure request ER-3", actor=Actor.system("test"))
    log = keyring().store.deletion_log_path
    assert log.parent == keyring().store.path.parent
    assert str(institution.id) in log.read_text()
    entry = AuditEntry.objects.get(action="keys.erase")
    assert entry.resource_id == str(institution.id)
    assert entry.resource_type == "data_key"


@pytest.mark.django_db
def test_an_erased_scope_never_gets_a_new_data_key(
    isolated_keys: Path, institution: Institution
) -> None:
    keyadmin.erase_scope(institution.id, "erasure request ER-4", actor=Actor.system("test"))
    with pytest.raises(KeyDestroyed):
        keyring().aead(institution.id, create=True)
