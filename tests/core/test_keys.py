"""KEK rotation, re-wrapping and retirement (ENC-04, D-04) and the `jianguan keys` command."""

from __future__ import annotations

import io
import json
import os
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.core.management import CommandError, ManagementUtility, call_command

from jianguan.accounts.models import Institution, User
from jianguan.audit.models import AuditEntry
from jianguan.core.crypto import keyring
from jianguan.core.errors import KeyRetired
from jianguan.core.keys import FileKeyProvider

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]


def fetch(pk: uuid.UUID) -> User:
    return User.objects.unscoped(reason="test").get(pk=pk)


def kek_version_of(scope_id: uuid.UUID) -> int:
    wrapped = keyring().store.get(scope_id)
    assert wrapped is not None
    return wrapped.kek_version


def keys(*args: str) -> str:
    out = io.StringIO()
    call_command("keys", *args, stdout=out, stderr=out)
    return out.getvalue()


def fresh_read(pk: uuid.UUID) -> object:
    """Read a field with no data key cached, so the key store row is unwrapped again."""
    keyring().forget()
    return fetch(pk).full_name


# -- ENC-04 ---------------------------------------------------------------------------------------


def test_after_rotation_new_data_keys_are_wrapped_by_the_new_kek_version(
    isolated_keys: Path,
    make_user: MakeUser,
    institution: Institution,
    other_institution: Institution,
) -> None:
    make_user(full_name="旧密钥")
    assert kek_version_of(institution.id) == 1
    keys("rotate")
    make_user(full_name="新密钥", inst=other_institution)
    assert kek_version_of(other_institution.id) == 2
    assert kek_version_of(institution.id) == 1


def test_after_rotation_rows_under_the_old_kek_version_still_read(
    isolated_keys: Path, make_user: MakeUser
) -> None:
    user = make_user(full_name="旧密钥")
    keys("rotate")
    assert fresh_read(user.pk) == "旧密钥"


def test_rewrap_moves_every_data_key_to_the_current_kek_version(
    isolated_keys: Path, make_user: MakeUser, other_institution: Institution
) -> None:
    first = make_user(full_name="甲")
    second = make_user(full_name="乙", inst=other_institution)
    keys("rotate")
    assert "Re-wrapped 2 data key(s)" in keys("rewrap")
    assert keyring().store.version_counts() == {2: 2}
    assert fresh_read(first.pk) == "甲"
    assert fresh_read(second.pk) == "乙"


def test_retire_after_rewrap_deletes_the_old_kek_and_rows_still_read(
    isolated_keys: Path, make_user: MakeUser
) -> None:
    user = make_user(full_name="甲")
    keys("rotate")
    keys("rewrap")
    keys("retire", "--below", "2")
    provider = keyring().provider
    assert provider.versions() == [2]
    assert provider.min_version() == 2
    assert list(json.loads(provider.path.read_text())["keks"]) == ["2"]
    assert fresh_read(user.pk) == "甲"


def test_a_data_key_wrapped_by_a_retired_kek_version_fails_loudly(
    isolated_keys: Path, make_user: MakeUser
) -> None:
    user = make_user(full_name="甲")
    keys("rotate")
    keyring().provider.retire_below(2)  # no rewrap first: the institution's DEK is orphaned
    with pytest.raises(KeyRetired):
        fresh_read(user.pk)


def test_a_retirement_by_another_process_is_seen_without_a_restart(
    isolated_keys: Path, make_user: MakeUser
) -> None:
    user = make_user(full_name="甲")
    ring = keyring()
    other_process = FileKeyProvider(ring.provider.path)
    other_process.rotate()
    assert ring.provider.current_version() == 2
    other_process.retire_below(2)
    with pytest.raises(KeyRetired):
        fresh_read(user.pk)


def test_rewrap_fails_loudly_when_a_data_key_is_wrapped_by_a_retired_version(
    isolated_keys: Path, make_user: MakeUser
) -> None:
    make_user(full_name="甲")
    keys("rotate")
    keyring().provider.retire_below(2)
    with pytest.raises(CommandError, match="key_retired"):
        keys("rewrap")


