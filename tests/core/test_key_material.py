"""Keys stay out of the database and the logs (ENC-05, ENC-07)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from jianguan.accounts.models import Institution, User
from jianguan.core.crypto import keyring
from jianguan.core.errors import DecryptionFailed
from jianguan.core.keys import key_provider

from .conftest import database_image, encodings_of, file_image, plain_dek

MakeUser = Callable[..., User]


def fetch(pk: uuid.UUID) -> User:
    return User.objects.unscoped(reason="test").get(pk=pk)


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every logger at DEBUG into caplog, SQL statements with their parameters included."""
    names = ["", *logging.root.manager.loggerDict]
    isolated = []
    for name in names:
        caplog.set_level(logging.DEBUG, logger=name)
        logger = logging.getLogger(name)
        if not logger.propagate:
            logger.addHandler(caplog.handler)
            isolated.append(logger)
    forced = connection.force_debug_cursor
    connection.force_debug_cursor = True  # django.db.backends logs each query at DEBUG
    try:
        yield caplog
    finally:
        connection.force_debug_cursor = forced
        for logger in isolated:
            logger.removeHandler(caplog.handler)


def log_bytes(caplog: pytest.LogCaptureFixture) -> bytes:
    parts = [caplog.text]
    for rec in caplog.records:
        parts += [str(rec.msg), repr(rec.args), rec.getMessage()]
    return "\n".join(parts).encode("utf-8", "backslashreplace")


def leaks(secret: bytes, haystacks: dict[str, bytes]) -> list[str]:
    return [
        f"{form} in {where}"
        for form, needle in encodings_of(secret).items()
        for where, hay in haystacks.items()
        if needle in hay
    ]


@pytest.mark.django_db(transaction=True)
def test_plaintext_data_keys_reach_no_log_no_database_and_no_key_store(
    isolated_keys: Path,
    all_logs: pytest.LogCaptureFixture,
    make_user: MakeUser,
    institution: Institution,
) -> None:
    logging.getLogger("jianguan").debug("capture check")
    user = make_user(full_name="上官婉儿", mobile="13811112222")
    keyring().forget()  # unwrap again, as a new process would
    loaded = fetch(user.pk)
    assert loaded.full_name == "上官婉儿"
    loaded.email = "wan.er@example.cn"
    loaded.save()
    dek = plain_dek(institution.id)

    store = keyring().store
    store.checkpoint()
    haystacks = {
        "logs": log_bytes(all_logs),
        "database": database_image(),
        "key store": file_image(store.path),
        "key file": key_provider().path.read_bytes(),
    }
    assert b"capture check" in haystacks["logs"]
    assert any("accounts_user" in r.getMessage() for r in all_logs.records), "SQL was not logged"
    assert leaks(dek, haystacks) == []


@pytest.mark.django_db(transaction=True)
def test_no_key_of_the_key_file_is_stored_in_the_database(
    isolated_keys: Path, make_user: MakeUser
) -> None:
    make_user(full_name="上官婉儿")
    provider = key_provider()
    secrets = {f"kek {v}": provider._kek(v) for v in provider.versions()}
    secrets["audit mac key"] = provider.audit_mac_key()
    secrets["blind index root"] = provider.blind_index_root()
    secrets["head signing key"] = provider._key("head_signing_key")
    image = {"database": database_image()}
    assert [f"{name}: {leak}" for name, key in secrets.items() for leak in leaks(key, image)] == []


def test_a_copy_of_the_database_without_the_key_file_cannot_decrypt(
    isolated_keys: Path, settings: Any, make_user: MakeUser
) -> None:
    user = make_user(full_name="上官婉儿")
    elsewhere = isolated_keys / "elsewhere" / "keyfile.json"
    settings.JIANGUAN_KEY_FILE = elsewhere  # the database and key store, but not the key file
    with pytest.raises(DecryptionFailed):
        _ = fetch(user.pk).full_name
    assert elsewhere.exists()  # a fresh key file was made: its KEK is not the one that wrapped


def test_a_copy_of_the_database_without_the_key_store_cannot_decrypt(
    isolated_keys: Path, settings: Any, make_user: MakeUser
) -> None:
    user = make_user(full_name="上官婉儿")
    settings.JIANGUAN_KEYSTORE = isolated_keys / "elsewhere" / "keystore.sqlite3"
    with pytest.raises(DecryptionFailed):
        _ = fetch(user.pk).full_name
