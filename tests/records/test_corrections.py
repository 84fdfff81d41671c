"""Correcting a manually entered result and withdrawing one entered in error: the old value
stays in the record history, the BMI follows its height and weight, imported results are
corrected at their source, and a withdrawn result leaves the results tab."""

from __future__ import annotations

import datetime as dt

import pytest

from jianguan.accounts.actors import actor_for_user
from jianguan.audit.models import AuditEntry
from jianguan.core.actors import Actor
from jianguan.records import selectors
from jianguan.records.errors import InvalidValue
from jianguan.records.models import Customer, Observation, RecordChange
from jianguan.records.services import observations
from jianguan.records.services.observations import record_vitals

from .conftest import Enrol

pytestmark = pytest.mark.django_db

WHEN = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
EDIT = "records.clinical.edit"


def vitals(actor: Actor, customer: Customer, **raw: str) -> dict[str, Observation]:
    return {o.local_code: o for o in record_vitals(actor, customer, raw, effective=WHEN)}


def fresh(obs: Observation, actor: Actor) -> Observation:
    return Observation.objects.for_actor(actor, EDIT).get(pk=obs.pk)


def refused(call: object) -> InvalidValue:
    with pytest.raises(InvalidValue) as caught:
        call()  # type: ignore[operator]
    return caught.value


def test_a_corrected_value_is_stored_amended_with_its_reason_and_history(
    nurse: Actor, enrolled: Enrol
) -> None:
    customer = enrolled()
    obs = vitals(nurse, customer, systolic="158", diastolic="88")["systolic"]
    assert obs.flag == "H"
    observations.correct(nurse, obs, "128", "看错血压计读数")
    now = fresh(obs, nurse)
    assert (now.value_num, now.status, now.note, now.flag) == (
        128,
        "amended",
        "看错血压计读数",
        "N",
    )
    change = RecordChange.objects.for_actor(nurse, EDIT).get(
        resource_id=obs.pk, field="value_num", action="update"
    )
    assert (change.old_value, change.new_value) == (158, 128)


def test_correcting_height_recomputes_the_bmi_in_one_audit_entry(
    nurse: Actor, enrolled: Enrol
) -> None:
    customer = enrolled()
    rows = vitals(nurse, customer, height="170", weight="72.3")
    assert rows["bmi"].value_num == 25.0
    before = AuditEntry.objects.filter(customer_id=customer.pk).count()
    observations.correct(nurse, rows["height"], "175", "身高录错")
    bmi = fresh(rows["bmi"], nurse)
    assert (bmi.value_num, bmi.status) == (23.6, "amended")
    (entry,) = AuditEntry.objects.filter(customer_id=customer.pk).order_by("seq")[before:]
    assert entry.resource_id == f"{rows['height'].pk},{rows['bmi'].pk}"


@pytest.mark.parametrize(
    ("raw", "code"),
    [("400", "out_of_range"), ("abc", "not_a_number"), ("", "not_a_number")],
)
def test_an_impossible_correction_is_refused_and_nothing_changes(
    nurse: Actor, enrolled: Enrol, raw: str, code: str
) -> None:
    obs = vitals(nurse, enrolled(), height="170")["height"]
    assert refused(lambda: observations.correct(nurse, obs, raw, "录错")).code == code
    assert (fresh(obs, nurse).value_num, fresh(obs, nurse).status) == (170, "final")


def test_a_correction_needs_a_reason_and_a_different_value(nurse: Actor, enrolled: Enrol) -> None:
    obs = vitals(nurse, enrolled(), height="170")["height"]
    assert refused(lambda: observations.correct(nurse, obs, "171", "  ")).code == "reason_required"
    assert refused(lambda: observations.correct(nurse, obs, "170.0", "录错")).code == "unchanged"


def test_the_bmi_itself_and_imported_results_are_not_corrected_here(
    nurse: Actor, enrolled: Enrol
) -> None:
    customer = enrolled()
    rows = vitals(nurse, customer, height="170", weight="70")
    assert refused(lambda: observations.correct(nurse, rows["bmi"], "22", "x")).code == (
        "bmi_computed"
    )
    imported = rows["weight"]
    Observation.objects.unscoped(reason="test").filter(pk=imported.pk).update(source="import")
    imported = fresh(imported, nurse)
    assert refused(lambda: observations.correct(nurse, imported, "71", "x")).code == "imported"


