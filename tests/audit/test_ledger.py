"""The entry point `record(...)`: canonical entries, the keyed chain, buffering, ids only."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from jianguan.accounts.models import Institution, User
from jianguan.audit import ledger
from jianguan.audit.ledger import Pending, record
from jianguan.audit.models import AppendOnly, AuditEntry, AuditJobItem
from jianguan.audit.proofs import entry_bytes
from jianguan.audit.verify import verify_ledger
from jianguan.core import context
from jianguan.core.actors import Actor
from jianguan.core.keys import key_provider
from tests.conftest import ON_POSTGRES

pytestmark = pytest.mark.django_db


def _pending(**overrides: object) -> Pending:
    values: dict[str, object] = {
        "recorded": datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        "actor_id": uuid.UUID("11111111-1111-1111-1111-111111111111"),
        "role": "doctor",
        "institution_id": uuid.UUID("22222222-2222-2222-2222-222222222222"),
        "action": "customer.view",
        "resource_type": "customer",
        "resource_id": "abc",
        "customer_id": None,
        "outcome": "success",
        "client_address": "127.0.0.1",
        "purpose": "treatment",
        "request_id": "r1",
    }
    values.update(overrides)
    return Pending(**values)  # type: ignore[arg-type]


def test_canonical_json_is_pinned() -> None:
    assert ledger.canonical_pending(7, _pending()) == (
        b'{"action":"customer.view","actor_id":"11111111111111111111111111111111",'
        b'"client_address":"127.0.0.1","customer_id":null,'
        b'"institution_id":"22222222222222222222222222222222","outcome":"success",'
        b'"purpose":"treatment","recorded":"2025-01-02T03:04:05.678901Z","request_id":"r1",'
        b'"resource_id":"abc","resource_type":"customer","role":"doctor","seq":7}'
    )


def test_canonical_json_keeps_non_ascii_as_utf8() -> None:
    body = ledger.canonical_pending(1, _pending(purpose="随访"))
    assert '"purpose":"随访"'.encode() in body


def test_canonical_json_equals_sorted_compact_stdlib_json() -> None:
    body = ledger.canonical_pending(3, _pending(resource_id='a"b\\c\r\n\x1b[0m', purpose="体检"))
    fields = json.loads(body)
    assert body == json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def test_fast_hmac_reproduces_rfc_4231_test_case_1() -> None:
    mac = ledger.fast_hmac(b"\x0b" * 20)(b"Hi There")
    assert mac.hex() == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"


@pytest.mark.parametrize("key_length", [1, 32, 64, 65, 131])
def test_fast_hmac_equals_the_standard_library(key_length: int) -> None:
    key = bytes(range(key_length % 256)) * (key_length // 256 + 1)
    key = (key * 2)[:key_length]
    message = b"entry" * 70
    assert ledger.fast_hmac(key)(message) == hmac.digest(key, message, "sha256")


def test_entry_recorded_on_a_whole_second_verifies(doctor_actor: Actor) -> None:
    # Django stores such a time without a fraction; the verifier must still rebuild the entry.
    entry = ledger.build("customer.view", actor=doctor_actor)
    whole = dataclasses.replace(entry, recorded=entry.recorded.replace(microsecond=0))
    ledger.append_many([whole])
    assert verify_ledger().ok


def test_seq_is_gapless_from_one(doctor_actor: Actor) -> None:
    for _ in range(3):
        record("customer.view", actor=doctor_actor)
    ledger.append_many([ledger.build("customer.view", actor=doctor_actor) for _ in range(4)])
    assert list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, 8)
    )


def test_leaf_hash_and_mac_follow_the_documented_formulas(doctor_actor: Actor) -> None:
    record("customer.view", actor=doctor_actor, resource_id="1")
    record("customer.view", actor=doctor_actor, resource_id="2")
    key = key_provider().audit_mac_key()
    previous = bytes(32)
    for entry in AuditEntry.objects.order_by("seq"):
        body = entry_bytes(entry)
        assert bytes(entry.leaf_hash) == hashlib.sha256(b"\x00" + body).digest()
        expected = hmac.new(key, body + previous, hashlib.sha256).digest()
        assert bytes(entry.mac) == expected
        previous = expected


def test_entry_takes_institution_role_and_purpose_from_the_actor(doctor_actor: Actor) -> None:
    record("customer.view", actor=doctor_actor)
    entry = AuditEntry.objects.get()
    assert (entry.actor_id, entry.institution_id, entry.role, entry.purpose) == (
        doctor_actor.id,
        doctor_actor.institution_id,
        "doctor",
        "treatment",
    )


def test_entry_without_actor_is_anonymous_without_purpose() -> None:
    record("auth.login_failed", outcome="failure", resource_type="user")
    entry = AuditEntry.objects.get()
    assert (entry.actor_id, entry.role, entry.purpose, entry.outcome) == (
        None,
        "anonymous",
        "",
        "failure",
    )


def test_entry_carries_the_request_id_and_client_address(doctor_actor: Actor) -> None:
    token = context.begin(context.RequestContext(request_id="abc123", client_address="10.1.2.3"))
    try:
        record("customer.view", actor=doctor_actor)
    finally:
        context.end(token)
    entry = AuditEntry.objects.get()
    assert (entry.request_id, entry.client_address) == ("abc123", "10.1.2.3")


def test_recorded_is_timezone_aware_utc_and_now(doctor_actor: Actor) -> None:
    record("customer.view", actor=doctor_actor)
    recorded = AuditEntry.objects.get().recorded
    assert recorded.tzinfo is not None
    assert abs(recorded - datetime.now(UTC)) < timedelta(seconds=2)


@pytest.mark.parametrize("action", ["Auth.Login", "login", "auth.login\n", "auth..login", ""])
def test_action_must_be_a_dotted_lower_case_name(action: str) -> None:
    with pytest.raises(ledger.LedgerError):
        record(action)


def test_outcome_must_be_known() -> None:
    with pytest.raises(ledger.LedgerError):
        record("auth.login", outcome="ok")


def test_overlong_resource_id_is_refused() -> None:
    with pytest.raises(ledger.LedgerError):
        record("customer.view", resource_id="x" * 201)


def test_customer_id_must_be_a_uuid() -> None:
    with pytest.raises(ledger.LedgerError):
        record("customer.view", customer_id="not-a-uuid")  # type: ignore[arg-type]


# -- log injection (AU-06) ----------------------------------------------------------------------

HOSTILE = 'evil\r\n{"action":"auth.login","seq":1}\x1b[31mred\x1b[0m",\\'


def test_hostile_value_stays_inside_its_field(doctor_actor: Actor) -> None:
    record("customer.view", actor=doctor_actor, resource_id=HOSTILE, purpose=HOSTILE[:60])
    entry = AuditEntry.objects.get()
    body = entry_bytes(entry)
    assert b"\r" not in body and b"\n" not in body and b"\x1b" not in body
    parsed = json.loads(body)
    assert parsed["resource_id"] == HOSTILE
    assert parsed["action"] == "customer.view"
    assert entry.resource_id == HOSTILE  # stored as given, escaped only in the entry bytes


def test_hostile_value_still_verifies(doctor_actor: Actor) -> None:
    record("customer.view", actor=doctor_actor, resource_id=HOSTILE)
    assert verify_ledger().ok


# -- no secrets (AU-05) -------------------------------------------------------------------------


def _login_ish_flow(
    username: str, password: str, totp_code: str, session_key: str, national_id: str
) -> None:
    """What a login and a customer search record: the secrets pass through, ids are recorded."""
    user = User.objects.unscoped(reason="test login").get(username=username)
    assert user.check_password(password)
    assert totp_code.isdigit() and session_key and national_id
    actor = Actor("staff", user.pk, user.institution_id, user.role_codes)
    record("auth.login", actor=actor, resource_type="user", resource_id=str(user.pk))
    record("auth.reauth", actor=actor, resource_type="user", resource_id=str(user.pk))
    record("customer.search", actor=actor, resource_type="customer", customer_id=uuid.uuid4())
    record(
        "auth.login_failed",
        outcome="failure",
        resource_type="user",
        institution_id=user.institution_id,
    )


def test_no_secret_reaches_the_audit_tables(make_user: Callable[..., User]) -> None:
    secrets = {
        "password": "Zq9-correct-horse-7781",
        "totp": "492039",
        "session": "k3j4h5g6f7d8s9a0q1w2e3r4t5y6u7i8",
        "national_id": "11010519491231002X",
    }
    user = make_user("doctor", password=secrets["password"], full_name="王秀英")
    _login_ish_flow(
        user.username,
        secrets["password"],
        secrets["totp"],
        secrets["session"],
        secrets["national_id"],
    )
    ledger.record_job_run(
        "tags", action="tags.recompute", resource_type="customer", ids=[str(uuid.uuid4())]
    )
    dump = []
    with connection.cursor() as cursor:
        for table in ("audit_entry", "audit_job_item"):
            cursor.execute(f"SELECT * FROM {table}")
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        dump.append(bytes(value).hex())
                        dump.append(bytes(value).decode("latin-1"))
                    else:
                        dump.append(str(value))
    text = "\n".join(dump)
    assert AuditEntry.objects.count() == 5
    for name, secret in secrets.items():
        assert secret not in text, name
    assert "王秀英" not in text and user.username not in text


# -- buffering (D-07, D-08) ---------------------------------------------------------------------


def test_deferred_entries_wait_for_the_flush(doctor_actor: Actor) -> None:
    with ledger.buffered():
        for _ in range(3):
            record("customer.view", actor=doctor_actor, defer=True)
        assert AuditEntry.objects.count() == 0
    assert AuditEntry.objects.count() == 3


def test_write_entries_are_appended_at_once_inside_a_buffer(doctor_actor: Actor) -> None:
    with ledger.buffered():
        record("user.update", actor=doctor_actor)
        assert AuditEntry.objects.count() == 1


def test_deferred_entry_outside_a_request_is_appended_at_once(doctor_actor: Actor) -> None:
    record("customer.view", actor=doctor_actor, defer=True)
    assert AuditEntry.objects.count() == 1


def test_buffer_is_flushed_when_the_block_raises(doctor_actor: Actor) -> None:
    with pytest.raises(RuntimeError), ledger.buffered():
        record("access.denied", actor=doctor_actor, outcome="denied", defer=True)
        raise RuntimeError("view failed")
    assert AuditEntry.objects.get().action == "access.denied"


def test_fifty_deferred_entries_are_one_insert_statement(doctor_actor: Actor) -> None:
    with ledger.buffered():
        for _ in range(50):
            record("customer.view", actor=doctor_actor, customer_id=uuid.uuid4(), defer=True)
        with CaptureQueriesContext(connection) as queries:
            assert ledger.flush() == 50
    inserts = [q["sql"] for q in queries.captured_queries if "INSERT" in q["sql"]]
    assert len(inserts) == 1 and inserts[0].startswith("50 times: INSERT INTO audit_entry")
    assert AuditEntry.objects.count() == 50


def test_an_append_that_fails_midway_leaves_nothing_behind(doctor_actor: Actor) -> None:
    good = ledger.build("customer.view", actor=doctor_actor)
    # The entries are inserted first; the child row then cannot be bound and the insert fails.
    bad = dataclasses.replace(good, job_items=("ok", object()))  # type: ignore[arg-type]
    with pytest.raises(Exception):  # noqa: B017 -- each database raises its own error type
        ledger.append_many([good, bad])
    assert AuditEntry.objects.count() == 0
    assert AuditJobItem.objects.count() == 0


def test_record_many_gives_one_deferred_entry_per_customer(doctor_actor: Actor) -> None:
    customers = [uuid.uuid4() for _ in range(3)]
    with ledger.buffered():
        ledger.record_many("customer.view", customers, actor=doctor_actor)
        assert AuditEntry.objects.count() == 0
    entries = list(AuditEntry.objects.order_by("seq"))
    assert [e.customer_id for e in entries] == customers
    assert [e.resource_id for e in entries] == [str(c) for c in customers]
    assert {(e.action, e.resource_type, e.actor_id) for e in entries} == {
        ("customer.view", "customer", doctor_actor.id)
    }
    assert verify_ledger().ok


def test_record_many_needs_one_resource_id_per_customer(doctor_actor: Actor) -> None:
    with pytest.raises(ledger.LedgerError):
        ledger.record_many("customer.view", [uuid.uuid4()], actor=doctor_actor, resource_ids=[])


def test_record_many_refuses_an_overlong_resource_id(doctor_actor: Actor) -> None:
    with pytest.raises(ledger.LedgerError):
        ledger.record_many(
            "customer.view", [uuid.uuid4()], actor=doctor_actor, resource_ids=["x" * 201]
        )


# -- job runs (D-07) ----------------------------------------------------------------------------


def test_job_run_is_one_entry_with_its_ids_in_the_child_table(
    institution: Institution,
) -> None:
    ids = [uuid.uuid4() for _ in range(3)]
    seq = ledger.record_job_run(
        "tags",
        action="tags.recompute",
        resource_type="customer",
        ids=ids,
        institution_id=institution.pk,
    )
    entry = AuditEntry.objects.get()
    assert entry.seq == seq
    assert (entry.role, entry.purpose, entry.actor_id) == ("job:tags", "system", None)
    assert entry.resource_id == "touched:3:" + ledger.job_items_digest([str(i) for i in ids])
    items = AuditJobItem.objects.filter(entry_id=seq).order_by("position")
    assert [i.resource_id for i in items] == [str(i) for i in ids]


# -- append-only through the ORM ----------------------------------------------------------------


def test_orm_refuses_to_update_entries(doctor_actor: Actor) -> None:
    record("customer.view", actor=doctor_actor)
    with pytest.raises(AppendOnly):
        AuditEntry.objects.update(action="auth.login")


def test_orm_refuses_to_delete_entries(doctor_actor: Actor) -> None:
    record("customer.view", actor=doctor_actor)
    with pytest.raises(AppendOnly):
        AuditEntry.objects.all().delete()
    with pytest.raises(AppendOnly):
        AuditEntry.objects.get().delete()


def test_orm_refuses_to_save_an_entry(doctor_actor: Actor) -> None:
    record("customer.view", actor=doctor_actor)
    entry = AuditEntry.objects.get()
    entry.action = "auth.login"
    with pytest.raises(AppendOnly):
        entry.save()


# -- concurrency (D-08) -------------------------------------------------------------------------


@pytest.mark.skipif(
    not ON_POSTGRES,
    reason="the in-memory SQLite test database has shared-cache table locks that ignore the "
    "busy timeout; SQLite files are tested with processes in test_sqlite_concurrency.py",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_appenders_get_gapless_seqs_and_a_valid_chain(doctor_actor: Actor) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(15):
                record("customer.view", actor=doctor_actor, customer_id=uuid.uuid4())
        except BaseException as exc:  # reported below, not swallowed
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, 61)
    )
    assert verify_ledger().ok


# --- one entry per customer for a write made of several steps (D-07) ----------------------------


def test_steps_of_one_write_are_combined_into_one_entry_per_customer(doctor_actor: Actor) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    before = AuditEntry.objects.count()
    with ledger.one_entry_per_customer("card.replaced"):
        record(
            "card.replaced",
            actor=doctor_actor,
            resource_type="MemberCard",
            resource_id="c1",
            customer_id=a,
        )
        record(
            "card.issued",
            actor=doctor_actor,
            resource_type="MemberCard",
            resource_id="c2",
            customer_id=a,
            purpose="level:gold",
        )
        record(
            "record.update",
            actor=doctor_actor,
            resource_type="Customer",
            resource_id=str(b),
            customer_id=b,
            purpose="fields:name",
        )
        record("keys.status", actor=doctor_actor)  # no customer: appended as it is
        assert AuditEntry.objects.count() == before + 1  # only the one without a customer yet
    new = list(AuditEntry.objects.filter(seq__gt=before).order_by("seq"))
    assert [(e.action, e.customer_id) for e in new] == [
        ("keys.status", None),
        ("card.replaced", a),
        ("card.replaced", b),
    ]
    assert (new[1].resource_type, new[1].resource_id) == ("MemberCard", "c1,c2")
    assert new[1].purpose == "card.replaced:treatment;card.issued:level:gold"
    assert new[2].purpose == "fields:name"  # a single step keeps its own purpose
    assert verify_ledger().ok


def test_a_failed_write_leaves_neither_its_rows_nor_its_entries(doctor_actor: Actor) -> None:
    before = AuditEntry.objects.count()
    with pytest.raises(RuntimeError), ledger.one_entry_per_customer():
        record("record.create", actor=doctor_actor, customer_id=uuid.uuid4())
        raise RuntimeError("the step after failed")
    assert AuditEntry.objects.count() == before
    record("record.create", actor=doctor_actor, customer_id=uuid.uuid4())  # not collected now
    assert AuditEntry.objects.count() == before + 1


def test_nested_blocks_append_once_at_the_outermost(doctor_actor: Actor) -> None:
    customer = uuid.uuid4()
    with ledger.one_entry_per_customer("customer.enrol"):
        record("record.create", actor=doctor_actor, resource_id="x", customer_id=customer)
        with ledger.one_entry_per_customer("card.replaced"):
            record("card.issued", actor=doctor_actor, resource_id="y", customer_id=customer)
        assert not AuditEntry.objects.filter(customer_id=customer).exists()
    (entry,) = AuditEntry.objects.filter(customer_id=customer)
    assert (entry.action, entry.resource_id) == ("customer.enrol", "x,y")


def test_combined_names_stay_within_the_column_and_say_how_many_were_cut() -> None:
    ids = [uuid.uuid4().hex for _ in range(10)]
    joined = ledger._joined(ids, 200)
    assert len(joined) <= 200
    shown = joined.split(",")[:-1]
    assert shown == ids[: len(shown)]
    assert joined.endswith(f",+{10 - len(shown)}")
    assert ledger._joined(["a", "b", "a"], 200) == "a,b"
    assert ledger._joined(["x" * 250], 200) == "x" * 200
