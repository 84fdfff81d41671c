"""The customer pages through their URLs: list and search, enrolment, basic-info edit, identity
reveal, manager panels and merge. Real rows, made through the records services."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jianguan.accounts.actors import actor_for_user
from jianguan.accounts.models import Institution, User
from jianguan.audit.models import AuditEntry
from jianguan.core.actors import Actor
from jianguan.records import identifiers as ids
from jianguan.records import selectors
from jianguan.records.models import Customer, CustomerIdentifier, MemberCard, RecordChange
from jianguan.records.services import cards
from jianguan.records.services.enrolment import CONSENT_VERSION
from tests.conftest import login_as
from tests.records.conftest import resident_id

StaffClient = Callable[..., tuple[Client, User]]
Enrol = Callable[..., Customer]

LIST = "/customers/"
ENROL = "/customers/new/"
PANEL = "/panel/"
MOBILE = "13812345678"
ID_NUMBER = resident_id()  # 110101 1980-01-01, male


def edit_url(c: Customer | uuid.UUID) -> str:
    return f"/customers/{getattr(c, 'pk', c)}/edit/"


def reveal_url(c: Customer | uuid.UUID, what: str) -> str:
    return f"/customers/{getattr(c, 'pk', c)}/reveal/{what}/"


def merge_url(c: Customer | uuid.UUID) -> str:
    return f"/customers/{getattr(c, 'pk', c)}/merge/"


def fetch(pk: uuid.UUID) -> Customer:
    return Customer.objects.unscoped(reason="test").get(pk=pk)


def customer_count(inst: Institution) -> int:
    return int(Customer.objects.unscoped(reason="test").filter(institution=inst).count())


def body(response: Any) -> str:
    return str(response.content.decode())


def form_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "王芳",
        "id_type": ids.RESIDENT_ID,
        "id_number": resident_id(birth="19850315", seq="124"),
        "mobile": "13900002222",
        "sex": "U",
        "birth_date": "",
        "source_channel": "walk_in",
        "consent": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def field_errors(html: str, field: str) -> str:
    """The error list rendered next to one field by web/_fields.html."""
    match = re.search(rf'<label for="id_{field}">.*?</label>(.*?)</div>', html, flags=re.DOTALL)
    assert match, f"field {field} not rendered"
    return match.group(1)


@pytest.fixture
def front_desk(staff_client: StaffClient) -> tuple[Client, User, Actor]:
    client, user = staff_client("front_desk")
    return client, user, actor_for_user(user)


def quick_customers(
    actor: Actor,
    n: int,
    *,
    manager: User | None = None,
    sex: str = "F",
    birth_year: int = 1970,
    card_level: str = "",
    with_identifier: bool = True,
) -> list[Customer]:
    """`n` customers written row by row through the models (enrolment's duplicate check is not
    what these list tests are about)."""
    made = []
    for i in range(n):
        c = Customer(
            institution_id=actor.institution_id,
            name=f"客户{i:03d}",
            sex=sex,
            birth_date=dt.date(birth_year, 1 + i % 12, 1 + i % 28),
            birth_year=birth_year,
            mobile=f"137{i:08d}",
            manager=manager,
            consent_version=CONSENT_VERSION,
        )
        c.save(force_insert=True)
        if with_identifier:
            CustomerIdentifier(
                institution_id=c.institution_id,
                customer_id=c.pk,
                type=ids.RESIDENT_ID,
                value=resident_id(birth=f"{birth_year}0101", seq=f"{i % 1000:03d}"),
                is_primary=True,
            ).save(force_insert=True)
        if card_level:
            cards.issue_card(actor, c, level=card_level)
        made.append(c)
    return made


# --- anonymous and wrong roles first --------------------------------------------------------------


@pytest.mark.parametrize("path", [LIST, ENROL, PANEL])
def test_anonymous_is_sent_to_login(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_anonymous_is_sent_to_login_from_object_pages(client: Client, enrolled: Enrol) -> None:
    c = enrolled()
    for path in (edit_url(c), merge_url(c), f"/panel/{uuid.uuid4()}/"):
        assert client.get(path)["Location"].startswith("/accounts/login/")
    assert client.post(reveal_url(c, "mobile")).status_code == 302


@pytest.mark.parametrize("role", ["institution_admin", "security_admin", "auditor"])
def test_admin_roles_get_404_on_the_customer_pages(
    staff_client: StaffClient, enrolled: Enrol, role: str
) -> None:
    client, _ = staff_client(role)
    c = enrolled()
    for path in (LIST, ENROL, PANEL, edit_url(c), merge_url(c)):
        assert client.get(path).status_code == 404, path


def test_denied_page_is_audited_with_the_missing_capability(staff_client: StaffClient) -> None:
    client, user = staff_client("auditor")
    client.get(LIST)
    entry = AuditEntry.objects.get(action="access.denied", actor_id=user.pk)
    assert entry.outcome == "denied"
    assert "records.identity.view" in entry.purpose


def test_followup_agent_sees_the_list_but_cannot_enrol_or_edit(
    staff_client: StaffClient, enrolled: Enrol
) -> None:
    client, _ = staff_client("followup_agent")
    c = enrolled()
    assert client.get(LIST).status_code == 200
    assert client.get(ENROL).status_code == 404
    assert client.post(ENROL, form_data()).status_code == 404
    assert client.get(edit_url(c)).status_code == 404


def test_nurse_cannot_reveal_and_sees_no_full_value(
    staff_client: StaffClient, enrolled: Enrol
) -> None:
    client, user = staff_client("nurse")
    c = enrolled()
    response = client.post(reveal_url(c, "mobile"))
    assert response.status_code == 404
    assert MOBILE not in body(response)
    assert not AuditEntry.objects.filter(action="identity.reveal").exists()
    assert AuditEntry.objects.filter(action="access.denied", actor_id=user.pk).exists()


def test_front_desk_cannot_open_the_merge_page(
    front_desk: tuple[Client, User, Actor], enrolled: Enrol
) -> None:
    client, _, _ = front_desk
    assert client.get(merge_url(enrolled())).status_code == 404


def test_another_institutions_customer_is_404_everywhere_and_audited(
    staff_client: StaffClient,
    make_actor: Callable[..., Actor],
    enrolled: Enrol,
    other_institution: Institution,
) -> None:
    client, user = staff_client("health_manager", "front_desk", "doctor")
    theirs = enrolled(make_actor("nurse", inst=other_institution))
    not_found = client.get(edit_url(uuid.uuid4()))
    for method, path in (
        ("get", edit_url(theirs)),
        ("post", edit_url(theirs)),
        ("post", reveal_url(theirs, "mobile")),
        ("get", merge_url(theirs)),
        ("get", f"/customers/{theirs.pk}/cards/new/"),
    ):
        response = getattr(client, method)(path, {"name": "改名"} if method == "post" else {})
        assert response.status_code == 404, path
        assert response.content.replace(response.get("X-Request-ID", "").encode(), b"").count(
            b"<h1>"
        ) == not_found.content.count(b"<h1>")
        assert "张伟" not in body(response)
    assert fetch(theirs.pk).name == "张伟"
    reasons = set(
        AuditEntry.objects.filter(action="access.denied", actor_id=user.pk).values_list(
            "purpose", flat=True
        )
    )
    assert "other institution" in reasons


# --- the list -------------------------------------------------------------------------------------


def test_list_shows_customers_with_masked_mobile_and_id_number(
    front_desk: tuple[Client, User, Actor], enrolled: Enrol
) -> None:
    client, _, actor = front_desk
    c = enrolled(actor)
    html = body(client.get(LIST))
    assert "张伟" in html
    assert f"/customers/{c.pk}/" in html
    assert ids.mask_mobile(MOBILE) in html and MOBILE not in html
    assert ids.mask_identifier(ID_NUMBER) in html and ID_NUMBER not in html


def test_list_audits_one_read_per_customer_shown(
    front_desk: tuple[Client, User, Actor],
) -> None:
    client, user, actor = front_desk
    shown = quick_customers(actor, 3)
    client.get(LIST)
    entries = AuditEntry.objects.filter(action="customer.list", actor_id=user.pk)
    assert sorted(e.customer_id for e in entries) == sorted(c.pk for c in shown)


def test_list_pages_by_fifty_with_a_total(front_desk: tuple[Client, User, Actor]) -> None:
    client, user, actor = front_desk
    quick_customers(actor, 51, with_identifier=False)
    first = body(client.get(LIST))
    assert first.count("<tr>") - 1 == 50  # one header row
    assert "共 51 位客户" in first
    second = body(client.get(LIST + "?page=2"))
    assert second.count("<tr>") - 1 == 1
    assert AuditEntry.objects.filter(action="customer.list", actor_id=user.pk).count() == 51


def test_a_page_past_the_end_shows_the_last_page(front_desk: tuple[Client, User, Actor]) -> None:
    client, _, actor = front_desk
    quick_customers(actor, 2)
    for page in ("99", "x", "-3"):
        response = client.get(LIST + f"?page={page}")
        assert response.status_code == 200
        assert body(response).count("客户00") == 2


def test_list_filters_by_sex_and_age(front_desk: tuple[Client, User, Actor]) -> None:
    client, _, actor = front_desk
    this_year = dt.date.today().year
    young = quick_customers(actor, 1, sex="M", birth_year=this_year - 30)[0]
    old = quick_customers(actor, 1, sex="M", birth_year=this_year - 70)[0]
    woman = quick_customers(actor, 1, sex="F", birth_year=this_year - 30)[0]
    html = body(client.get(LIST + "?sex=M&age_min=25&age_max=40"))
    assert f"/customers/{young.pk}/" in html
    assert f"/customers/{old.pk}/" not in html
    assert f"/customers/{woman.pk}/" not in html


def test_list_refuses_an_age_range_upside_down(front_desk: tuple[Client, User, Actor]) -> None:
    client, _, _ = front_desk
    html = body(client.get(LIST + "?age_min=60&age_max=20"))
    assert "年龄上限不能小于下限" in field_errors(html, "age_max")


def test_list_filters_by_manager_and_unassigned(
    front_desk: tuple[Client, User, Actor], make_user: Callable[..., User]
) -> None:
    client, _, actor = front_desk
    manager = make_user("health_manager", full_name="周管理")
    mine = quick_customers(actor, 1, manager=manager)[0]
    nobody = quick_customers(actor, 1)[0]
    by_manager = body(client.get(LIST + f"?manager={manager.pk}"))
    assert f"/customers/{mine.pk}/" in by_manager and f"/customers/{nobody.pk}/" not in by_manager
    assert "周管理" in by_manager
    unassigned = body(client.get(LIST + "?manager=none"))
    assert f"/customers/{nobody.pk}/" in unassigned and f"/customers/{mine.pk}/" not in unassigned


def test_list_filters_by_active_card_level(front_desk: tuple[Client, User, Actor]) -> None:
    client, _, actor = front_desk
    gold = quick_customers(actor, 1, card_level="gold")[0]
    silver = quick_customers(actor, 1, card_level="silver")[0]
    frozen_gold = quick_customers(actor, 1, card_level="gold")[0]
    card = MemberCard.objects.unscoped(reason="test").get(customer_id=frozen_gold.pk)
    cards.change_status(actor, card, "freeze")
    html = body(client.get(LIST + "?card_level=gold"))
    assert f"/customers/{gold.pk}/" in html
    assert f"/customers/{silver.pk}/" not in html
    assert f"/customers/{frozen_gold.pk}/" not in html


def test_list_sorts_by_age(front_desk: tuple[Client, User, Actor]) -> None:
    client, _, actor = front_desk
    older = quick_customers(actor, 1, birth_year=1950)[0]
    younger = quick_customers(actor, 1, birth_year=2000)[0]
    html = body(client.get(LIST + "?sort=young"))
    assert html.index(str(younger.pk)) < html.index(str(older.pk))
    html = body(client.get(LIST + "?sort=elder"))
    assert html.index(str(older.pk)) < html.index(str(younger.pk))


def test_the_tag_filter_is_a_disabled_placeholder(front_desk: tuple[Client, User, Actor]) -> None:
    client, _, _ = front_desk
    html = body(client.get(LIST))
    assert re.search(r'<select name="tag"[^>]*disabled', html)
    assert "标签功能将在后续版本提供" in html


def test_list_queries_do_not_grow_with_the_rows(
    front_desk: tuple[Client, User, Actor], make_user: Callable[..., User]
) -> None:
    client, _, actor = front_desk
    manager = make_user("health_manager")
    quick_customers(actor, 5, manager=manager, card_level="gold")
    client.get(LIST)  # warm the session and key caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(LIST).status_code == 200
    quick_customers(actor, 45, manager=manager, card_level="gold")
    with CaptureQueriesContext(connection) as many:
        html = body(client.get(LIST))
    assert html.count('class="badge">金卡') == 50
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(many.captured_queries) <= 20


# --- the search box (D-15) ------------------------------------------------------------------------


def _search(client: Client, text: str) -> tuple[Any, str]:
    response = client.post(LIST, {"q": text})
    assert response.status_code == 302
    return response, body(client.get(response["Location"]))


@pytest.mark.parametrize(
    "kind", ["id_number", "id_number_lower_x", "mobile", "mobile_spaced", "card", "name"]
)
def test_search_finds_the_customer_and_keeps_the_value_out_of_the_url(
    front_desk: tuple[Client, User, Actor], enrolled: Enrol, kind: str
) -> None:
    client, _, actor = front_desk
    x_number = resident_id(area="110105", birth="19491231", seq="002")  # check digit X
    assert x_number.endswith("X")
    wanted = enrolled(actor, id_number=x_number, birth_date=dt.date(1949, 12, 31), sex="F")
    other = enrolled(actor, name="赵六", id_number="", mobile="13900009999", birth_date=None)
    card = cards.issue_card(actor, wanted)
    text = {
        "id_number": x_number,
        "id_number_lower_x": x_number.lower(),
        "mobile": MOBILE,
        "mobile_spaced": "138 1234 5678",
        "card": card.number,
        "name": "张 伟",
    }[kind]
    response, html = _search(client, text)
    location = response["Location"]
    assert urlparse(location).path == LIST
    assert set(parse_qs(urlparse(location).query)) == {"s"}
    for secret in (text, x_number, MOBILE, card.number, "张伟"):
        assert secret not in location
    assert f"/customers/{wanted.pk}/" in html
    assert f"/customers/{other.pk}/" not in html
    assert 'id="cust-searching"' in html


def test_search_kind_is_told_from_the_shape() -> None:
    assert selectors.search_kind(resident_id()) == selectors.SEARCH_ID
    assert selectors.search_kind("+86 138-1234-5678") == selectors.SEARCH_MOBILE
    assert selectors.search_kind(cards.new_card_number()) == selectors.SEARCH_CARD
    assert selectors.search_kind("E12345678") == selectors.SEARCH_DOCUMENT
    assert selectors.search_kind("张伟") == selectors.SEARCH_NAME
    assert selectors.search_kind("12345678901") == selectors.SEARCH_DOCUMENT  # not a mobile


def test_search_finds_an_hmt_residence_permit_number(
    front_desk: tuple[Client, User, Actor], enrolled: Enrol
) -> None:
    client, _, actor = front_desk
    permit = resident_id(area="810000", birth="19900101", seq="124")
    c = enrolled(
        actor,
        id_type=ids.HMT_RESIDENCE,
        id_number=permit,
        birth_date=dt.date(1990, 1, 1),
        sex="F",
        mobile="",
    )
    _, html = _search(client, permit)
    assert f"/customers/{c.pk}/" in html


def test_search_for_an_unknown_number_finds_nobody(
    front_desk: tuple[Client, User, Actor], enrolled: Enrol
) -> None:
    client, _, actor = front_desk
    enrolled(actor)
    _, html = _search(client, "13700000000")
    assert "张伟" not in html
    assert "没有找到符合的客户" in html


def test_an_empty_search_shows_the_error_next_to_the_box(
    front_desk: tuple[Client, User, Actor],
) -> None:
    client, _, _ = front_desk
    response = client.post(LIST, {"q": "  "})
    assert response.status_code == 200
    assert "请输入要查找的内容" in field_errors(body(response), "q")


def test_a_search_handle_of_another_session_is_not_honoured(
    front_desk: tuple[Client, User, Actor], enrolled: Enrol, make_user: Callable[..., User]
) -> None:
    client, _, actor = front_desk
    enrolled(actor)
    response, _ = _search(client, MOBILE)
    other = login_as(Client(), make_user("front_desk"))
    stolen = other.get(response["Location"])
    assert stolen.status_code == 302 and stolen["Location"] == LIST


def test_search_results_are_rescoped_to_the_actor(
    front_desk: tuple[Client, User, Actor], enrolled: Enrol
) -> None:
    client, _, actor = front_desk
    c = enrolled(actor)
    response, _ = _search(client, MOBILE)
    Customer.objects.unscoped(reason="test").filter(pk=c.pk).update(status="merged")
    html = body(client.get(response["Location"]))
    assert f"/customers/{c.pk}/" not in html


# --- enrolment ------------------------------------------------------------------------------------


def test_enrolment_form_has_every_field_and_the_consent_notice(
    front_desk: tuple[Client, User, Actor], make_user: Callable[..., User]
) -> None:
    client, _, _ = front_desk
    make_user("health_manager", full_name="钱管理")
    html = body(client.get(ENROL))
    for name in (
        "name",
        "sex",
        "birth_date",
        "id_type",
        "id_number",
        "mobile",
        "address",
        "emergency_name",
        "emergency_relation",
        "emergency_phone",
        "occupation",
        "marital_status",
        "ethnicity",
        "insurance_type",
        "source_channel",
        "manager",
        "card_level",
        "consent",
    ):
        assert f'name="{name}"' in html, name
    assert re.search(r'name="name"[^>]*autofocus', html)
    ethnicity = re.search(r'<select name="ethnicity".*?</select>', html, flags=re.DOTALL)
    assert ethnicity and ethnicity.group(0).count("<option") == 1 + 56 + 1  # blank, 56, 其他
    for insurance in ("城镇职工医保", "城乡居民医保", "商业保险", "自费"):
        assert insurance in html
    assert CONSENT_VERSION in html and "<details" in html
    assert "钱管理" in html


def test_enrolment_lists_only_active_health_managers_of_the_institution(
    front_desk: tuple[Client, User, Actor],
    make_user: Callable[..., User],
    other_institution: Institution,
) -> None:
    client, _, _ = front_desk
    make_user("health_manager", full_name="在职管理")
    gone = make_user("health_manager", full_name="离职管理")
    gone.is_active = False
    gone.save()
    make_user("doctor", full_name="只是医生")
    make_user("health_manager", full_name="别家管理", inst=other_institution)
    select = re.search(r'<select name="manager".*?</select>', body(client.get(ENROL)), re.DOTALL)
    assert select is not None
    assert "在职管理" in select.group(0)
    for absent in ("离职管理", "只是医生", "别家管理"):
        assert absent not in select.group(0)


def test_enrolment_refuses_a_manager_of_another_institution(
    front_desk: tuple[Client, User, Actor],
    make_user: Callable[..., User],
    other_institution: Institution,
    institution: Institution,
) -> None:
    client, _, _ = front_desk
    theirs = make_user("health_manager", inst=other_institution)
    response = client.post(ENROL, form_data(manager=str(theirs.pk)))
    assert response.status_code == 200
    assert "errorlist" in field_errors(body(response), "manager")
    assert customer_count(institution) == 0


def test_enrolment_creates_the_customer_and_opens_the_record(
    front_desk: tuple[Client, User, Actor], institution: Institution, make_user: Callable[..., User]
) -> None:
    client, _, _ = front_desk
    manager = make_user("health_manager")
    response = client.post(
        ENROL,
        form_data(
            address="北京市朝阳区建国路 1 号",
            emergency_name="王强",
            emergency_relation="配偶",
            emergency_phone="010-12345678",
            occupation="教师",
            marital_status="已婚",
            ethnicity="回族",
            insurance_type="城乡居民医保",
            manager=str(manager.pk),
        ),
    )
    assert response.status_code == 302
    c = Customer.objects.unscoped(reason="test").get(institution=institution)
    assert response["Location"] == f"/customers/{c.pk}/"
    assert (c.name, c.mobile, c.address, c.ethnicity) == (
        "王芳",
        "13900002222",
        "北京市朝阳区建国路 1 号",
        "回族",
    )
    assert c.emergency_contact == {"name": "王强", "relation": "配偶", "phone": "010-12345678"}
    assert c.manager_id == manager.pk
    assert c.consent_version == CONSENT_VERSION
    # Left empty, birth date and sex come from the ID number.
    assert c.birth_date == dt.date(1985, 3, 15) and c.birth_year == 1985
    assert c.sex == "F"


def test_enrolment_with_a_card_level_issues_a_card(
    front_desk: tuple[Client, User, Actor], institution: Institution
) -> None:
    client, _, _ = front_desk
    response = client.post(ENROL, form_data(card_level="gold"), follow=False)
    assert response.status_code == 302
    card = MemberCard.objects.unscoped(reason="test").get(institution=institution)
    assert card.level == "gold" and card.status == "active"
    assert cards.valid_card_number(card.number)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"id_number": resident_id()[:-1] + "0"}, "id_number", "校验位不正确"),
        ({"id_number": "1101011980010112"}, "id_number", "应为 18 位"),
        ({"mobile": "1381234567"}, "mobile", "手机号码应为 11 位"),
        ({"consent": None}, "consent", "须经客户同意"),
        ({"name": ""}, "name", "请输入姓名"),
        ({"birth_date": "1980-13-01", "id_number": ""}, "birth_date", "请输入有效日期"),
        ({"emergency_phone": "call me"}, "emergency_phone", "座机号码"),
    ],
)
def test_enrolment_shows_the_error_next_to_its_field(
    front_desk: tuple[Client, User, Actor],
    institution: Institution,
    overrides: dict[str, Any],
    field: str,
    message: str,
) -> None:
    client, _, _ = front_desk
    if overrides.get("id_number") == resident_id()[:-1] + "0":
        assert resident_id()[-1] != "0"
    response = client.post(ENROL, form_data(**overrides))
    assert response.status_code == 200
    html = body(response)
    if field == "consent":
        match = re.search(r'name="consent".*?</div>', html, flags=re.DOTALL)
        assert match and message in match.group(0)
    else:
        assert message in field_errors(html, field)
    assert customer_count(institution) == 0


@pytest.mark.parametrize(
    ("same", "why"),
    [
        ({"id_number": ID_NUMBER, "mobile": "13900003333", "name": "别名"}, "证件号码相同"),
        ({"mobile": MOBILE, "id_number": "", "name": "李雷"}, "手机号码相同"),
        (
            {"name": "张伟", "birth_date": "1980-01-01", "id_number": "", "mobile": ""},
            "姓名和出生日期相同",
        ),
    ],
)
def test_enrolment_shows_a_suspected_duplicate(
    front_desk: tuple[Client, User, Actor],
    enrolled: Enrol,
    institution: Institution,
    same: dict[str, Any],
    why: str,
) -> None:
    client, user, actor = front_desk
    existing = enrolled(actor)
    response = client.post(ENROL, form_data(sex="M", **same))
    assert response.status_code == 200
    html = body(response)
    start = html.index('id="cust-duplicates"')
    block = html[start : html.index("</section>", start)]
    assert why in block
    assert f"/customers/{existing.pk}/" in block
    assert ids.mask_mobile(MOBILE) in block and MOBILE not in html.replace(f'value="{MOBILE}"', "")
    assert ID_NUMBER not in block
    assert 'name="allow_duplicate"' in html
    assert customer_count(institution) == 1
    assert AuditEntry.objects.filter(
        action="customer.duplicates", actor_id=user.pk, customer_id=existing.pk
    ).exists()


def test_create_anyway_enrols_a_second_customer(
    front_desk: tuple[Client, User, Actor], enrolled: Enrol, institution: Institution
) -> None:
    client, _, actor = front_desk
    existing = enrolled(actor)
    data = form_data(mobile=MOBILE)
    shown = client.post(ENROL, data)
    assert 'name="allow_duplicate"' in body(shown)
    response = client.post(
        ENROL, {**data, "allow_duplicate": "on", "seen_duplicates": str(existing.pk)}
    )
    assert response.status_code == 302
    assert customer_count(institution) == 2


def test_create_anyway_does_not_cover_a_duplicate_not_shown(
    front_desk: tuple[Client, User, Actor], enrolled: Enrol, institution: Institution
) -> None:
    client, _, actor = front_desk
    first = enrolled(actor)
    second = enrolled(actor, name="李雷", id_number="", mobile="13900004444", birth_date=None)
    # Ticked for the customer with the same mobile, then the ID number of the first is typed.
    response = client.post(
        ENROL,
        form_data(
            mobile="13900004444",
            id_number=ID_NUMBER,
            allow_duplicate="on",
            seen_duplicates=str(second.pk),
        ),
    )
    assert response.status_code == 200
    assert f"/customers/{first.pk}/" in body(response)
    assert customer_count(institution) == 2


def test_a_birth_date_that_differs_from_the_id_number_must_be_confirmed(
    front_desk: tuple[Client, User, Actor], institution: Institution
) -> None:
    client, _, _ = front_desk
    data = form_data(birth_date="1985-03-16")
    response = client.post(ENROL, data)
    assert response.status_code == 200
    html = body(response)
    assert "填写的出生日期与证件号码不一致" in html
    assert 'name="confirm_warnings"' in html and "确认无误，继续建档" in html
    assert customer_count(institution) == 0
    confirmed = client.post(
        ENROL, {**data, "confirm_warnings": "on", "seen_warnings": "id_birth_mismatch"}
    )
    assert confirmed.status_code == 302
    c = Customer.objects.unscoped(reason="test").get(institution=institution)
    assert c.birth_date == dt.date(1985, 3, 16)


def test_confirmed_warnings_stay_confirmed_while_a_duplicate_is_decided(
    front_desk: tuple[Client, User, Actor], enrolled: Enrol, institution: Institution
) -> None:
    client, _, actor = front_desk
    existing = enrolled(actor)
    data = form_data(birth_date="1985-03-16", mobile=MOBILE)
    confirmed = {**data, "confirm_warnings": "on", "seen_warnings": "id_birth_mismatch"}
    html = body(client.post(ENROL, confirmed))
    assert f"/customers/{existing.pk}/" in html and 'name="allow_duplicate"' in html
    assert re.search(r'name="confirm_warnings"[^>]*checked', html)
    assert "填写的出生日期与证件号码不一致" in html
    response = client.post(
        ENROL, {**confirmed, "allow_duplicate": "on", "seen_duplicates": str(existing.pk)}
    )
    assert response.status_code == 302
    assert customer_count(institution) == 2


def test_a_confirmation_does_not_cover_a_warning_not_shown(
    front_desk: tuple[Client, User, Actor], institution: Institution
) -> None:
    client, _, _ = front_desk
    response = client.post(
        ENROL,
        form_data(
            birth_date="1985-03-16",
            sex="M",
            confirm_warnings="on",
            seen_warnings="id_birth_mismatch",
        ),
    )
    assert response.status_code == 200
    assert "填写的性别与证件号码不一致" in body(response)
    assert customer_count(institution) == 0


# --- basic information --------------------------------------------------------------------------


def test_edit_form_holds_no_full_phone_or_id_number(
    front_desk: tuple[Client, User, Actor], enrolled: Enrol
) -> None:
    client, user, actor = front_desk
    contact = {"name": "李娜", "relation": "配偶", "phone": "13900001234"}
    c = enrolled(actor, emergency_contact=contact)
    html = body(client.get(edit_url(c)))
    assert "张伟" in html and "李娜" in html
    assert MOBILE not in html and ID_NUMBER not in html and "13900001234" not in html
    assert ids.mask_mobile(MOBILE) in html and ids.mask_identifier(ID_NUMBER) in html
    assert AuditEntry.objects.filter(
        action="customer.view", actor_id=user.pk, customer_id=c.pk
    ).exists()


def _edit_data(c: Customer, **overrides: Any) -> dict[str, Any]:
    data = {
        "name": str(c.name),
        "sex": c.sex,
        "birth_date": c.birth_date.isoformat() if isinstance(c.birth_date, dt.date) else "",
        "id_type": ids.RESIDENT_ID,
        "id_number": "",
        "mobile": "",
        "address": "",
        "source_channel": "",
    }
    data.update(overrides)
    return data


def test_edit_saves_through_the_record_history(
    front_desk: tuple[Client, User, Actor], enrolled: Enrol
) -> None:
    client, user, actor = front_desk
    c = enrolled(actor)
    response = client.post(edit_url(c), _edit_data(c, address="上海市徐汇区 2 号"))
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{c.pk}/"
    saved = fetch(c.pk)
    assert saved.address == "上海市徐汇区 2 号"
    assert saved.mobile == MOBILE  # left blank: unchanged
    change = RecordChange.objects.unscoped(reason="test").get(
        customer_id=c.pk, action="update", field="address"
    )
    assert (change.old_value, change.new_value) == (None, "上海市徐汇区 2 号")
    assert change.created_by_id == user.pk
    entry = AuditEntry.objects.get(action="record.update", customer_id=c.pk)
    assert entry.purpose == "fields:address"


def test_edit_keeps_the_emergency_phone_when_left_blank(
    front_desk: tuple[Client, User, Actor], enrolled: Enrol
) -> None:
    client, _, actor = front_desk
    c = enrolled(
        actor, emergency_contact={"name": "李娜", "relation": "配偶", "phone": "13900001234"}
    )
    data = _edit_data(c, emergency_name="李娜", emergency_relation="子女", emergency_phone="")
    assert client.post(edit_url(c), data).status_code == 302
    assert fetch(c.pk).emergency_contact == {
        "name": "李娜",
        "relation": "子女",
        "phone": "13900001234",
    }


def test_edit_changes_the_mobile_and_the_id_number(
    front_desk: tuple[Client, User, Actor], enrolled: Enrol
) -> None:
    client, _, actor = front_desk
    c = enrolled(actor)
    new_id = resident_id(seq="113")  # same birth date, still male
    response = client.post(edit_url(c), _edit_data(c, mobile="13955556666", id_number=new_id))
    assert response.status_code == 302
    assert fetch(c.pk).mobile == "13955556666"
    assert [c2.pk for c2 in selectors.by_identifier(actor, ids.RESIDENT_ID, new_id)] == [c.pk]
    assert not selectors.by_identifier(actor, ids.RESIDENT_ID, ID_NUMBER)
    fields = set(
        RecordChange.objects.unscoped(reason="test")
        .filter(customer_id=c.pk, action="update")
        .values_list("field", flat=True)
    )
    assert {"mobile", "value"} <= fields


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"mobile": "23812345678"}, "mobile", "手机号码应为 11 位"),
        ({"id_number": resident_id()[:-1] + "0"}, "id_number", "校验位不正确"),
        ({"name": ""}, "name", "请输入姓名"),
    ],
)
def test_edit_shows_the_error_next_to_its_field(
    front_desk: tuple[Client, User, Actor],
    enrolled: Enrol,
    overrides: dict[str, Any],
    field: str,
    message: str,
) -> None:
    client, _, actor = front_desk
    c = enrolled(actor)
    response = client.post(edit_url(c), _edit_data(c, **overrides))
    assert response.status_code == 200
    assert message in field_errors(body(response), field)
    assert fetch(c.pk).mobile == MOBILE


def test_edit_to_an_id_number_another_customer_holds_must_be_confirmed(
    front_desk: tuple[Client, User, Actor], enrolled: Enrol
) -> None:
    client, _, actor = front_desk
    first = enrolled(actor)
    second = enrolled(actor, name="李雷", id_number="", mobile="13900004444", birth_date=None)
    data = _edit_data(second, id_number=ID_NUMBER)
    response = client.post(edit_url(second), data)
    assert response.status_code == 200
    assert "另一位客户已登记此证件号码" in body(response)
    assert selectors.by_identifier(actor, ids.RESIDENT_ID, ID_NUMBER) == [first]
    confirmed = client.post(
        edit_url(second), {**data, "confirm_warnings": "on", "seen_warnings": "id_in_use"}
    )
    assert confirmed.status_code == 302
    assert len(selectors.by_identifier(actor, ids.RESIDENT_ID, ID_NUMBER)) == 2


def test_edit_to_a_mobile_another_customer_holds_must_be_confirmed(
    front_desk: tuple[Client, User, Actor], enrolled: Enrol
) -> None:
    client, _, actor = front_desk
    enrolled(actor)  # holds MOBILE
    second = enrolled(actor, name="李雷", id_number="", mobile="13900004444", birth_date=None)
    data = _edit_data(second, mobile=MOBILE)
    response = client.post(edit_url(second), data)
    assert response.status_code == 200
    assert "另一位客户已登记此手机号码" in body(response)
    assert fetch(second.pk).mobile == "13900004444"
    confirmed = client.post(
        edit_url(second), {**data, "confirm_warnings": "on", "seen_warnings": "mobile_in_use"}
    )
    assert confirmed.status_code == 302
    assert fetch(second.pk).mobile == MOBILE


def test_assigning_a_manager_is_versioned(
    front_desk: tuple[Client, User, Actor], enrolled: Enrol, make_user: Callable[..., User]
) -> None:
    client, _, actor = front_desk
    c = enrolled(actor)
    manager = make_user("health_manager")
    response = client.post(edit_url(c), _edit_data(c, manager=str(manager.pk)))
    assert response.status_code == 302
    assert fetch(c.pk).manager_id == manager.pk
    change = RecordChange.objects.unscoped(reason="test").get(customer_id=c.pk, field="manager_id")
    assert (change.old_value, change.new_value) == (None, str(manager.pk))


def test_a_manager_of_another_institution_cannot_be_assigned(
    front_desk: tuple[Client, User, Actor],
    enrolled: Enrol,
    make_user: Callable[..., User],
    other_institution: Institution,
) -> None:
    client, _, actor = front_desk
    c = enrolled(actor)
    theirs = make_user("health_manager", inst=other_institution)
    response = client.post(edit_url(c), _edit_data(c, manager=str(theirs.pk)))
    assert response.status_code == 200
    assert fetch(c.pk).manager_id is None


def test_a_nurse_edits_identity_but_cannot_assign_a_manager(
    staff_client: StaffClient, enrolled: Enrol, make_user: Callable[..., User]
) -> None:
    client, _ = staff_client("nurse")
    c = enrolled()
    manager = make_user("health_manager")
    assert 'name="manager"' not in body(client.get(edit_url(c)))
    response = client.post(edit_url(c), _edit_data(c, occupation="司机", manager=str(manager.pk)))
    assert response.status_code == 302
    saved = fetch(c.pk)
    assert saved.occupation == "司机" and saved.manager_id is None


# --- reveal (D-16) ------------------------------------------------------------------------------


@pytest.mark.parametrize(("what", "value"), [("mobile", MOBILE), ("id_number", ID_NUMBER)])
def test_reveal_returns_the_full_value_and_is_audited_at_once(
    front_desk: tuple[Client, User, Actor], enrolled: Enrol, what: str, value: str
) -> None:
    client, user, actor = front_desk
    c = enrolled(actor)
    response = client.post(reveal_url(c, what), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert value in body(response)
    assert "<html" not in body(response)  # a fragment for htmx
    entry = AuditEntry.objects.get(action="identity.reveal", actor_id=user.pk)
    assert (entry.customer_id, entry.purpose, entry.outcome) == (c.pk, what, "success")
    assert value not in str(entry.__dict__)


def test_reveal_is_post_only(front_desk: tuple[Client, User, Actor], enrolled: Enrol) -> None:
    client, _, actor = front_desk
    c = enrolled(actor)
    response = client.get(reveal_url(c, "mobile"))
    assert response.status_code == 405
    assert MOBILE not in body(response)
    assert not AuditEntry.objects.filter(action="identity.reveal").exists()


def test_reveal_of_an_unknown_field_is_404(
    front_desk: tuple[Client, User, Actor], enrolled: Enrol
) -> None:
    client, _, actor = front_desk
    assert client.post(reveal_url(enrolled(actor), "address")).status_code == 404


def test_the_list_offers_show_only_to_roles_that_may_reveal(
    staff_client: StaffClient, enrolled: Enrol
) -> None:
    c = enrolled()
    front, _ = staff_client("front_desk")
    nurse, _ = staff_client("nurse")
    assert reveal_url(c, "mobile") in body(front.get(LIST))
    assert reveal_url(c, "mobile") not in body(nurse.get(LIST))


# --- manager panels -----------------------------------------------------------------------------


def test_a_managers_own_panel_lists_their_customers_with_counts(
    staff_client: StaffClient, make_actor: Callable[..., Actor], make_user: Callable[..., User]
) -> None:
    client, manager = staff_client("health_manager")
    actor = actor_for_user(manager)
    mine = quick_customers(actor, 3, manager=manager, card_level="standard")
    other = quick_customers(actor, 1, manager=make_user("health_manager"))[0]
    response = client.get(PANEL)
    assert response.status_code == 200
    html = body(response)
    for c in mine:
        assert f"/customers/{c.pk}/" in html
    assert f"/customers/{other.pk}/" not in html
    assert re.search(r'id="panel-total">3<', html)
    assert selectors.panel_counts(actor, manager.pk) == {
        "total": 3,
        "male": 0,
        "female": 3,
        "recent": 3,
        "with_card": 3,
    }
    entries = AuditEntry.objects.filter(action="customer.list", actor_id=manager.pk)
    assert sorted(e.customer_id for e in entries) == sorted(c.pk for c in mine)


def test_a_doctor_opens_a_managers_panel(
    staff_client: StaffClient, make_user: Callable[..., User]
) -> None:
    client, doctor = staff_client("doctor")
    manager = make_user("health_manager", full_name="孙管理")
    c = quick_customers(actor_for_user(doctor), 1, manager=manager)[0]
    html = body(client.get(f"/panel/{manager.pk}/"))
    assert "孙管理" in html and f"/customers/{c.pk}/" in html
    assert f"/panel/{manager.pk}/" in body(client.get(PANEL))  # the switcher


def test_a_panel_of_another_institutions_user_is_404(
    staff_client: StaffClient, make_user: Callable[..., User], other_institution: Institution
) -> None:
    client, _ = staff_client("doctor")
    theirs = make_user("health_manager", inst=other_institution, full_name="别家管理")
    response = client.get(f"/panel/{theirs.pk}/")
    assert response.status_code == 404
    assert "别家管理" not in body(response)
    assert client.get(f"/panel/{uuid.uuid4()}/").status_code == 404


# --- merge ----------------------------------------------------------------------------------------


def test_merge_finds_compares_and_merges_a_duplicate(
    staff_client: StaffClient, enrolled: Enrol
) -> None:
    client, doctor = staff_client("doctor")
    actor = actor_for_user(doctor)
    keep = enrolled(actor)
    drop = enrolled(
        actor, name="张 伟", id_number="", mobile="13900007777", birth_date=None, sex="M"
    )
    cards.issue_card(actor, drop)
    page = client.get(merge_url(keep))
    assert page.status_code == 200
    found = body(client.post(merge_url(keep), {"step": "find", "q": "13900007777"}))
    assert f'value="{drop.pk}"' in found
    compare = body(client.post(merge_url(keep), {"step": "compare", "drop": str(drop.pk)}))
    assert "确认合并" in compare
    assert ids.mask_mobile("13900007777") in compare and "13900007777" not in compare.replace(
        'value="13900007777"', ""
    )
    done = client.post(merge_url(keep), {"step": "confirm", "drop": str(drop.pk)})
    assert done.status_code == 302 and done["Location"] == f"/customers/{keep.pk}/"
    assert fetch(drop.pk).status == "merged"
    card = MemberCard.objects.unscoped(reason="test").get(institution_id=keep.institution_id)
    assert card.customer_id == keep.pk


def test_merge_with_itself_is_refused(staff_client: StaffClient, enrolled: Enrol) -> None:
    client, _ = staff_client("doctor")
    keep = enrolled()
    response = client.post(merge_url(keep), {"step": "confirm", "drop": str(keep.pk)})
    assert response.status_code == 200
    assert "不能将客户与自身合并" in body(response)
    assert fetch(keep.pk).status == "active"


def test_merge_of_another_institutions_customer_is_404(
    staff_client: StaffClient,
    enrolled: Enrol,
    make_actor: Callable[..., Actor],
    other_institution: Institution,
) -> None:
    client, _ = staff_client("doctor")
    keep = enrolled()
    theirs = enrolled(make_actor("nurse", inst=other_institution))
    for step in ("compare", "confirm"):
        response = client.post(merge_url(keep), {"step": step, "drop": str(theirs.pk)})
        assert response.status_code == 404
    assert fetch(theirs.pk).status == "active"
    assert client.post(merge_url(keep), {"step": "compare", "drop": "junk"}).status_code == 404
