"""D-14: one read path for personal data, enforced by the default manager."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

import pytest

from jianguan.accounts.models import Institution, User
from jianguan.core.actors import Actor
from jianguan.core.errors import UnscopedQuery

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]
VIEW = "accounts.user.view"


def staff(institution: Institution, *roles: str) -> Actor:
    return Actor("staff", uuid.uuid4(), institution.id, frozenset(roles))


@pytest.mark.parametrize(
    "query",
    [
        lambda: User.objects.filter(username="x"),
        lambda: User.objects.all(),
        lambda: User.objects.get(pk=uuid.uuid4()),
        lambda: User.objects.count(),
        lambda: User.objects.exclude(is_active=False),
    ],
    ids=["filter", "all", "get", "count", "exclude"],
)
def test_a_plain_query_on_a_personal_data_model_raises_unscoped_query(
    query: Callable[[], object],
) -> None:
    with pytest.raises(UnscopedQuery):
        query()


def test_for_actor_returns_only_rows_of_the_actors_institution(
    make_user: MakeUser, institution: Institution, other_institution: Institution
) -> None:
    mine = make_user()
    make_user(inst=other_institution)
    rows = list(User.objects.for_actor(staff(institution, "institution_admin"), VIEW))
    assert rows == [mine]


def test_for_actor_returns_no_rows_without_the_capability(
    make_user: MakeUser, institution: Institution
) -> None:
    make_user()
    assert list(User.objects.for_actor(staff(institution, "doctor"), VIEW)) == []


def test_for_actor_returns_no_rows_for_an_actor_without_an_institution(
    make_user: MakeUser,
) -> None:
    make_user()
    assert list(User.objects.for_actor(Actor.system("test"), VIEW)) == []


def test_for_actor_cannot_be_widened_back_to_another_institution(
    make_user: MakeUser, institution: Institution, other_institution: Institution
) -> None:
    theirs = make_user(inst=other_institution)
    rows = User.objects.for_actor(staff(institution, "institution_admin"), VIEW)
    assert not rows.filter(pk=theirs.pk).exists()
    assert not rows.filter(institution_id=other_institution.id).exists()


def test_unscoped_without_a_reason_raises(make_user: MakeUser) -> None:
    make_user()
    with pytest.raises(UnscopedQuery):
        User.objects.unscoped(reason="")


def test_unscoped_with_a_reason_reads_every_institution_and_logs_the_reason(
    make_user: MakeUser, other_institution: Institution, caplog: pytest.LogCaptureFixture
) -> None:
    make_user()
    make_user(inst=other_institution)
    with caplog.at_level(logging.DEBUG, logger="jianguan.scoping"):
        assert User.objects.unscoped(reason="key job: rewrap").count() == 2
    assert "key job: rewrap" in caplog.text