def test_a_second_process_creating_the_key_file_does_not_replace_it(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "keyfile.json"
    first, second = FileKeyProvider(path), FileKeyProvider(path)
    assert first.create() is True
    created = path.read_bytes()
    assert second.create() is False
    assert path.read_bytes() == created
    assert second.audit_mac_key() == first.audit_mac_key()
    assert [p.name for p in path.parent.iterdir()] == ["keyfile.json"]  # no temporary file left


# -- refusals -------------------------------------------------------------------------------------


def test_retiring_the_current_kek_version_is_refused(isolated_keys: Path) -> None:
    keys("rotate")
    with pytest.raises(CommandError, match="kek_current"):
        keys("retire", "--below", "3")
    assert keyring().provider.versions() == [1, 2]


def test_retiring_a_kek_version_that_still_wraps_data_keys_is_refused(
    isolated_keys: Path, make_user: MakeUser
) -> None:
    user = make_user(full_name="甲")
    keys("rotate")
    with pytest.raises(CommandError, match="kek_in_use"):
        keys("retire", "--below", "2")
    assert keyring().provider.versions() == [1, 2]
    assert fresh_read(user.pk) == "甲"


def test_retiring_an_already_retired_kek_version_is_refused(isolated_keys: Path) -> None:
    keys("rotate")
    keys("retire", "--below", "2")
    with pytest.raises(CommandError, match="kek_already_retired"):
        keys("retire", "--below", "2")


@pytest.mark.django_db(transaction=True)
def test_a_refused_key_operation_exits_1_with_a_message_and_no_traceback(
    isolated_keys: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["jianguan", "keys", "retire", "--below", "9"]).execute()
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "CommandError" in err and "kek_current" in err
    assert "Traceback" not in err


# -- status and checks ----------------------------------------------------------------------------


def test_keys_status_lists_versions_data_keys_per_version_and_erasures(
    isolated_keys: Path, make_user: MakeUser, other_institution: Institution
) -> None:
    make_user(full_name="甲")
    keys("rotate")
    make_user(full_name="乙", inst=other_institution)
    out = keys("status")
    assert "KEK versions:  1, 2 (current 2, minimum 1)" in out
    assert "  version 1: 1\n  version 2: 1" in out
    assert "Erased scopes: 0" in out
    assert "Problem" not in out


def test_keys_status_reports_a_key_file_readable_by_others(isolated_keys: Path) -> None:
    path = keyring().provider.path
    keys("status")  # creates the key file
    os.chmod(path, 0o644)
    assert f"Problem: {path} has mode 644; it must be 600" in keys("status")


def test_the_key_file_is_created_with_mode_0600(isolated_keys: Path) -> None:
    keys("status")
    assert os.stat(keyring().provider.path).st_mode & 0o777 == 0o600


def test_the_system_check_warns_when_the_key_file_is_not_0600(isolated_keys: Path) -> None:
    keys("status")
    path = keyring().provider.path
    assert not [m for m in run_checks() if m.id == "jianguan.core.W001"]
    os.chmod(path, 0o640)
    warnings = [m for m in run_checks() if m.id == "jianguan.core.W001"]
    assert len(warnings) == 1
    assert "640" in warnings[0].msg


# -- audit ----------------------------------------------------------------------------------------


def test_each_key_operation_is_appended_to_the_audit_ledger(
    isolated_keys: Path, make_user: MakeUser
) -> None:
    make_user(full_name="甲")
    keys("rotate")
    with pytest.raises(CommandError):
        keys("retire", "--below", "2")
    keys("rewrap")
    keys("retire", "--below", "2")
    keys("replay-deletions")
    entries = list(
        AuditEntry.objects.filter(action__startswith="keys.")
        .order_by("seq")
        .values_list("action", "outcome", "resource_id")
    )
    assert entries == [
        ("keys.rotate", "success", "2"),
        ("keys.retire", "failure", "2"),
        ("keys.rewrap", "success", "2"),
        ("keys.retire", "success", "2"),
        ("keys.replay_deletions", "success", ""),
    ]
