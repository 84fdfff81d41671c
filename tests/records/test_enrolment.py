"""Enrolment (客户开卡): validation, warnings, duplicates under a per-institution lock (D-29),
and the record history and audit entries it writes (D-07, D-09)."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections, transaction

from jianguan.accounts.models import Institution, User
from jianguan.audit.models import AuditEntry
from jianguan.core.actors import Actor
from jianguan.core.locks import institution_lock
from jianguan.records import identifiers as ids
from jianguan.records.errors import DuplicateSuspected, InvalidValue, WarningsToConfirm
from jianguan.records.models import Customer, CustomerIdentifier, MemberCard, RecordChange
from jianguan.records.services import cards
from jianguan.records.services.enrolment import CONSENT_VERSION, check, enrol, enrolment_summary

from ..conftest import ON_POSTGRES
from .conftest import Enrol, MakeActor, audit_text, enrolment, resident_id

pytestmark = pytest.mark.django_db

VIEW = "records.identity.view"


def customers(actor: Actor) -> list[Customer]:
    return list(Customer.objects.for_actor(actor, VIEW))


def reload(actor: Actor, customer: Customer) -> Customer:
    return Customer.objects.for_actor(actor, VIEW).get(pk=customer.pk)


# --- the happy path ---------------------------------------------------------------------------


def test_enrolment_creates_a_customer_whose_fields_decrypt(nurse: Actor) -> None:
    data = enrolment(
        address="北京市东城区东华门大街 1 号",
        emergency_contact={"name": "李娜", "relation": "配偶", "phone": "13900002222"},
        occupation="教师",
        marital_status="已婚",
        ethnicity="汉族",
        insurance_type="城镇职工医保",
        source_channel="walk_in",
    )
    customer = reload(nurse, enrol(nurse, data))
    assert customer.institution_id == nurse.institution_id
    assert customer.name == "张伟"
    assert customer.mobile == "13812345678"
    assert customer.birth_date == dt.date(1980, 1, 1)
    assert customer.address == "北京市东城区东华门大街 1 号"
    assert customer.emergency_contact == {
        "name": "李娜",
        "relation": "配偶",
        "phone": "13900002222",
    }
    assert (customer.occupation, customer.marital_status, customer.ethnicity) == (
        "教师",
        "已婚",
        "汉族",
    )
    assert customer.insurance_type == "城镇职工医保"
    assert customer.source_channel == "walk_in"
    assert customer.status == "active"


def test_enrolment_sets_birth_year_and_consent(nurse: Actor) -> None:
    customer = reload(nurse, enrol(nurse, enrolment()))
    assert customer.birth_year == 1980
    assert customer.consent_at is not None
    assert customer.consent_version == CONSENT_VERSION


def test_enrolment_stores_the_id_number_as_the_primary_identifier(nurse: Actor) -> None:
    customer = enrol(nurse, enrolment(id_number=" 110101 19800101 1232 "))
    (identifier,) = CustomerIdentifier.objects.for_actor(nurse, VIEW).filter(customer=customer)
    assert identifier.type == ids.RESIDENT_ID
    assert identifier.value == "110101198001011232"
    assert identifier.is_primary


def test_enrolment_issues_a_card_when_a_level_is_chosen(nurse: Actor) -> None:
    customer = enrol(nurse, enrolment(card_level="gold"))
    (card,) = MemberCard.objects.for_actor(nurse, VIEW).filter(customer=customer)
    assert card.level == "gold"
    assert card.status == "active"
    assert cards.valid_card_number(card.number)
    assert enrolment_summary(customer) == {"customer_id": customer.pk, "card_number": card.number}


def test_enrolment_without_a_level_issues_no_card(nurse: Actor) -> None:
    customer = enrol(nurse, enrolment())
    assert not MemberCard.objects.for_actor(nurse, VIEW).filter(customer=customer).exists()
    assert enrolment_summary(customer)["card_number"] == ""


def test_birth_date_and_sex_are_taken_from_the_id_number_when_not_typed(nurse: Actor) -> None:
    number = resident_id(birth="19920315", seq="124")
    customer = reload(nurse, enrol(nurse, enrolment(birth_date=None, sex="U", id_number=number)))
    assert customer.birth_date == dt.date(1992, 3, 15)
    assert customer.birth_year == 1992
    assert customer.sex == "F"


def test_a_customer_may_enrol_without_an_id_number_or_mobile(nurse: Actor) -> None:
    customer = reload(nurse, enrol(nurse, enrolment(id_number="", mobile="")))
    assert customer.mobile is None
    assert not CustomerIdentifier.objects.for_actor(nurse, VIEW).filter(customer=customer).exists()


def test_a_passport_holder_enrols_with_the_passport_number(nurse: Actor) -> None:
    customer = enrol(nurse, enrolment(id_type=ids.PASSPORT, id_number="e1234 5678"))
    (identifier,) = CustomerIdentifier.objects.for_actor(nurse, VIEW).filter(customer=customer)
    assert (identifier.type, identifier.value) == (ids.PASSPORT, "E12345678")


def test_the_mobile_number_is_stored_normalised(nurse: Actor) -> None:
    customer = reload(nurse, enrol(nurse, enrolment(mobile="+86 138-1234-5678")))
    assert customer.mobile == "13812345678"


def test_runs_of_spaces_in_the_name_are_collapsed(nurse: Actor) -> None:
    customer = reload(nurse, enrol(nurse, enrolment(name="  Anna   Müller ", id_number="")))
    assert customer.name == "Anna Müller"


# --- validation: each error names its field ---------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"name": "  "}, "name", "name_required"),
        ({"name": "张" * 61}, "name", "name_length"),
        ({"sex": "X"}, "sex", "sex_required"),
        ({"birth_date": dt.date.today() + dt.timedelta(days=1)}, "birth_date", "birth_future"),
        ({"birth_date": dt.date(1880, 1, 1)}, "birth_date", "birth_past"),
        ({"consent": False}, "consent", "consent_required"),
        ({"id_number": "110101198001011230"}, "id_number", "id_checksum"),
        ({"id_number": resident_id(birth="19800230")}, "id_number", "id_birth_date"),
        ({"id_type": "unknown", "id_number": "X1"}, "id_number", "id_type_unknown"),
        ({"mobile": "1381234567"}, "mobile", "mobile_format"),
    ],
)
def test_a_bad_value_is_refused_naming_its_field(
    nurse: Actor, overrides: dict[str, Any], field: str, code: str
) -> None:
    with pytest.raises(InvalidValue) as caught:
        enrol(nurse, enrolment(**overrides))
    assert (caught.value.field, caught.value.code) == (field, code)
    assert str(caught.value.message)
    assert customers(nurse) == []


def test_an_unknown_card_level_is_refused_and_nothing_is_saved(nurse: Actor) -> None:
    with pytest.raises(InvalidValue) as caught:
        enrol(nurse, enrolment(card_level="diamond"))
    assert (caught.value.field, caught.value.code) == ("card_level", "card_level")
    assert customers(nurse) == []  # the customer row rolled back with the card


def test_consent_is_required(nurse: Actor) -> None:
    with pytest.raises(InvalidValue) as caught:
        check(enrolment(consent=False))
    assert caught.value.field == "consent"


def test_an_actor_without_the_enrol_capability_is_refused(make_actor: MakeActor) -> None:
    agent = make_actor("followup_agent")
    with pytest.raises(InvalidValue) as caught:
        enrol(agent, enrolment())
    assert caught.value.code == "not_allowed"


def test_the_assigned_health_manager_is_stored(
    nurse: Actor, make_user: Callable[..., User]
) -> None:
    manager = make_user("health_manager")
    customer = reload(nurse, enrol(nurse, enrolment(manager_id=manager.pk)))
    assert customer.manager_id == manager.pk


def test_a_health_manager_of_another_institution_is_refused(
    nurse: Actor, make_user: Callable[..., User], other_institution: Institution
) -> None:
    stranger = make_user("health_manager", inst=other_institution)
    with pytest.raises(InvalidValue) as caught:
        enrol(nurse, enrolment(manager_id=stranger.pk))
    assert (caught.value.field, caught.value.code) == ("manager", "manager_unknown")
    assert customers(nurse) == []


def test_a_colleague_who_is_no_health_manager_cannot_be_assigned(
    nurse: Actor, make_user: Callable[..., User]
) -> None:
    with pytest.raises(InvalidValue) as caught:
        enrol(nurse, enrolment(manager_id=make_user("nurse").pk))
    assert caught.value.code == "manager_unknown"


# --- warnings (D-29) --------------------------------------------------------------------------


def test_a_sex_that_differs_from_the_id_number_must_be_confirmed(nurse: Actor) -> None:
    with pytest.raises(WarningsToConfirm) as caught:
        enrol(nurse, enrolment(sex="F"))
    assert [code for code, _m in caught.value.warnings] == ["id_sex_mismatch"]
    assert customers(nurse) == []


def test_a_birth_date_that_differs_from_the_id_number_must_be_confirmed(nurse: Actor) -> None:
    with pytest.raises(WarningsToConfirm) as caught:
        enrol(nurse, enrolment(birth_date=dt.date(1980, 1, 2)))
    assert [code for code, _m in caught.value.warnings] == ["id_birth_mismatch"]


def test_an_unknown_area_code_must_be_confirmed(nurse: Actor) -> None:
    with pytest.raises(WarningsToConfirm) as caught:
        enrol(nurse, enrolment(id_number=resident_id(area="123456")))
    assert [code for code, _m in caught.value.warnings] == ["id_area_unknown"]


def test_confirmed_warnings_enrol_with_the_typed_values(nurse: Actor) -> None:
    data = enrolment(sex="F", birth_date=dt.date(1980, 1, 2))
    customer = reload(nurse, enrol(nurse, data, confirmed_warnings=True))
    assert customer.sex == "F"
    assert customer.birth_date == dt.date(1980, 1, 2)


# --- duplicates -------------------------------------------------------------------------------


def reasons(caught: pytest.ExceptionInfo[DuplicateSuspected]) -> list[tuple[Any, str]]:
    return caught.value.matches


def test_a_duplicate_id_number_is_detected(nurse: Actor, enrolled: Enrol) -> None:
    first = enrolled()
    with pytest.raises(DuplicateSuspected) as caught:
        enrol(nurse, enrolment(name="王芳", mobile="13900000000", birth_date=None, sex="U"))
    assert reasons(caught) == [(first.pk, "id_number")]


def test_a_duplicate_id_number_is_detected_whatever_its_spelling(
    nurse: Actor, enrolled: Enrol
) -> None:
    number = resident_id(seq="007")
    assert number.endswith("X")
    first = enrolled(id_number=number, sex="M")
    spelled = "".join(chr(ord(c) + 0xFEE0) for c in number[:17]) + "x"
    with pytest.raises(DuplicateSuspected) as caught:
        enrol(nurse, enrolment(name="王芳", mobile="", id_number=spelled, sex="M"))
    assert reasons(caught) == [(first.pk, "id_number")]


def test_a_duplicate_mobile_is_detected(nurse: Actor, enrolled: Enrol) -> None:
    first = enrolled(id_number="")
    with pytest.raises(DuplicateSuspected) as caught:
        enrol(
            nurse,
            enrolment(
                name="王芳", birth_date=None, id_number="", mobile="+86 138 1234 5678", sex="F"
            ),
        )
    assert reasons(caught) == [(first.pk, "mobile")]


def test_a_duplicate_name_and_birth_date_is_detected(nurse: Actor, enrolled: Enrol) -> None:
    first = enrolled(id_number="", mobile="")
    with pytest.raises(DuplicateSuspected) as caught:
        enrol(nurse, enrolment(name=" 张 伟 ", id_number="", mobile="13900000000"))
    assert reasons(caught) == [(first.pk, "name_birth")]


def test_the_same_name_with_another_birth_date_is_no_duplicate(
    nurse: Actor, enrolled: Enrol
) -> None:
    enrolled(id_number="", mobile="")
    enrol(nurse, enrolment(id_number="", mobile="", birth_date=dt.date(1981, 1, 1)))
    assert len(customers(nurse)) == 2


def test_one_customer_matching_on_every_key_is_named_once(nurse: Actor, enrolled: Enrol) -> None:
    first = enrolled()
    with pytest.raises(DuplicateSuspected) as caught:
        enrol(nurse, enrolment())
    assert reasons(caught) == [(first.pk, "id_number")]


@pytest.mark.parametrize(
    "overrides",
    [
        {"name": "王芳", "mobile": "13900000000", "birth_date": None, "sex": "U"},
        {"id_number": "", "name": "王芳", "birth_date": None},
        {"id_number": "", "mobile": "13900000000"},
    ],
    ids=["id_number", "mobile", "name_birth"],
)
def test_a_duplicate_may_be_enrolled_when_a_person_allows_it(
    nurse: Actor, enrolled: Enrol, overrides: dict[str, Any]
) -> None:
    enrolled()
    enrol(nurse, enrolment(**overrides), allow_duplicate=True)
    assert len(customers(nurse)) == 2


def test_the_same_person_at_another_institution_is_no_duplicate(
    make_actor: MakeActor, other_institution: Institution, enrolled: Enrol, nurse: Actor
) -> None:
    enrolled()
    elsewhere = make_actor("nurse", inst=other_institution)
    theirs = enrol(elsewhere, enrolment())
    assert customers(elsewhere) == [theirs]
    assert len(customers(nurse)) == 1


def test_a_merged_customer_is_no_duplicate(nurse: Actor, enrolled: Enrol) -> None:
    first = enrolled()
    first.status = "merged"
    first.save(update_fields=["status"])
    enrol(nurse, enrolment())
    assert len(Customer.objects.for_actor(nurse, VIEW).filter(status="active")) == 1


# --- record history and audit (D-07, D-09) ----------------------------------------------------


def test_enrolment_writes_a_record_change_per_field_with_the_new_value(nurse: Actor) -> None:
    customer = enrol(nurse, enrolment(address="上海市徐汇区"))
    changes = {
        c.field: c
        for c in RecordChange.objects.for_actor(nurse, VIEW).filter(
            resource_type="Customer", resource_id=customer.pk
        )
    }
    assert changes["name"].new_value == "张伟"
    assert changes["mobile"].new_value == "13812345678"
    assert changes["address"].new_value == "上海市徐汇区"
    assert changes["birth_date"].new_value == "1980-01-01"
    assert all(c.action == "create" and c.old_value is None for c in changes.values())
    assert all(c.created_by_id == nurse.id for c in changes.values())
    assert "ethnicity" not in changes  # empty fields are not history


def test_enrolment_writes_a_record_change_for_the_identifier(nurse: Actor) -> None:
    customer = enrol(nurse, enrolment())
    (identifier,) = CustomerIdentifier.objects.for_actor(nurse, VIEW).filter(customer=customer)
    value = RecordChange.objects.for_actor(nurse, VIEW).get(
        resource_id=identifier.pk, field="value"
    )
    assert value.new_value == resident_id()
    assert value.customer_id == customer.pk


def test_enrolment_writes_one_entry_naming_the_customer_identifier_and_card(nurse: Actor) -> None:
    # D-07: a write is one entry per customer per request, naming the resources it changed.
    customer = enrol(nurse, enrolment(card_level="silver"))
    (identifier,) = CustomerIdentifier.objects.for_actor(nurse, VIEW).filter(customer=customer)
    card = MemberCard.objects.for_actor(nurse, VIEW).get(customer=customer)
    (entry,) = AuditEntry.objects.filter(customer_id=customer.pk)
    assert entry.action == "customer.enrol"
    assert entry.resource_type == "Customer,CustomerIdentifier,MemberCard"
    assert entry.resource_id == f"{customer.pk},{identifier.pk},{card.pk}"
    assert entry.purpose.split(";")[-1] == "card.issued:treatment"  # the actor's purpose
    assert entry.actor_id == nurse.id
    assert entry.institution_id == nurse.institution_id


def test_a_failed_enrolment_writes_no_entry_and_no_rows(nurse: Actor) -> None:
    enrol(nurse, enrolment())
    before = AuditEntry.objects.count()
    with pytest.raises(DuplicateSuspected):
        enrol(nurse, enrolment(name="张伟", card_level="gold"))
    assert AuditEntry.objects.count() == before


def test_the_enrolment_audit_entry_names_fields_and_never_values(nurse: Actor) -> None:
    address = "广州市天河区体育西路 191 号"
    customer = enrol(nurse, enrolment(address=address))
    entry = AuditEntry.objects.get(action="customer.enrol", customer_id=customer.pk)
    customer_part = entry.purpose.split(";")[0]
    assert {"name", "mobile", "address", "birth_date"} <= set(
        customer_part.removeprefix("customer.enrol:fields:").split(",")
    )
    ledger = audit_text()
    for value in ("张伟", "13812345678", resident_id(), address, "1980-01-01"):
        assert value not in ledger


# --- concurrency: the per-institution lock (D-29) ---------------------------------------------


@pytest.mark.skipif(not ON_POSTGRES, reason="threads share one connection on in-memory SQLite")
@pytest.mark.django_db(transaction=True)
def test_two_threads_enrolling_the_same_id_number_make_one_customer(nurse: Actor) -> None:
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run() -> None:
        try:
            barrier.wait()
            enrol(nurse, enrolment())
            outcomes.append("enrolled")
        except DuplicateSuspected:
            outcomes.append("duplicate")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["duplicate", "enrolled"]
    assert len(customers(nurse)) == 1


# Sessions of this database queued on one advisory lock (a bigint key: high and low halves).
WAITING_FOR_LOCK = """
SELECT count(*) FROM pg_locks
WHERE locktype = 'advisory' AND NOT granted
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND classid::bigint = %s AND objid::bigint = %s
"""


@pytest.mark.skipif(not ON_POSTGRES, reason="the advisory lock is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_an_enrolment_waits_for_the_lock_and_then_sees_the_first_customer(nurse: Actor) -> None:
    assert nurse.institution_id is not None
    outcome: list[str] = []
    with transaction.atomic():
        institution_lock(nurse.institution_id, "enrolment")

        def second() -> None:
            try:
                enrol(nurse, enrolment())
                outcome.append("enrolled")
            except DuplicateSuspected:
                outcome.append("duplicate")
            finally:
                connections.close_all()

        thread = threading.Thread(target=second)
        thread.start()
        key = int.from_bytes(
            hashlib.sha256(f"enrolment|{nurse.institution_id}".encode()).digest()[:8], "big"
        )
        with connection.cursor() as cursor:  # wait until the second enrolment queues on the lock
            while True:
                cursor.execute(WAITING_FOR_LOCK, [key >> 32, key & 0xFFFFFFFF])
                row = cursor.fetchone()
                if (row and row[0]) or not thread.is_alive():
                    break
        assert thread.is_alive(), "the second enrolment did not wait for the lock"
        enrol(nurse, enrolment())
    thread.join(timeout=60)
    assert outcome == ["duplicate"]
    assert len(customers(nurse)) == 1


ENROLLER = """
import sys
from jianguan.accounts.actors import actor_for_user
from jianguan.accounts.models import User
from jianguan.records.errors import DuplicateSuspected
from jianguan.records.services.enrolment import EnrolmentData, enrol
actor = actor_for_user(User.objects.unscoped(reason="test").get(username="enroller"))
numbers = NUMBERS
print("ready", flush=True)
sys.stdin.readline()
made = duplicates = 0
for i, number in enumerate(numbers):
    data = EnrolmentData(name=f"客户{i}", sex="U", birth_date=None, id_number=number, consent=True)
    try:
        enrol(actor, data)
        made += 1
    except DuplicateSuspected:
        duplicates += 1
