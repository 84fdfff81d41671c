"""ENC-01: a dump of the database holds none of the seeded personal values in plaintext.

SQLite runs the first test (the raw file and its -wal after a checkpoint, or the raw page image
of pytest-django's in-memory test database), PostgreSQL the second (`pg_dump`); CI runs the
suite on both, so each half runs somewhere.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection

from jianguan.accounts.models import Institution, User

from ..conftest import ON_POSTGRES
from .conftest import database_image, pg_dump

MakeUser = Callable[..., User]

SEEDED = [
    # (full name, mobile, e-mail)
    ("司马相如", "13912345678", "sima.xiangru@example.cn"),
    ("欧阳娜娜", "+86 186 0755 1234", "ouyang.nana@example.cn"),
    ("Zhang Weiwei", "021-64041990", "zhang.weiwei@example.org"),
]


def forms(value: str) -> dict[str, bytes]:
    """The byte forms a plaintext would take in a dump: UTF-8, GBK, UTF-16 and bytea hex."""
    out = {
        "utf-8": value.encode(),
        "utf-16-le": value.encode("utf-16-le"),
        "utf-16-be": value.encode("utf-16-be"),
        "hex": value.encode().hex().encode(),
    }
    if not value.isascii():
        out["gbk"] = value.encode("gbk")
        out["gb18030"] = value.encode("gb18030")
    return out


def seed(make_user: MakeUser, institution: Institution) -> list[User]:
    users = []
    for i, (name, mobile, email) in enumerate(SEEDED):
        user = make_user(full_name=name, mobile=mobile, username=f"dump-user-{i}")
        user.email = email
        user.save()
        users.append(user)
    return users


def plaintext_hits(dump: bytes) -> list[str]:
    return [
        f"{value!r} as {form}"
        for row in SEEDED
        for value in row
        for form, needle in forms(value).items()
        if needle in dump
    ]


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite half of ENC-01; PostgreSQL runs test_pg_dump…")
@pytest.mark.django_db(transaction=True)
def test_the_sqlite_database_image_holds_no_seeded_plaintext(
    make_user: MakeUser, institution: Institution
) -> None:
    seed(make_user, institution)
    image = database_image()
    assert b"dump-user-0" in image  # the image does hold the rows (usernames are plaintext)
    assert plaintext_hits(image) == []


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL half of ENC-01; SQLite runs the other")
@pytest.mark.django_db(transaction=True)
def test_pg_dump_of_the_database_holds_no_seeded_plaintext(
    make_user: MakeUser, institution: Institution
) -> None:
    seed(make_user, institution)
    assert connection.vendor == "postgresql"
    dump = pg_dump()
    assert b"dump-user-0" in dump  # the dump does hold the rows (usernames are plaintext)
    assert plaintext_hits(dump) == []
