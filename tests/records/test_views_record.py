"""The customer 360° page and the record's section forms, through their URLs."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jianguan.accounts.actors import actor_for_user
from jianguan.accounts.models import Institution, User
from jianguan.audit.models import AuditEntry
from jianguan.core.actors import Actor
from jianguan.records.models import (
    Customer,
    HistoryItem,
    MemberCard,
    Observation,
    RecordChange,
    Visit,
)
from jianguan.records.services import cards, history, sections
from jianguan.records.services.enrolment import EnrolmentData, enrol

from .conftest import resident_id

pytestmark = pytest.mark.django_db

StaffClient = Callable[..., tuple[Client, User]]
CLINICAL = "records.clinical.view"
ID_NUMBER = resident_id("110105", "19800101", "123")
MOBILE = "13812345678"
CLINICAL_TABS = ["history", "results", "timeline"]


# A fixed id, so that parametrised test ids are the same in every process (pytest-xdist).
SOME_VISIT = uuid.UUID("00000000-0000-4000-8000-000000000001")


@pytest.fixture
def manager_user(make_user: Callable[..., User]) -> User:
    return make_user("health_manager", username="hm-wang", full_name="王管理")


@pytest.fixture
def doctor_user(make_user: Callable[..., User]) -> User:
    """Only a doctor signs the conclusions (records.visit.conclude)."""
    return make_user("doctor", username="dr-li", full_name="李医生")


@pytest.fixture
def customer(make_user: Callable[..., User], manager_user: User) -> Customer:
    clerk = actor_for_user(make_user("front_desk", username="desk-li"))
    data = EnrolmentData(
        name="张伟",
        sex="M",
        birth_date=dt.date(1980, 1, 1),
        id_number=ID_NUMBER,
        mobile=MOBILE,
        address="北京市朝阳区建国路 1 号",
        emergency_contact={"name": "李娜", "relation": "配偶", "phone": "13900001234"},
        occupation="教师",
        consent=True,
        manager_id=manager_user.pk,
        card_level="gold",
    )
    return enrol(clerk, data, confirmed_warnings=True)


def url(customer: Customer | uuid.UUID, tail: str = "") -> str:
    pk = customer.pk if isinstance(customer, Customer) else customer
    return f"/customers/{pk}/{tail}"


def tab(customer: Customer, name: str, **params: Any) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"tab": name, **params}.items())
    return f"{url(customer)}?{query}"


def body(response: Any) -> str:
    return response.content.decode()


def actor(user: User) -> Actor:
    return actor_for_user(user)


def add_condition(user: User, customer: Customer, **values: Any) -> HistoryItem:
    data = {"name": "高血压", "code": "I10", "onset": "2019-03-01", "clinical_status": "active"}
    row = sections.add(actor(user), customer, "condition", {**data, **values})
    assert isinstance(row, HistoryItem)
    return row


def field_errors(html: str, name: str) -> str:
    """The errors rendered inside the block of the field `name` (web/_fields.html)."""
    match = re.search(
        rf'<label for="id_{name}">.*?</div>', html, flags=re.S
    )  # the field's own <div>
    assert match, f"field {name} not on the page"
    return match.group(0)


# --- anonymous and wrong role first -----------------------------------------------------------


@pytest.mark.parametrize(
    "tail",
    ["", "?tab=history", "condition/new/", "vitals/", f"visits/{SOME_VISIT}/conclusions/"],
)
def test_anonymous_is_sent_to_login(client: Client, customer: Customer, tail: str) -> None:
    response = client.get(url(customer, tail))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", ["institution_admin", "security_admin", "auditor"])
def test_roles_without_identity_view_get_404(
    staff_client: StaffClient, customer: Customer, role: str
) -> None:
    client, user = staff_client(role)
    assert client.get(url(customer)).status_code == 404
    assert AuditEntry.objects.filter(
        action="access.denied", actor_id=user.pk, outcome="denied"
    ).exists()


@pytest.mark.parametrize("role", ["front_desk", "followup_agent"])
def test_identity_roles_see_basic_info_cards_and_their_history_only(
    staff_client: StaffClient, customer: Customer, role: str
) -> None:
    client, _ = staff_client(role)
    response = client.get(url(customer))
    assert response.status_code == 200
    html = body(response)
    assert "?tab=basic" in html and "?tab=cards" in html and "?tab=changes" in html
    for name in CLINICAL_TABS:
        assert f"?tab={name}" not in html


def test_the_front_desks_record_history_holds_identity_rows_only(
    staff_client: StaffClient, customer: Customer, nurse: Actor
) -> None:
    from jianguan.records.services.observations import record_vitals

    record_vitals(nurse, customer, {"heart_rate": "72"}, effective=timezone.now())
    client, _ = staff_client("front_desk")
    html = body(client.get(tab(customer, "changes")))
    assert "基本信息" in html  # the enrolment's rows
    assert "检查结果" not in html and "心率" not in html and "8867-4" not in html


@pytest.mark.parametrize("name", CLINICAL_TABS)
def test_front_desk_gets_404_on_clinical_tabs_and_the_denial_is_audited(
    staff_client: StaffClient, customer: Customer, name: str
) -> None:
    client, user = staff_client("front_desk")
    response = client.get(tab(customer, name), headers={"HX-Request": "true"})
    assert response.status_code == 404
    denial = AuditEntry.objects.get(action="access.denied", actor_id=user.pk)
    assert denial.customer_id == customer.pk and name in denial.purpose
    assert not AuditEntry.objects.filter(action="customer.view", actor_id=user.pk).exists()


@pytest.mark.parametrize(
    "tail", ["condition/new/", "lifestyle/new/", "vitals/", f"allergy/{SOME_VISIT}/"]
)
def test_front_desk_gets_404_on_section_urls(
    staff_client: StaffClient, customer: Customer, tail: str
) -> None:
    client, _ = staff_client("front_desk")
    assert client.get(url(customer, tail)).status_code == 404
    assert client.post(url(customer, tail), {"name": "x"}).status_code == 404


def test_front_desk_cannot_post_a_condition(staff_client: StaffClient, customer: Customer) -> None:
    client, _ = staff_client("front_desk")
    client.post(url(customer, "condition/new/"), {"name": "高血压", "clinical_status": "active"})
    assert not HistoryItem.objects.unscoped(reason="test").filter(customer=customer).exists()


def test_front_desk_header_has_no_clinical_flags(
    staff_client: StaffClient, customer: Customer, manager_user: User
) -> None:
    add_condition(manager_user, customer)
    client, _ = staff_client("front_desk")
    html = body(client.get(url(customer)))
    assert "c360-flags" not in html and "慢性病" not in html and "高血压" not in html


# --- other institutions and missing ids (D-13) ------------------------------------------------


def test_another_institutions_customer_is_404_and_the_denial_audited(
    staff_client: StaffClient, customer: Customer, other_institution: Institution
) -> None:
    client, user = staff_client("doctor", inst=other_institution)
    response = client.get(url(customer))
    assert response.status_code == 404
    assert "张伟" not in body(response)
    denial = AuditEntry.objects.get(action="access.denied", actor_id=user.pk)
    assert denial.resource_id == str(customer.pk) and denial.purpose == "other institution"


def test_another_institutions_customer_looks_exactly_like_a_missing_one(
    staff_client: StaffClient, customer: Customer, other_institution: Institution
) -> None:
    client, _ = staff_client("doctor", inst=other_institution)
    theirs = client.get(url(customer))
    missing = client.get(url(uuid.uuid4()))
    assert theirs.status_code == missing.status_code == 404

    def normalised(html: str) -> str:
        html = re.sub(r'"X-CSRFToken": "[^"]+"', "", html)  # masked differently every time
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
        html = re.sub(r"<code>[0-9a-f]{16}</code>", "", html)  # the request id
        return re.sub(r"/customers/[0-9a-f-]{36}/", "/customers/ID/", html)

    assert normalised(body(theirs)) == normalised(body(missing))


@pytest.mark.parametrize(
    "tail",
    [
        "condition/new/",
        "vitals/",
        f"visits/{SOME_VISIT}/conclusions/",
        "?tab=results",
        "?tab=changes",
    ],
)
def test_another_institutions_customer_is_404_on_every_record_url(
    staff_client: StaffClient, customer: Customer, other_institution: Institution, tail: str
) -> None:
    client, _ = staff_client("doctor", "health_manager", inst=other_institution)
    assert client.get(url(customer, tail)).status_code == 404
    assert client.post(url(customer, tail), {"name": "x"}).status_code == 404


def test_a_row_of_another_customer_is_404_under_this_customer(
    staff_client: StaffClient, customer: Customer, manager_user: User, make_user: Any
) -> None:
    clerk = actor_for_user(make_user("front_desk"))
    other = enrol(
        clerk,
        EnrolmentData(name="李娜", sex="F", birth_date=dt.date(1990, 5, 5), consent=True),
    )
    theirs = add_condition(manager_user, other)
    client, _ = staff_client("doctor")
    assert client.get(url(customer, f"condition/{theirs.pk}/")).status_code == 404
    response = client.post(url(customer, f"condition/{theirs.pk}/"), {"action": "delete_confirmed"})
    assert response.status_code == 404
    assert HistoryItem.objects.unscoped(reason="test").filter(pk=theirs.pk).exists()


def test_an_unknown_section_is_404(staff_client: StaffClient, customer: Customer) -> None:
    client, _ = staff_client("doctor")
    assert client.get(url(customer, "horoscope/new/")).status_code == 404


def test_an_unknown_tab_is_404(staff_client: StaffClient, customer: Customer) -> None:
    client, _ = staff_client("doctor")
    assert client.get(tab(customer, "secrets")).status_code == 404


# --- read audit (D-07) ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["basic", *CLINICAL_TABS, "cards"])
def test_each_view_of_the_page_writes_one_read_entry_naming_the_tab(
    staff_client: StaffClient, customer: Customer, name: str
) -> None:
    client, user = staff_client("doctor")
    assert client.get(tab(customer, name)).status_code == 200
    reads = AuditEntry.objects.filter(action="customer.view", actor_id=user.pk)
    assert [(e.customer_id, e.resource_type) for e in reads] == [(customer.pk, f"customer.{name}")]


def test_a_tab_loaded_by_htmx_is_a_fragment_with_its_own_read_entry(
    staff_client: StaffClient, customer: Customer
) -> None:
    client, user = staff_client("nurse")
    response = client.get(
        tab(customer, "history"), headers={"HX-Request": "true", "HX-Target": "c360-body"}
    )
    html = body(response)
    assert response.status_code == 200
    assert "<html" not in html and "c360-header" not in html and "c360-tabs" in html
    assert (
        AuditEntry.objects.filter(
            action="customer.view", actor_id=user.pk, resource_type="customer.history"
        ).count()
        == 1
    )


# --- header -----------------------------------------------------------------------------------


def test_header_masks_the_id_number_and_mobile(
    staff_client: StaffClient, customer: Customer
) -> None:
    client, _ = staff_client("health_manager")
    html = body(client.get(url(customer)))
    assert "110***********" + ID_NUMBER[-4:] in html
    assert "138****5678" in html
    assert ID_NUMBER not in html and MOBILE not in html


def test_header_shows_name_sex_age_card_and_manager(
    staff_client: StaffClient, customer: Customer
) -> None:
    client, _ = staff_client("health_manager")
    html = body(client.get(url(customer)))
    card = MemberCard.objects.unscoped(reason="test").get(customer=customer)
    today = timezone.localdate()
    age = today.year - 1980 - ((today.month, today.day) < (1, 1))
    assert "张伟" in html and "男" in html and f"{age} 岁" in html
    assert card.number in html and "金卡" in html
    assert "王管理" in html


def test_show_buttons_only_for_roles_that_may_reveal(
    staff_client: StaffClient, customer: Customer
) -> None:
    reveal = f"/customers/{customer.pk}/reveal/"
    desk, _ = staff_client("front_desk")
    # ID number and mobile in the header; the emergency contact's phone on the basic tab
    assert body(desk.get(url(customer))).count(reveal) == 3
    nurse, _ = staff_client("nurse")  # the nurse sees the record but not full identifiers
    assert reveal not in body(nurse.get(url(customer)))


def test_header_flags_count_allergies_chronic_conditions_and_last_visit(
    staff_client: StaffClient, customer: Customer, manager_user: User
) -> None:
    a = actor(manager_user)
    add_condition(manager_user, customer)
    add_condition(manager_user, customer, name="2 型糖尿病", code="E11.9")
    add_condition(manager_user, customer, name="肺炎", code="J18.9", clinical_status="resolved")
    sections.add(a, customer, "allergy", {"substance": "青霉素"})
    make_visit(manager_user, customer, dt.date(2024, 5, 6))
    client, _ = staff_client("doctor")
    flags = re.search(r'<ul class="c360-flags".*?</ul>', body(client.get(url(customer))), re.S)
    assert flags
    text = re.sub(r"\s+", "", flags.group(0))
    assert "过敏史：1项" in text and "慢性病：2种" in text and "2024-05-06" in text
    assert "c360-alert" in text


# --- tabs -------------------------------------------------------------------------------------


def test_basic_tab_shows_the_enrolment_fields_with_contact_phone_masked(
    staff_client: StaffClient, customer: Customer
) -> None:
    client, _ = staff_client("front_desk")
    html = body(client.get(tab(customer, "basic")))
    for text in ("北京市朝阳区建国路 1 号", "教师", "李娜", "配偶", "139****1234", "2026-01"):
        assert text in html
    assert "13900001234" not in html


def test_history_tab_lists_every_section_with_add_links(
    staff_client: StaffClient, customer: Customer, manager_user: User
) -> None:
    add_condition(manager_user, customer, note="规律服药")
    client, _ = staff_client("doctor")
    html = body(client.get(tab(customer, "history")))
    assert "高血压" in html and "I10" in html and "2019-03-01" in html and "患病中" in html
    for code in sections.SECTIONS:
        assert url(customer, f"{code}/new/") in html


def test_results_tab_groups_observations_by_visit_with_flags_ranges_and_source(
    staff_client: StaffClient, customer: Customer, manager_user: User, doctor_user: User
) -> None:
    visit = make_visit(manager_user, customer, dt.date(2025, 4, 1))
    make_observation(
        manager_user, customer, visit, "fasting_glucose", "14771-0", "mmol/L", 7.2, "H", 3.9, 6.1
    )
    sections.conclude_visit(
        actor(doctor_user), customer, visit, {"conclusions": "空腹血糖升高", "recommendations": ""}
    )
    client, _ = staff_client("doctor")
    html = body(client.get(tab(customer, "results")))
    assert visit.visit_number in html and "2025-04-01" in html
    assert "空腹血糖" in html and "14771-0" in html and "7.20" in html and "mmol/L" in html
    assert "3.90–6.10" in html
    assert 'class="c360-abnormal"' in html and "c360-flag-H" in html and "偏高" in html
    assert "导入" in html and "hm-wang" in html
    assert "空腹血糖升高" in html


def test_results_tab_pages_by_visit_newest_first(
    staff_client: StaffClient, customer: Customer, manager_user: User
) -> None:
    visits = [make_visit(manager_user, customer, dt.date(2015 + n, 3, 1)) for n in range(5)]
    client, _ = staff_client("doctor")
    first = body(client.get(tab(customer, "results")))
    second = body(client.get(tab(customer, "results", page=2)))
    assert visits[4].visit_number in first and visits[0].visit_number not in first
    assert visits[0].visit_number in second and visits[4].visit_number not in second
    assert first.index(visits[4].visit_number) < first.index(visits[3].visit_number)


def test_timeline_shows_enrolment_visits_cards_and_changes_newest_first(
    staff_client: StaffClient, customer: Customer, manager_user: User
) -> None:
    make_visit(manager_user, customer, dt.date(2020, 6, 1))
    add_condition(manager_user, customer)
    client, _ = staff_client("doctor")
    html = body(client.get(tab(customer, "timeline")))
    html = html[html.index('<ol class="c360-timeline">') :]
    for text in ("客户建档", "2020-06-01", "发卡", "新增既往史"):
        assert text in html
    assert html.index("新增既往史") < html.index("2020-06-01")


def test_changes_tab_shows_who_when_field_and_old_to_new(
    staff_client: StaffClient, customer: Customer, manager_user: User
) -> None:
    row = add_condition(manager_user, customer)
    sections.change(
        actor(manager_user),
        customer,
        "condition",
        row,
        {"name": "高血压", "code": "I10", "onset": "2019-03-01", "clinical_status": "remission"},
    )
    client, _ = staff_client("doctor")
    html = body(client.get(tab(customer, "changes")))
    update = re.search(r'<tr class="c360-change-update">.*?</tr>', html, re.S)
    assert update
    row_html = update.group(0)
    assert "hm-wang" in row_html and "目前状况" in row_html and "既往史" in row_html
    assert re.search(r"患病中</span> → <span class=\"c360-new\">缓解", row_html)


def test_changes_tab_masks_identifiers_in_old_and_new_values(
    staff_client: StaffClient, customer: Customer
) -> None:
    client, _ = staff_client("doctor")
    html = body(client.get(tab(customer, "changes")))
    assert "138****5678" in html and MOBILE not in html
    assert ID_NUMBER not in html


def test_changes_tab_is_paged(
    staff_client: StaffClient, customer: Customer, manager_user: User
) -> None:
    bulk_changes(manager_user, customer, 120)
    client, _ = staff_client("doctor")
    first = body(client.get(tab(customer, "changes")))
    assert first.count('class="c360-change-') == 50
    assert "?tab=changes&amp;page=2" in first


def test_cards_tab_lists_the_cards_and_their_events(
    staff_client: StaffClient, customer: Customer
) -> None:
    client, _ = staff_client("front_desk")
    html = body(client.get(tab(customer, "cards")))
    card = MemberCard.objects.unscoped(reason="test").get(customer=customer)
    assert card.number in html and "发卡" in html


# --- section forms ----------------------------------------------------------------------------


def test_adding_a_condition_saves_it_and_returns_to_the_history_tab(
    staff_client: StaffClient, customer: Customer
) -> None:
    client, user = staff_client("health_manager")
    response = client.post(
        url(customer, "condition/new/"),
        {
            "action": "save",
            "name": "高血压",
            "code": "i10",
            "onset": "2019-03-01",
            "clinical_status": "active",
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("?tab=history")
    row = HistoryItem.objects.for_actor(actor(user), CLINICAL).get(customer=customer)
    assert (row.name, row.code, row.kind, row.created_by_id) == (
        "高血压",
        "I10",
        "condition",
        user.pk,
    )
    assert (
        RecordChange.objects.for_actor(actor(user), CLINICAL)
        .filter(resource_id=row.pk, action="create", field="name")
        .exists()
    )


def test_a_malformed_icd10_code_is_shown_next_to_the_code_field(
    staff_client: StaffClient, customer: Customer
) -> None:
    client, _ = staff_client("health_manager")
    response = client.post(
        url(customer, "condition/new/"),
        {"name": "高血压", "code": "I1", "clinical_status": "active"},
    )
    assert response.status_code == 200
    assert "ICD-10 编码应为" in field_errors(body(response), "code")


def test_a_future_onset_is_shown_next_to_the_date_field(
    staff_client: StaffClient, customer: Customer
) -> None:
    client, _ = staff_client("doctor")
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    response = client.post(url(customer, "surgery/new/"), {"name": "阑尾切除术", "onset": future})
    assert "日期不能晚于今天" in field_errors(body(response), "onset")


def test_a_missing_name_is_shown_next_to_the_name_field(
    staff_client: StaffClient, customer: Customer
) -> None:
    client, _ = staff_client("nurse")
    response = client.post(url(customer, "medication/new/"), {"dose": "5 mg"})
    assert "请输入药品名称" in field_errors(body(response), "name")


def test_editing_shows_the_stored_values_and_audits_the_read(
    staff_client: StaffClient, customer: Customer, manager_user: User
) -> None:
    row = add_condition(manager_user, customer)
    client, user = staff_client("doctor")
    html = body(client.get(url(customer, f"condition/{row.pk}/")))
    assert 'value="高血压"' in html and 'value="I10"' in html and 'value="2019-03-01"' in html
    assert AuditEntry.objects.filter(
        action="customer.view", actor_id=user.pk, customer_id=customer.pk
    ).exists()


def test_editing_a_medication_dose_shows_old_to_new_in_the_record_history(
    staff_client: StaffClient, customer: Customer
) -> None:
    client, user = staff_client("health_manager")
    client.post(
        url(customer, "medication/new/"), {"name": "氨氯地平", "dose": "5 mg", "active": "on"}
    )
    row = next(iter(sections.SECTIONS["medication"].model.objects.for_actor(actor(user), CLINICAL)))
    response = client.post(
        url(customer, f"medication/{row.pk}/"),
        {"action": "save", "name": "氨氯地平", "dose": "10 mg", "active": "on"},
    )
    assert response.status_code == 302
    html = body(client.get(tab(customer, "changes")))
    assert re.search(r"5 mg</span> → <span class=\"c360-new\">10 mg", html)


def test_delete_asks_for_confirmation_first(
    staff_client: StaffClient, customer: Customer, manager_user: User
) -> None:
    row = add_condition(manager_user, customer)
    client, _ = staff_client("doctor")
    response = client.post(url(customer, f"condition/{row.pk}/"), {"action": "delete"})
    assert response.status_code == 200 and "确认删除" in body(response)
    assert HistoryItem.objects.unscoped(reason="test").filter(pk=row.pk).exists()


def test_confirmed_delete_removes_the_row_and_records_it(
    staff_client: StaffClient, customer: Customer, manager_user: User
) -> None:
    row = add_condition(manager_user, customer)
    row_id = row.pk
    client, user = staff_client("doctor")
    response = client.post(url(customer, f"condition/{row_id}/"), {"action": "delete_confirmed"})
    assert response.status_code == 302
    assert not HistoryItem.objects.unscoped(reason="test").filter(pk=row_id).exists()
    deleted = RecordChange.objects.for_actor(actor(user), CLINICAL).get(
        resource_id=row_id, action="delete", field="name"
    )
    assert deleted.old_value == "高血压" and deleted.created_by_id == user.pk


@pytest.mark.parametrize(
    ("code", "data"),
    [
        ("surgery", {"name": "阑尾切除术", "onset": "2001-07-15"}),
        ("trauma", {"name": "左腕骨折"}),
        ("transfusion", {"name": "产后出血"}),
        ("disability", {"code": "hearing"}),
        ("family", {"relation": "mother", "name": "乳腺癌", "code": "C50.9"}),
        ("allergy", {"substance": "青霉素", "severity": "severe"}),
        ("medication", {"name": "二甲双胍", "dose": "0.5 g", "adherence": "regular"}),
        ("lifestyle", {"smoking_status": "never", "diet": ["balanced", "salt"]}),
    ],
)
def test_each_section_form_saves_and_shows_on_the_history_tab(
    staff_client: StaffClient, customer: Customer, code: str, data: dict[str, Any]
) -> None:
    client, user = staff_client("nurse")
    assert client.get(url(customer, f"{code}/new/")).status_code == 200
    response = client.post(url(customer, f"{code}/new/"), {"action": "save", **data})
    assert response.status_code == 302, body(response)
    model = sections.SECTIONS[code].model
    assert model.objects.for_actor(actor(user), CLINICAL).filter(customer=customer).count() == 1
    html = body(client.get(tab(customer, "history")))
    shown = {
        "disability": "听力残疾",
        "lifestyle": "从不吸烟",
        "family": "母亲",
        "allergy": "重度",
        "medication": "规律服药",
    }.get(code, data.get("name", ""))
    assert shown in html


def test_lifestyle_new_redirects_to_the_existing_row(
    staff_client: StaffClient, customer: Customer, manager_user: User
) -> None:
    row = sections.add(actor(manager_user), customer, "lifestyle", {"sleep_hours": "7"})
    client, _ = staff_client("doctor")
    response = client.get(url(customer, "lifestyle/new/"))
    assert response.status_code == 302
    assert response["Location"] == url(customer, f"lifestyle/{row.pk}/")


def test_lifestyle_edit_shows_only_the_changed_part_in_the_record_history(
    staff_client: StaffClient, customer: Customer, manager_user: User
) -> None:
    row = sections.add(
        actor(manager_user),
        customer,
        "lifestyle",
        {"smoking_status": "current", "smoking_per_day": "10", "sleep_quality": "good"},
    )
    client, _ = staff_client("doctor")
    html = body(client.get(url(customer, f"lifestyle/{row.pk}/")))
    assert 'value="10"' in html
    client.post(
        url(customer, f"lifestyle/{row.pk}/"),
        {
            "action": "save",
            "smoking_status": "former",
            "smoking_per_day": "10",
            "sleep_quality": "good",
        },
    )
    changes = body(client.get(tab(customer, "changes")))
    update = re.search(r'<tr class="c360-change-update">.*?</tr>', changes, re.S)
    assert update and "吸烟" in update.group(0) and "已戒烟" in update.group(0)
    assert "睡眠" not in update.group(0)


def test_a_lifestyle_error_is_shown_next_to_its_field(
    staff_client: StaffClient, customer: Customer
) -> None:
    client, _ = staff_client("doctor")
    response = client.post(
        url(customer, "lifestyle/new/"), {"smoking_status": "never", "smoking_per_day": "5"}
    )
    assert "从不吸烟" in field_errors(body(response), "smoking_per_day")


# --- vitals -----------------------------------------------------------------------------------


def test_vitals_are_saved_with_bmi_computed(staff_client: StaffClient, customer: Customer) -> None:
    client, user = staff_client("nurse")
    response = client.post(
        url(customer, "vitals/"),
        {"height": "170", "weight": "65", "systolic": "128", "diastolic": "82"},
        follow=True,
    )
    assert "体质指数 BMI 22.5 kg/m²" in body(response)
    rows = Observation.objects.for_actor(actor(user), CLINICAL).filter(customer=customer)
    by_code = {o.loinc: o for o in rows}
    assert by_code["39156-5"].value_num == 22.5 and by_code["39156-5"].unit == "kg/m2"
    assert by_code["8480-6"].value_num == 128 and by_code["8480-6"].created_by_id == user.pk


def test_an_impossible_systolic_is_shown_next_to_its_field(
    staff_client: StaffClient, customer: Customer
) -> None:
    client, user = staff_client("nurse")
    response = client.post(url(customer, "vitals/"), {"systolic": "400", "diastolic": "80"})
    assert response.status_code == 200
    assert "收缩压应在 50–300 mmHg 之间" in field_errors(body(response), "systolic")
    assert not Observation.objects.for_actor(actor(user), CLINICAL).exists()


def test_a_non_number_is_shown_next_to_its_field(
    staff_client: StaffClient, customer: Customer
) -> None:
    client, _ = staff_client("nurse")
    response = client.post(url(customer, "vitals/"), {"weight": "六十"})
    assert "体重必须是数字" in field_errors(body(response), "weight")


def test_an_empty_vitals_form_says_so(staff_client: StaffClient, customer: Customer) -> None:
    client, _ = staff_client("nurse")
    response = client.post(url(customer, "vitals/"), {})
    assert "请至少填写一项" in body(response)


def test_a_future_measurement_time_is_refused(
    staff_client: StaffClient, customer: Customer
) -> None:
    client, _ = staff_client("nurse")
    later = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url(customer, "vitals/"), {"height": "170", "effective": later})
    assert "测量时间不能晚于现在" in field_errors(body(response), "effective")


def test_vitals_can_belong_to_one_of_the_customers_visits(
    staff_client: StaffClient, customer: Customer, manager_user: User
) -> None:
    visit = make_visit(manager_user, customer, dt.date(2025, 1, 2))
    client, user = staff_client("nurse")
    client.post(url(customer, "vitals/"), {"waist": "88", "visit": str(visit.pk)})
    obs = Observation.objects.for_actor(actor(user), CLINICAL).get(customer=customer)
    assert obs.visit_id == visit.pk


def test_a_visit_of_another_customer_is_not_a_choice(
    staff_client: StaffClient, customer: Customer, manager_user: User, make_user: Any
) -> None:
    clerk = actor_for_user(make_user("front_desk"))
    other = enrol(clerk, EnrolmentData(name="李娜", sex="F", birth_date=None, consent=True))
    theirs = make_visit(manager_user, other, dt.date(2025, 1, 2))
    client, user = staff_client("nurse")
    response = client.post(url(customer, "vitals/"), {"waist": "88", "visit": str(theirs.pk)})
    assert response.status_code == 200
    assert field_errors(body(response), "visit").count("errorlist") == 1
    assert not Observation.objects.for_actor(actor(user), CLINICAL).exists()


def test_bmi_preview_answers_without_saving(staff_client: StaffClient, customer: Customer) -> None:
    client, user = staff_client("nurse")
    response = client.post(
        url(customer, "vitals/"),
        {"preview": "bmi", "height": "180", "weight": "81"},
        headers={"HX-Request": "true"},
    )
    assert "25.0" in body(response)
    assert client.post(url(customer, "vitals/"), {"preview": "bmi", "height": "180"}).content == b""
    assert not Observation.objects.for_actor(actor(user), CLINICAL).exists()


# --- visit conclusions ------------------------------------------------------------------------


def test_a_doctor_signs_the_conclusions(
    staff_client: StaffClient, customer: Customer, manager_user: User
) -> None:
    visit = make_visit(manager_user, customer, dt.date(2025, 2, 3))
    client, user = staff_client("doctor")
    assert client.get(url(customer, f"visits/{visit.pk}/conclusions/")).status_code == 200
    response = client.post(
        url(customer, f"visits/{visit.pk}/conclusions/"),
        {"conclusions": "血压偏高", "recommendations": "低盐饮食，三个月复查"},
    )
    assert response.status_code == 302
    stored = Visit.objects.for_actor(actor(user), CLINICAL).get(pk=visit.pk)
    assert (stored.status, stored.chief_physician_id) == ("concluded", user.pk)
    assert stored.recommendations == "低盐饮食，三个月复查"


@pytest.mark.parametrize("role", ["health_manager", "nurse"])
def test_only_a_doctor_signs_the_conclusions(
    staff_client: StaffClient, customer: Customer, manager_user: User, role: str
) -> None:
    visit = make_visit(manager_user, customer, dt.date(2025, 2, 3))
    client, _ = staff_client(role)
    path = url(customer, f"visits/{visit.pk}/conclusions/")
    assert client.get(path).status_code == 404
    assert client.post(path, {"conclusions": "血压偏高"}).status_code == 404
    stored = Visit.objects.unscoped(reason="test").get(pk=visit.pk)
    assert stored.status == "open" and not stored.conclusions


def test_empty_conclusions_are_shown_next_to_the_field(
    staff_client: StaffClient, customer: Customer, manager_user: User
) -> None:
    visit = make_visit(manager_user, customer, dt.date(2025, 2, 3))
    client, _ = staff_client("doctor")
    response = client.post(url(customer, f"visits/{visit.pk}/conclusions/"), {"conclusions": ""})
    assert "请填写总检结论" in field_errors(body(response), "conclusions")


def test_a_visit_of_another_customer_is_404(
    staff_client: StaffClient, customer: Customer, manager_user: User, make_user: Any
) -> None:
    clerk = actor_for_user(make_user("front_desk"))
    other = enrol(clerk, EnrolmentData(name="李娜", sex="F", birth_date=None, consent=True))
    theirs = make_visit(manager_user, other, dt.date(2025, 1, 2))
    client, _ = staff_client("doctor")
    assert client.get(url(customer, f"visits/{theirs.pk}/conclusions/")).status_code == 404


# --- query counts: a constant number of queries whatever the record's size --------------------


def make_visit(user: User, customer: Customer, when: dt.date) -> Visit:
    visit = Visit(
        institution_id=customer.institution_id,
        customer_id=customer.pk,
        visit_number=f"V{uuid.uuid4().hex[:10]}",
        visit_date=when,
        package="标准体检套餐",
    )
    history.save_new(actor(user), visit)
    return visit


def make_observation(
    user: User,
    customer: Customer,
    visit: Visit | None,
    local_code: str,
    loinc: str,
    unit: str,
    value: float,
    flag: str,
    low: float | None,
    high: float | None,
) -> Observation:
    obs = Observation(
        institution_id=customer.institution_id,
        customer_id=customer.pk,
        created_by_id=user.pk,
        visit=visit,
        loinc=loinc,
        local_code=local_code,
        unit=unit,
        value_num=value,
        flag=flag,
        ref_low=low,
        ref_high=high,
        effective=timezone.now(),
        source="import",
    )
    obs.save(force_insert=True)
    return obs


ITEMS = [
    ("systolic", "8480-6", "mm[Hg]", 90, 139),
    ("fasting_glucose", "14771-0", "mmol/L", 3.9, 6.1),
    ("total_cholesterol", "14647-2", "mmol/L", None, 5.2),
    ("alt", "1742-6", "U/L", 9, 50),
    ("ecg", "", "", None, None),
]


def record_of(
    user: User, customer: Customer, visits: int, per_visit: int, loose: int, signer: User
) -> None:
    """A record as an import leaves it: visits with observations, loose vitals, history items,
    card events and record history — bulk-inserted (the encrypted fields still encrypt)."""
    start = dt.date(2015, 1, 10)
    rows: list[Observation] = []
    for n in range(visits):
        visit = make_visit(user, customer, start + dt.timedelta(days=365 * n))
        if n == 0:
            sections.conclude_visit(actor(signer), customer, visit, {"conclusions": "未见异常"})
        when = dt.datetime.combine(visit.visit_date, dt.time(9), tzinfo=dt.UTC)
        for i in range(per_visit):
            code, loinc, unit, low, high = ITEMS[i % len(ITEMS)]
            rows.append(
                Observation(
                    institution_id=customer.institution_id,
                    customer_id=customer.pk,
                    created_by_id=user.pk,
                    visit_id=visit.pk,
                    loinc=loinc,
                    local_code=code,
                    unit=unit,
                    value_num=None if code == "ecg" else 5.0 + i % 7,
                    value_text="窦性心律" if code == "ecg" else None,
                    flag="H" if i % 7 == 6 else "N",
                    ref_low=low,
                    ref_high=high,
                    effective=when,
                    source="import",
                    source_key=f"{visit.visit_number}|{i}",
                )
            )
    for i in range(loose):
        rows.append(
            Observation(
                institution_id=customer.institution_id,
                customer_id=customer.pk,
                created_by_id=user.pk,
                loinc="29463-7",
                local_code="weight",
                unit="kg",
                value_num=60.0 + i % 5,
                effective=timezone.now() - dt.timedelta(days=i),
            )
        )
    Observation.objects.unscoped(reason="test data").bulk_create(rows, batch_size=500)
    for i in range(max(1, visits // 2)):
        add_condition(user, customer, name=f"疾病{i}")
        sections.add(actor(user), customer, "allergy", {"substance": f"过敏原{i}"})
        sections.add(actor(user), customer, "medication", {"name": f"药品{i}", "active": True})
        sections.add(actor(user), customer, "family", {"relation": "father", "name": f"病{i}"})
    sections.add(actor(user), customer, "lifestyle", {"sleep_hours": "7"})
    card = MemberCard.objects.unscoped(reason="test").filter(customer=customer).first()
    assert card is not None
    for _ in range(max(1, visits // 5)):
        cards.change_status(actor(user), card, "freeze")
        cards.change_status(actor(user), card, "unfreeze")
    bulk_changes(user, customer, visits * 10)


def bulk_changes(user: User, customer: Customer, count: int) -> None:
    RecordChange.objects.unscoped(reason="test data").bulk_create(
        [
            RecordChange(
                institution_id=customer.institution_id,
                customer_id=customer.pk,
                created_by_id=user.pk,
                resource_type="Medication",
                resource_id=uuid.uuid4(),
                field="dose",
                action="update",
                old_value=f"{i} mg",
                new_value=f"{i + 1} mg",
                request_id=f"req{i}",
                created=timezone.now() - dt.timedelta(minutes=i),
            )
            for i in range(count)
        ]
    )


def queries(client: Client, path: str, **headers: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, headers=headers)
        assert response.status_code == 200
    # The ledger's own appends are its business (bulk, measured in its benchmark).
    return len([q for q in ctx.captured_queries if "audit_" not in q["sql"]])


@pytest.fixture
def small_and_large(
    customer: Customer, manager_user: User, doctor_user: User, make_user: Callable[..., User]
) -> tuple[Customer, Customer]:
    """A customer with one visit, and one with ten years of check-ups (~2,000 observations)."""
    clerk = actor_for_user(make_user("front_desk"))
    large = enrol(
        clerk,
        EnrolmentData(
            name="王芳",
            sex="F",
            birth_date=dt.date(1960, 3, 3),
            id_number=resident_id("110105", "19600303", "124"),
            mobile="13700001111",
            consent=True,
            manager_id=manager_user.pk,
            card_level="standard",
        ),
    )
    record_of(manager_user, customer, visits=1, per_visit=5, loose=1, signer=doctor_user)
    record_of(manager_user, large, visits=10, per_visit=200, loose=100, signer=doctor_user)
    assert Observation.objects.unscoped(reason="test").filter(customer=large).count() == 2100
    return customer, large


@pytest.mark.parametrize("name", ["basic", *CLINICAL_TABS, "cards"])
def test_each_tab_takes_the_same_number_of_queries_for_ten_years_of_visits(
    staff_client: StaffClient, small_and_large: tuple[Customer, Customer], name: str
) -> None:
    client, _ = staff_client("doctor")
    small, large = small_and_large
    hx = {"HX-Request": "true", "HX-Target": "c360-body"}
    few = queries(client, tab(small, name), **hx)
    assert queries(client, tab(large, name), **hx) == few
    assert few <= 12, f"the {name} tab takes {few} queries"


def test_the_header_takes_the_same_number_of_queries_for_ten_years_of_visits(
    staff_client: StaffClient, small_and_large: tuple[Customer, Customer]
) -> None:
    client, _ = staff_client("doctor")
    small, large = small_and_large
    hx = {"HX-Request": "true", "HX-Target": "c360-body"}
    # The full page minus the bare tab is the header (and the page shell).
    header_small = queries(client, tab(small, "basic")) - queries(client, tab(small, "basic"), **hx)
    header_large = queries(client, tab(large, "basic")) - queries(client, tab(large, "basic"), **hx)
    assert header_small == header_large
    assert header_small <= 7


def test_the_results_tab_shows_only_its_page_of_visits(
    staff_client: StaffClient, small_and_large: tuple[Customer, Customer]
) -> None:
    client, _ = staff_client("doctor")
    _small, large = small_and_large
    html = body(client.get(tab(large, "results")))
    assert html.count('<details class="c360-visit" id="c360-visit-') == 3
    # Three visits' results and one page of the measurements outside visits, nothing more.
    assert html.count('<td data-label="项目">') == 3 * 200 + 30


def test_a_merged_duplicate_leads_to_the_kept_record(
    staff_client: StaffClient, customer: Customer, make_user: Callable[..., User]
) -> None:
    from jianguan.records.services.merge import merge_customers

    doctor = make_user("doctor")
    clerk = actor_for_user(make_user("front_desk"))
    duplicate = enrol(
        clerk,
        EnrolmentData(name="张伟", sex="M", birth_date=dt.date(1980, 1, 2), consent=True),
    )
    merge_customers(actor(doctor), customer, duplicate)
    client, _ = staff_client("nurse")
    response = client.get(url(duplicate))
    assert response.status_code == 302 and response["Location"] == url(customer)


def test_the_emergency_contacts_phone_can_be_revealed_and_is_audited(
    staff_client: StaffClient, customer: Customer
) -> None:
    desk, user = staff_client("front_desk")
    response = desk.post(f"/customers/{customer.pk}/reveal/emergency_phone/")
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="identity.reveal", actor_id=user.pk)
    assert entry.purpose == "emergency_phone" and entry.customer_id == customer.pk


def test_a_form_shown_again_after_an_error_is_a_read_of_the_customer(
    staff_client: StaffClient, customer: Customer
) -> None:
    client, user = staff_client("nurse")
    response = client.post(
        f"/customers/{customer.pk}/vitals/", {"systolic": "400", "diastolic": "80"}
    )
    assert response.status_code == 200 and "收缩压应在" in body(response)
    assert AuditEntry.objects.filter(
        action="customer.view", actor_id=user.pk, customer_id=customer.pk
    ).exists()


def test_vitals_before_the_customers_birth_are_refused(
    staff_client: StaffClient, customer: Customer
) -> None:
    client, _ = staff_client("nurse")
    response = client.post(
        f"/customers/{customer.pk}/vitals/",
        {"heart_rate": "70", "effective": "1975-05-01T08:00"},
    )
    assert response.status_code == 200 and "测量时间不能早于出生日期" in body(response)
