"""The auditor's ledger page and CSV export."""

from __future__ import annotations

import csv
import io
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jianguan.accounts.models import Institution, User
from jianguan.audit.ledger import record
from jianguan.audit.models import AuditEntry
from jianguan.core.actors import Actor

pytestmark = pytest.mark.django_db

LIST = "audit:entry_list"
EXPORT = "audit:export"
StaffClient = Callable[..., tuple[Client, User]]


def actor(user: User) -> Actor:
    return Actor("staff", user.pk, user.institution_id, user.role_codes)


@pytest.fixture
def auditor(staff_client: StaffClient) -> tuple[Client, User]:
    return staff_client("auditor")


def rows(response: object) -> list[int]:
    return [row["entry"].seq for row in response.context["rows"]]  # type: ignore[attr-defined]


# -- who may open it ----------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client: Client) -> None:
    response = client.get(reverse(LIST))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("role", ["doctor", "institution_admin", "security_admin"])
def test_other_roles_get_not_found(staff_client: StaffClient, role: str) -> None:
    client, _ = staff_client(role)
    assert client.get(reverse(LIST)).status_code == 404


@pytest.mark.parametrize("role", ["doctor", "institution_admin"])
def test_other_roles_cannot_export(staff_client: StaffClient, role: str) -> None:
    client, _ = staff_client(role)
    assert client.get(reverse(EXPORT)).status_code == 404


# -- the list -----------------------------------------------------------------------------------


def test_auditor_sees_own_institution_and_site_entries_only(
    auditor: tuple[Client, User],
    make_user: Callable[..., User],
    other_institution: Institution,
) -> None:
    client, _ = auditor
    doctor = make_user("doctor")
    stranger = make_user("doctor", inst=other_institution)
    record("customer.view", actor=actor(doctor))
    record("customer.view", actor=actor(stranger))
    record("auth.login_failed", outcome="failure")
    response = client.get(reverse(LIST))
    assert response.status_code == 200
    assert rows(response) == [3, 1]


def test_list_shows_usernames_for_actor_ids(
    auditor: tuple[Client, User], make_user: Callable[..., User]
) -> None:
    client, _ = auditor
    doctor = make_user("doctor", username="dr-zhang")
    record("customer.view", actor=actor(doctor))
    assert "dr-zhang" in client.get(reverse(LIST)).content.decode()


def test_usernames_are_looked_up_in_one_query(
    auditor: tuple[Client, User], make_user: Callable[..., User]
) -> None:
    client, _ = auditor

    def queries_for_page() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse(LIST)).status_code == 200
        return len(ctx.captured_queries)

    record("customer.view", actor=actor(make_user("doctor")))
    few = queries_for_page()
    for _ in range(30):
        record("customer.view", actor=actor(make_user("nurse")))
    assert queries_for_page() == few


def test_filter_by_username(auditor: tuple[Client, User], make_user: Callable[..., User]) -> None:
    client, _ = auditor
    a, b = make_user("doctor", username="dr-a"), make_user("doctor", username="dr-b")
    record("customer.view", actor=actor(a))
    record("customer.view", actor=actor(b))
    record("customer.view", actor=actor(a))
    assert rows(client.get(reverse(LIST), {"user": "dr-a"})) == [3, 1]


def test_unknown_username_is_an_error_next_to_the_field(auditor: tuple[Client, User]) -> None:
    client, _ = auditor
    response = client.get(reverse(LIST), {"user": "nobody"})
    assert response.status_code == 200
    assert response.context["form"].errors["user"] == ["本机构没有这个用户名"]
    assert 'id="id_user_error"' in response.content.decode()


def test_username_of_another_institution_is_unknown(
    auditor: tuple[Client, User],
    make_user: Callable[..., User],
    other_institution: Institution,
) -> None:
    client, _ = auditor
    make_user("doctor", username="dr-elsewhere", inst=other_institution)
    response = client.get(reverse(LIST), {"user": "dr-elsewhere"})
    assert "user" in response.context["form"].errors


def test_filter_by_customer(auditor: tuple[Client, User]) -> None:
    client, user = auditor
    customer = uuid.uuid4()
    record("customer.view", actor=actor(user), customer_id=customer)
    record("customer.view", actor=actor(user), customer_id=uuid.uuid4())
    assert rows(client.get(reverse(LIST), {"customer": str(customer)})) == [1]


def test_invalid_customer_id_is_an_error_not_a_crash(auditor: tuple[Client, User]) -> None:
    client, _ = auditor
    response = client.get(reverse(LIST), {"customer": "'; DROP TABLE audit_entry; --"})
    assert response.status_code == 200
    assert "customer" in response.context["form"].errors


def test_filter_by_action_exact_and_prefix(auditor: tuple[Client, User]) -> None:
    client, user = auditor
    for action in ("auth.login", "auth.logout", "customer.view"):
        record(action, actor=actor(user))
    assert rows(client.get(reverse(LIST), {"action": "auth.login"})) == [1]
    assert rows(client.get(reverse(LIST), {"action": "auth.*"})) == [2, 1]