def test_a_withdrawn_result_leaves_the_results_but_not_the_history(
    nurse: Actor, enrolled: Enrol
) -> None:
    customer = enrolled()
    rows = vitals(nurse, customer, height="170", weight="70", heart_rate="72")
    observations.withdraw(nurse, rows["weight"], "录到了其他客户名下")
    shown = {o.local_code for o in selectors.loose_observations(nurse, customer)}
    assert shown == {"height", "heart_rate"}  # the BMI went with the weight
    assert fresh(rows["bmi"], nurse).status == "entered-in-error"
    change = RecordChange.objects.for_actor(nurse, EDIT).get(
        resource_id=rows["weight"].pk, field="status", action="update"
    )
    assert (change.old_value, change.new_value) == ("final", "entered-in-error")
    assert refused(lambda: observations.withdraw(nurse, rows["weight"], "again")).code == (
        "withdrawn"
    )


# --- the page -----------------------------------------------------------------------------------


def url(customer: Customer, obs: Observation) -> str:
    return f"/customers/{customer.pk}/observations/{obs.pk}/"


def test_the_page_corrects_a_value_and_shows_errors_next_to_the_field(
    staff_client,
    enrolled: Enrol,  # type: ignore[no-untyped-def]
) -> None:
    client, user = staff_client("nurse")
    actor = actor_for_user(user)
    customer = enrolled(actor)
    obs = vitals(actor, customer, heart_rate="72")["heart_rate"]
    page = client.get(url(customer, obs)).content.decode()
    assert "更正后的结果" in page and "标记为录入错误" in page
    bad = client.post(
        url(customer, obs), {"action": "correct", "correct-value": "999", "correct-reason": "x"}
    )
    assert bad.status_code == 200 and "心率应在 20–250 /min 之间" in bad.content.decode()
    ok = client.post(
        url(customer, obs), {"action": "correct", "correct-value": "78", "correct-reason": "复测"}
    )
    assert ok.status_code == 302 and ok["Location"].endswith("?tab=results")
    assert fresh(obs, actor).value_num == 78
    results = client.get(ok["Location"]).content.decode()
    assert "已更正" in results


@pytest.mark.parametrize("role", ["front_desk", "followup_agent", "auditor"])
def test_roles_that_may_not_edit_the_record_get_404(
    staff_client,
    nurse: Actor,
    enrolled: Enrol,
    role: str,  # type: ignore[no-untyped-def]
) -> None:
    customer = enrolled()
    obs = vitals(nurse, customer, heart_rate="72")["heart_rate"]
    client, _ = staff_client(role)
    assert client.get(url(customer, obs)).status_code == 404
    assert (
        client.post(url(customer, obs), {"action": "withdraw", "withdraw-reason": "x"}).status_code
        == 404
    )
    assert fresh(obs, nurse).status == "final"


def test_another_customers_result_is_404_and_audited(
    staff_client,
    enrolled: Enrol,  # type: ignore[no-untyped-def]
) -> None:
    client, user = staff_client("nurse")
    actor = actor_for_user(user)
    one = enrolled(actor)
    other = enrolled(actor, name="李娜", id_number="", mobile="13900001111")
    obs = vitals(actor, other, heart_rate="72")["heart_rate"]
    assert client.get(url(one, obs)).status_code == 404
    assert AuditEntry.objects.filter(action="access.denied", resource_id=str(obs.pk)).exists()


def test_a_post_without_an_action_goes_back_to_the_page(
    staff_client,
    enrolled: Enrol,  # type: ignore[no-untyped-def]
) -> None:
    client, user = staff_client("nurse")
    actor = actor_for_user(user)
    customer = enrolled(actor)
    obs = vitals(actor, customer, heart_rate="72")["heart_rate"]
    for data in ({}, {"action": "explode"}):
        response = client.post(url(customer, obs), data)
        assert response.status_code == 302 and response["Location"] == url(customer, obs)
    assert fresh(obs, actor).status == "final"
