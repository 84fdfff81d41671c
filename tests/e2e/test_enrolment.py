"""A front-desk clerk enrols a walk-in customer: an ID number with a wrong check digit is refused
next to its field, the corrected one is accepted; enrolling the same person again shows the
suspected duplicate; the customer is then found by phone through the search box, with the number
never in the address bar (issue 3, "Done when"; D-15). The form is also shot at phone size."""

from __future__ import annotations

from typing import Any

import pytest

from jianguan.accounts.services import totp
from jianguan.records import identifiers as ids
from jianguan.records.models import Customer

from .conftest import screenshot
from .flows import PASSWORD, sign_in_enrolled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIRST17 = "11010519491231002"  # 110105 (朝阳区), 1949-12-31, sequence 002: a woman
GOOD_ID = FIRST17 + ids.check_digit(FIRST17)  # check digit X
BAD_ID = FIRST17 + "7"
MOBILE = "13812345678"


def _field_block(page: Any, name: str) -> str:
    """The text of one field's own block: label, input, help and errors (web/_fields.html)."""
    return str(page.locator(f"#id_{name}").locator("xpath=..").inner_text())


def _fill_walk_in(page: Any, id_number: str) -> None:
    page.fill("input[name=name]", "刘秀英")
    page.fill("input[name=id_number]", id_number)
    page.fill("input[name=mobile]", MOBILE)
    page.fill("input[name=address]", "北京市朝阳区建国路 88 号")
    page.fill("input[name=emergency_name]", "刘建国")
    page.select_option("select[name=emergency_relation]", "子女")
    page.fill("input[name=emergency_phone]", "13900001234")
    page.select_option("select[name=ethnicity]", "汉族")
    page.select_option("select[name=insurance_type]", "城镇职工医保")
    page.select_option("select[name=manager]", index=1)
    page.select_option("select[name=card_level]", "silver")
    page.check("input[name=consent]")


def test_front_desk_enrols_detects_a_duplicate_and_finds_by_phone(  # type: ignore[no-untyped-def]
    page: Any, browser: Any, live_server: Any, make_user
) -> None:
    clerk = make_user("front_desk", password=PASSWORD, full_name="前台小陈")
    make_user("health_manager", full_name="王健康")
    seed = bytes(totp.enrol_confirmed(clerk).seed)
    sign_in_enrolled(page, clerk.username, seed, set())

    page.click("nav.mainnav >> text=客户")
    page.wait_for_url("**/customers/")
    page.click("text=新建客户（开卡）")
    page.wait_for_url("**/customers/new/")
    assert page.evaluate("document.activeElement.name") == "name"  # autofocus: type at once

    # An ID number with a wrong check digit: refused next to the field, nothing saved.
    _fill_walk_in(page, BAD_ID)
    page.click("main button[type=submit]")
    page.wait_for_selector("#id_id_number ~ .errorlist")
    assert "校验位不正确" in _field_block(page, "id_number")
    assert Customer.objects.unscoped(reason="test").count() == 0
    screenshot(page, "30-enrol-invalid-id")

    # Corrected: enrolled, birth date and sex taken from the number, a silver card issued.
    page.fill("input[name=id_number]", GOOD_ID)
    if not page.is_checked("input[name=consent]"):
        page.check("input[name=consent]")
    page.click("main button[type=submit]")
    page.wait_for_url("**/customers/*/")
    customer = Customer.objects.unscoped(reason="test").get()
    assert page.url.endswith(f"/customers/{customer.pk}/")
    assert customer.sex == "F" and str(customer.birth_date) == "1949-12-31"
    screenshot(page, "31-enrolled")

    # The same person again: the suspected duplicate, masked, with why it matches.
    page.goto("/customers/new/")
    _fill_walk_in(page, GOOD_ID)
    page.click("main button[type=submit]")
    page.wait_for_selector("#cust-duplicates")
    block = page.locator("#cust-duplicates").inner_text()
    assert "刘秀英" in block and "证件号码相同" in block
    assert ids.mask_mobile(MOBILE) in block and MOBILE not in block
    assert GOOD_ID not in block
    assert page.locator("input[name=allow_duplicate]").count() == 1
    assert Customer.objects.unscoped(reason="test").count() == 1
    screenshot(page, "32-enrol-duplicate")

    # Found by phone through the search box: the number never reaches the address bar.
    page.goto("/customers/")
    page.fill("input[name=q]", MOBILE)
    page.click("form.cust-search button[type=submit]")
    page.wait_for_selector("#cust-searching")
    assert MOBILE not in page.url and "s=" in page.url
    rows = page.locator("table.cust-table tbody tr")
    assert rows.count() == 1
    assert "刘秀英" in rows.first.inner_text()
    assert ids.mask_mobile(MOBILE) in rows.first.inner_text()
    screenshot(page, "33-search-by-phone")

    # The audited "show" reveals the full number in place.
    rows.first.locator("button", has_text="显示").first.click()
    page.wait_for_selector(f"table.cust-table >> text={MOBILE}")
    screenshot(page, "34-mobile-revealed")

    # The enrolment form at phone size.
    phone = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, locale="zh-CN"
    )
    mobile_page = phone.new_page()
    mobile_page.context.add_cookies(page.context.cookies())
    mobile_page.goto("/customers/new/")
    assert mobile_page.locator("input[name=name]").is_visible()
    width = mobile_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the form overflows a phone screen: {width}px"
    screenshot(mobile_page, "35-enrol-phone")
    phone.close()
