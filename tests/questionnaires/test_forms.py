"""Form definitions and responses in the database: built-in PHQ-9 and GAD-7 installed once,
import as new versions (never an edit), export, the CLI's errors; a submitted response scored
through the clinical engine, kept encrypted in the record, its total written as an observation
with the response as its source, the item-9 alert, and the advice rules reading it."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import call_command

from jianguan.accounts.actors import actor_for_user
from jianguan.accounts.models import User
from jianguan.audit.models import AuditEntry
from jianguan.clinical.advice import advise
from jianguan.core.actors import Actor
from jianguan.core.models import Notification
from jianguan.questionnaires.models import FormDefinition, FormResponse
from jianguan.questionnaires.services import forms, responses
from jianguan.records.models import Customer, Observation
from jianguan.records.services.enrolment import EnrolmentData, enrol

pytestmark = pytest.mark.django_db
DATA = Path(forms.__file__).resolve().parent.parent / "data"
CLINICAL = "records.clinical.view"
NOT_AT_ALL, SEVERAL, MORE_THAN_HALF, NEARLY = "LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"


@pytest.fixture
def builtins() -> dict[str, FormDefinition]:
    forms.install_builtins(Actor.system("test"))
    return {code: forms.latest(None, code) for code in forms.BUILTINS}  # type: ignore[misc]


@pytest.fixture
def manager_user(make_user: Callable[..., User]) -> User:
    return make_user("health_manager", username="hm-forms")


@pytest.fixture
def manager(manager_user: User) -> Actor:
    return actor_for_user(manager_user)


@pytest.fixture
def customer(manager: Actor, manager_user: User) -> Customer:
    return enrol(
        manager,
        EnrolmentData(
            name="沈静",
            sex="F",
            birth_date=dt.date(1985, 5, 5),
            consent=True,
            manager_id=manager_user.pk,
        ),
    )


def phq9(*codes: str) -> dict[str, list[str]]:
    return {f"q{i}": [code] for i, code in enumerate(codes, start=1)}


def test_the_builtins_install_once(builtins: dict[str, FormDefinition]) -> None:
    assert {c: (f.version, f.status) for c, f in builtins.items()} == {
        "phq9": (1, "published"),
        "gad7": (1, "published"),
    }
    assert forms.install_builtins(Actor.system("test")) == []


def test_export_gives_back_the_shipped_questionnaire(builtins: dict[str, FormDefinition]) -> None:
    shipped = json.loads((DATA / "phq9.json").read_text(encoding="utf-8"))
    exported = forms.export_definition(builtins["phq9"])
    assert exported["version"] == "1" and exported["status"] == "active"
    assert {k: v for k, v in exported.items() if k not in ("version", "status")} == {
        k: v for k, v in shipped.items() if k not in ("version", "status")
    }


def test_an_import_is_a_new_version_never_an_edit(builtins: dict[str, FormDefinition]) -> None:
    data = forms.export_definition(builtins["phq9"])
    data["title"] = "PHQ-9（本院译本）"
    second = forms.import_definition(Actor.system("test"), data)
    assert second.version == 2 and forms.latest(None, "phq9") == second
    builtins["phq9"].refresh_from_db()
    assert builtins["phq9"].questionnaire["title"] == "患者健康问卷（PHQ-9）"


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        (b"{not json", "line 1"),
        (b"[]", "resourceType"),
        (b'{"resourceType": "Patient"}', "resourceType"),
        (b'{"resourceType": "Questionnaire", "name": "X Y", "status": "draft"}', "name"),
    ],
)
def test_a_bad_file_names_what_is_wrong(raw: bytes, path: str) -> None:
    with pytest.raises(forms.FormError) as caught:
        forms.import_definition(Actor.system("test"), forms.parse(raw))
    assert caught.value.path == path and caught.value.message_zh
    assert not FormDefinition.objects.exists()


def test_the_cli_exports_and_refuses_a_bad_file_without_a_traceback(tmp_path: Path) -> None:
    call_command("forms", "install-builtins")
    bad = tmp_path / "bad.json"
    bad.write_text(
        '{"resourceType": "Questionnaire", "name": "ok-name", "item": 5}', encoding="utf-8"
    )
    jianguan = Path(sys.executable).parent / "jianguan"
    env = {"DJANGO_SETTINGS_MODULE": "jianguan.settings.test", "PATH": "/usr/bin:/bin"}
    run = subprocess.run(
        [str(jianguan), "forms", "import", str(bad)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert run.returncode == 2 and "Traceback" not in run.stderr and "bad.json" in run.stderr


def test_a_submitted_phq9_is_scored_kept_and_written_to_the_record(
    builtins: dict[str, FormDefinition], manager: Actor, customer: Customer
) -> None:
    answers = phq9(
        SEVERAL,
        MORE_THAN_HALF,
        NEARLY,
        SEVERAL,
        NOT_AT_ALL,
        SEVERAL,
        MORE_THAN_HALF,
        NOT_AT_ALL,
        NOT_AT_ALL,
    )
    response = responses.submit(manager, customer, builtins["phq9"], answers)
    stored = FormResponse.objects.for_actor(manager, CLINICAL).get(pk=response.pk)
    assert stored.answers == answers and stored.definition.version == 1
    assert stored.scores["total"] == 10 and stored.scores["result"]["category"] == "moderate"
    obs = Observation.objects.for_actor(manager, CLINICAL).get(customer=customer, loinc="44261-6")
    assert (obs.value_num, obs.source, obs.source_key) == (
        10,
        "questionnaire",
        f"form-response:{response.pk}",
    )
    (entry,) = AuditEntry.objects.filter(customer_id=customer.pk, action="form.submit")
    assert "FormResponse" in entry.resource_type and "Observation" in entry.resource_type
    assert not Notification.objects.exists()  # item 9 was 0
    found = responses.latest_results(manager, customer)
    assert "mental.phq9.refer" in [a.rule_id for a in advise(found)]


def test_item_9_above_0_alerts_the_manager_whatever_the_total(
    builtins: dict[str, FormDefinition], manager: Actor, customer: Customer, manager_user: User
) -> None:
    answers = phq9(*([NOT_AT_ALL] * 8), SEVERAL)
    responses.submit(manager, customer, builtins["phq9"], answers, filled_by="customer")
    alert = Notification.objects.get(kind="clinical.alert")
    assert alert.recipient_id == manager_user.pk and alert.severity == "urgent"
    found = responses.latest_results(manager, customer)
    assert advise(found)[0].rule_id == "mental.phq9.self_harm"


def test_a_response_with_errors_names_every_item_and_stores_nothing(
    builtins: dict[str, FormDefinition], manager: Actor, customer: Customer
) -> None:
    answers = {"q1": ["LA6569-3"], "q2": ["not-an-option"]}
    with pytest.raises(responses.FormInvalid) as caught:
        responses.submit(manager, customer, builtins["phq9"], answers)
    named = {e.link_id for e in caught.value.errors}
    assert {"q2", "q3", "q9"} <= named  # a bad code, and the unanswered required items
    assert not FormResponse.objects.for_actor(manager, CLINICAL).exists()


def test_another_institution_reads_no_response(
    builtins: dict[str, FormDefinition],
    manager: Actor,
    customer: Customer,
    make_user: Callable[..., User],
    other_institution: object,
) -> None:
    responses.submit(manager, customer, builtins["gad7"], {f"q{i}": [SEVERAL] for i in range(1, 8)})
    stranger = actor_for_user(make_user("health_manager", inst=other_institution))
    assert responses.latest_results(stranger, customer) == {}
    assert responses.latest_results(manager, customer)["gad7"].category == "mild"


def test_the_risk_tab_advice_reads_the_newest_questionnaire(
    builtins: dict[str, FormDefinition], manager: Actor, customer: Customer, staff_client
) -> None:  # type: ignore[no-untyped-def]
    responses.submit(manager, customer, builtins["phq9"], phq9(*([NOT_AT_ALL] * 8), SEVERAL))
    client, _ = staff_client("doctor")
    html = client.get(f"/customers/{customer.pk}/?tab=risk").content.decode()
    assert "第 9 题得分大于 0" in html  # the urgent mental-health advice, with its trigger