print(f"made={made} duplicates={duplicates}", flush=True)
"""

SETUP = """
from jianguan.accounts.models import Institution, RoleGrant, User
inst = Institution.objects.create(code="conc", name="并发体检中心")
user = User(institution=inst, username="enroller", full_name="前台")
user.set_unusable_password()
user.save()
RoleGrant.objects.create(user=user, role="front_desk")
"""

COUNT = """
from jianguan.records.models import Customer, CustomerIdentifier
print("customers", Customer.objects.unscoped(reason="test").count())
print("identifiers", CustomerIdentifier.objects.unscoped(reason="test").count())
"""


def _jianguan(var: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "JIANGUAN_TEST_VAR")}
    env |= {"JIANGUAN_VAR": str(var), "DJANGO_SETTINGS_MODULE": "jianguan.settings.development"}
    return subprocess.Popen(
        [sys.executable, "-m", "jianguan.cli", *args],
        env=env,
        stdin=subprocess.PIPE,
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
def test_two_processes_enrolling_the_same_id_numbers_make_one_customer_each(
    tmp_path: Path,
) -> None:
    numbers = [resident_id(seq=f"{i:03d}") for i in range(100, 120)]
    script = ENROLLER.replace("NUMBERS", repr(numbers))
    _run(tmp_path, "migrate", "-v", "0")
    _run(tmp_path, "keys", "init")
    _run(tmp_path, "shell", "-c", SETUP)
    procs = [_jianguan(tmp_path, "shell", "-c", script) for _ in range(2)]
    for proc in procs:  # both processes are set up before either starts enrolling
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip() == "ready":
                break
        else:
            raise AssertionError(f"the enroller exited early: {proc.wait()}")
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    made = duplicates = 0
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, out
        line = out.strip().splitlines()[-1]
        counts = dict(part.split("=") for part in line.split())
        made += int(counts["made"])
        duplicates += int(counts["duplicates"])
    assert (made, duplicates) == (20, 20)
    counted = _run(tmp_path, "shell", "-c", COUNT).strip().splitlines()[-2:]
    assert counted == ["customers 20", "identifiers 20"]