def test_filter_by_outcome(auditor: tuple[Client, User]) -> None:
    client, user = auditor
    record("auth.login", actor=actor(user))
    record("auth.login_failed", actor=actor(user), outcome="failure")
    assert rows(client.get(reverse(LIST), {"outcome": "failure"})) == [2]


def test_filter_by_time_range(auditor: tuple[Client, User]) -> None:
    client, user = auditor
    record("auth.login", actor=actor(user))
    now = timezone.localtime()
    fmt = "%Y-%m-%dT%H:%M"
    before = (now - timedelta(minutes=5)).strftime(fmt)
    after = (now + timedelta(minutes=5)).strftime(fmt)
    assert rows(client.get(reverse(LIST), {"since": before, "until": after})) == [1]
    assert rows(client.get(reverse(LIST), {"since": after})) == []


def test_reversed_time_range_is_an_error(auditor: tuple[Client, User]) -> None:
    client, _ = auditor
    response = client.get(reverse(LIST), {"since": "2025-02-01T00:00", "until": "2025-01-01T00:00"})
    assert response.context["form"].errors["until"] == ["截止时间早于起始时间"]


def test_pages_are_fifty_newest_first_with_older_and_newer_links(
    auditor: tuple[Client, User],
) -> None:
    client, user = auditor
    from jianguan.audit import ledger

    ledger.append_many([ledger.build("customer.view", actor=actor(user)) for _ in range(120)])
    first = client.get(reverse(LIST))
    assert rows(first) == list(range(120, 70, -1))
    assert first.context["page"].older == 71 and first.context["page"].newer is None
    second = client.get(reverse(LIST), {"before": 71})
    assert rows(second) == list(range(70, 20, -1))
    third = client.get(reverse(LIST), {"before": 21})
    assert rows(third) == list(range(20, 0, -1))
    assert third.context["page"].older is None
    back = client.get(reverse(LIST), {"after": 70})
    assert rows(back) == list(range(120, 70, -1))


@pytest.mark.parametrize("position", ["abc", "-5", "9" * 30, "١٢"])
def test_bad_paging_positions_are_ignored(auditor: tuple[Client, User], position: str) -> None:
    client, user = auditor
    record("auth.login", actor=actor(user))
    for key in ("before", "after"):
        response = client.get(reverse(LIST), {key: position})
        assert response.status_code == 200
        assert rows(response) == [1]


# -- export -------------------------------------------------------------------------------------


def reauthenticated(client: Client) -> Client:
    session = client.session
    session["reauth_at"] = time.time()
    session.save()
    return client


def exported(client: Client, params: dict[str, str] | None = None) -> list[list[str]]:
    response = client.get(reverse(EXPORT), params or {})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    return list(csv.reader(io.StringIO(body)))


def test_export_needs_a_fresh_reauthentication(auditor: tuple[Client, User]) -> None:
    client, _ = auditor
    response = client.get(reverse(EXPORT))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:reauth"))
    assert not AuditEntry.objects.filter(action="audit.export").exists()


def test_export_writes_the_filtered_entries_oldest_first(
    auditor: tuple[Client, User], make_user: Callable[..., User]
) -> None:
    client, _ = auditor
    doctor = make_user("doctor", username="dr-csv")
    record("customer.view", actor=actor(doctor), resource_type="customer", resource_id="c1")
    record("auth.login", actor=actor(doctor))
    record("customer.view", actor=actor(doctor), resource_type="customer", resource_id="c2")
    table = exported(reauthenticated(client), {"action": "customer.view"})
    assert table[0][:4] == ["seq", "recorded", "actor_id", "username"]
    assert [(r[0], r[3], r[8]) for r in table[1:]] == [("1", "dr-csv", "c1"), ("3", "dr-csv", "c2")]


def test_export_neutralises_spreadsheet_formulas(auditor: tuple[Client, User]) -> None:
    client, user = auditor
    for hostile in ('=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)"):
        record("customer.view", actor=actor(user), resource_id=hostile)
    table = exported(reauthenticated(client), {"action": "customer.view"})
    assert [r[8] for r in table[1:]] == ['\'=HYPERLINK("http://x")', "'+1", "'-2+3", "'@SUM(A1)"]


def test_export_is_itself_audited(auditor: tuple[Client, User]) -> None:
    client, user = auditor
    customer = uuid.uuid4()
    exported(reauthenticated(client), {"customer": str(customer), "action": "customer.view"})
    entry = AuditEntry.objects.get(action="audit.export")
    assert (entry.actor_id, entry.customer_id, entry.resource_type) == (
        user.pk,
        customer,
        "audit_entry",
    )
    assert entry.resource_id == "action=customer.view"


def test_export_with_invalid_filters_shows_the_errors(auditor: tuple[Client, User]) -> None:
    client, _ = auditor
    response = reauthenticated(client).get(reverse(EXPORT), {"customer": "nope"})
    assert response.status_code == 400
    assert "customer" in response.context["form"].errors
    assert not AuditEntry.objects.filter(action="audit.export").exists()
