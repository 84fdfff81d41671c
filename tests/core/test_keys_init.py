"""Keys are created once, by `jianguan keys init`; a lost key file is never silently replaced."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from jianguan.core import keyadmin
from jianguan.core.actors import Actor
from jianguan.core.crypto import keyring
from jianguan.core.errors import KeysMissing

CLI = Actor.system("cli")


@pytest.fixture
def manual_keys(isolated_keys: Path, settings: Any) -> Path:
    settings.JIANGUAN_KEYS_AUTO_CREATE = False
    return isolated_keys


def test_init_creates_key_file_and_store_of_a_new_installation(manual_keys: Path, db: None) -> None:
    created = keyadmin.init_keys(actor=CLI)
    ring = keyring()
    assert created == [str(ring.provider.path), str(ring.store.path)]
    assert ring.provider.path.stat().st_mode & 0o777 == 0o600
    assert keyadmin.init_keys(actor=CLI) == []  # idempotent


def test_a_missing_key_file_is_an_error_not_new_keys(manual_keys: Path, db: None) -> None:
    with pytest.raises(KeysMissing, match="keys init"):
        keyring().provider.current_version()
    assert not keyring().provider.path.exists()


def test_a_missing_key_store_is_an_error_not_an_empty_store(manual_keys: Path, db: None) -> None:
    keyring().provider.create()
    with pytest.raises(KeysMissing, match="key store"):
        keyring().store.version_counts()
    assert not keyring().store.path.exists()


def test_init_refuses_new_keys_when_the_database_holds_encrypted_data(  # type: ignore[no-untyped-def]
    manual_keys: Path, db: None, make_user, settings
) -> None:
    settings.JIANGUAN_KEYS_AUTO_CREATE = True
    make_user("doctor")  # encrypted under the keys made on first use
    settings.JIANGUAN_KEYS_AUTO_CREATE = False
    keyring().provider.path.unlink()  # the key volume is lost
    with pytest.raises(KeysMissing, match="restore the key file"):
        keyadmin.init_keys(actor=CLI)
    assert not keyring().provider.path.exists()


def test_cli_init_reports_what_it_created(manual_keys: Path, db: None, capsys: Any) -> None:
    call_command("keys", "init")
    out = capsys.readouterr().out
    assert "keyfile.json" in out and "keystore.sqlite3" in out


def test_cli_refusal_is_a_clear_error(manual_keys: Path, db: None) -> None:
    keyring().store.allow_create = True
    keyring().store.version_counts()
    keyring().store.allow_create = False
    with pytest.raises(CommandError, match="keys_missing"):
        call_command("keys", "init")
