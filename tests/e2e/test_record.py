"""A health manager opens a customer's 360° page, adds a past condition and vitals (an impossible
blood pressure is refused next to its field), changes the condition's status and sees old → new
in the record history; the page works at 1366×768 and on a phone (issue 3, "Done when")."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from jianguan.accounts.actors import actor_for_user
from jianguan.accounts.services import totp
from jianguan.records import identifiers as ids
from jianguan.records.services.enrolment import EnrolmentData, enrol

from .conftest import screenshot
from .flows import PASSWORD, sign_in_enrolled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _field_block(page: Any, name: str) -> str:
    """The text of a form field's own block: its label, input and errors (web/_fields.html)."""
    return str(page.locator(f"#id_{name}").locator("xpath=..").inner_text())


def test_health_manager_records_history_and_vitals_and_sees_the_change(  # type: ignore[no-untyped-def]
    page: Any, make_user
) -> None:
    manager = make_user("health_manager", password=PASSWORD, full_name="王健康")
    seed = bytes(totp.enrol_confirmed(manager).seed)
    first17 = "11010519800101123"
    customer = enrol(
        actor_for_user(manager),
        EnrolmentData(
            name="张伟",
            sex="M",
            birth_date=dt.date(1980, 1, 1),
            id_number=first17 + ids.check_digit(first17),
            mobile="13812345678",
            address="北京市朝阳区建国路 1 号",
            emergency_contact={"name": "李娜", "relation": "配偶", "phone": "13900001234"},
            occupation="教师",
            consent=True,
            manager_id=manager.pk,
            card_level="silver",
        ),
        confirmed_warnings=True,
    )
    sign_in_enrolled(page, manager.username, seed, set())

    page.goto(f"/customers/{customer.pk}/")
    header = page.locator(".c360-header")
    assert "张伟" in header.inner_text()
    assert "110***********" in header.inner_text() and "138****5678" in header.inner_text()
    screenshot(page, "40-customer-360")

    # A past condition, from the history tab (loaded by htmx, URL kept in step).
    page.click(".c360-tabs >> text=健康史")
    page.wait_for_selector("#c360-tab-history")
    assert page.url.endswith("?tab=history")
    page.click("#c360-section-condition >> text=新增")
    page.wait_for_url("**/condition/new/")
    page.fill("input[name=name]", "高血压")
    page.fill("input[name=code]", "I10")
    page.fill("input[name=onset]", "2019-03-01")
    page.select_option("select[name=clinical_status]", "active")
    page.click("main button[type=submit]")
    page.wait_for_url("**?tab=history")
    condition = page.locator("#c360-section-condition")
    assert "高血压" in condition.inner_text() and "I10" in condition.inner_text()
    screenshot(page, "41-history")

    # Vitals: BMI shown while typing; an impossible systolic pressure is refused at its field.
    page.click(".c360-header >> text=录入体征")
    page.wait_for_url("**/vitals/")
    page.fill("input[name=height]", "172")
    page.fill("input[name=weight]", "70")
    page.locator("input[name=waist]").focus()  # leaving the field fires the preview
    page.locator("#c360-bmi:has-text('23.7')").wait_for()
    page.fill("input[name=systolic]", "400")
    page.fill("input[name=diastolic]", "80")
    page.click("main button[type=submit]")
    page.wait_for_selector(".errorlist")
    assert "收缩压应在 50–300" in _field_block(page, "systolic")
    screenshot(page, "42-vitals-refused")
    page.fill("input[name=systolic]", "135")
    page.click("main button[type=submit]")
    page.wait_for_url("**?tab=results")
    assert "体质指数 BMI 23.7" in page.locator(".messages").inner_text()
    results = page.locator("#c360-tab-results").inner_text()
    assert "收缩压" in results and "135" in results and "8480-6" in results
    screenshot(page, "43-results")

    # Change the condition's status; the record history shows old → new.
    page.click(".c360-tabs >> text=健康史")
    page.wait_for_selector("#c360-tab-history")
    page.click("#c360-section-condition >> text=修改")
    page.wait_for_url("**/condition/*/")
    page.select_option("select[name=clinical_status]", "remission")
    page.click("main button[type=submit]")
    page.wait_for_url("**?tab=history")
    assert "缓解" in page.locator("#c360-section-condition").inner_text()
    page.click(".c360-tabs >> text=修改记录")
    page.wait_for_selector("#c360-tab-changes")
    change = page.locator("tr.c360-change-update").first
    assert "目前状况" in change.inner_text()
    assert "患病中 → 缓解" in change.inner_text()
    assert manager.username in change.inner_text()
    screenshot(page, "44-record-history")

    # The same page on a phone: the tabs scroll sideways, the page itself does not.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/customers/{customer.pk}/?tab=results")
    page.wait_for_selector("#c360-tab-results")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    tabs = page.locator(".c360-tabs")
    assert tabs.evaluate("el => getComputedStyle(el).overflowX") == "auto"
    screenshot(page, "45-customer-360-phone")
