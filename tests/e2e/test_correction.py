"""A nurse corrects a mistyped blood pressure (an impossible value is refused at its field),
sees the result marked 已更正 and old → new in the record history, and withdraws a weight
entered for the wrong person, which takes its BMI with it. The front desk, without clinical
access, sees the history of what it may change — identity and cards — and nothing clinical."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from jianguan.accounts.actors import actor_for_user
from jianguan.accounts.services import totp
from jianguan.records.services import profile
from jianguan.records.services.enrolment import EnrolmentData, enrol
from jianguan.records.services.observations import record_vitals

from .conftest import screenshot
from .flows import PASSWORD, sign_in_enrolled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _enrolled(make_user: Any) -> tuple[Any, Any]:
    nurse = make_user("nurse", password=PASSWORD, full_name="赵护士")
    actor = actor_for_user(nurse)
    customer = enrol(
        actor,
        EnrolmentData(
            name="陈静", sex="F", birth_date=dt.date(1975, 6, 1), mobile="13712345678", consent=True
        ),
    )
    when = dt.datetime.now(tz=dt.UTC) - dt.timedelta(hours=1)
    record_vitals(
        actor,
        customer,
        {"height": "160", "weight": "58", "systolic": "185", "diastolic": "85"},
        effective=when,
    )
    return nurse, customer


def test_a_nurse_corrects_one_result_and_withdraws_another(page: Any, make_user: Any) -> None:
    nurse, customer = _enrolled(make_user)
    sign_in_enrolled(page, nurse.username, bytes(totp.enrol_confirmed(nurse).seed), set())
    page.goto(f"/customers/{customer.pk}/?tab=results")
    row = page.locator("#c360-tab-results tr", has_text="收缩压")
    assert "185" in row.inner_text() and "危急偏高" in row.inner_text()
    row.locator("text=更正").click()
    page.wait_for_url("**/observations/*/")
    page.fill("#id_correct-value", "5000")
    page.fill("#id_correct-reason", "血压计读数录错")
    page.click("button[value=correct]")
    page.wait_for_selector(".errorlist")
    assert "收缩压应在 50–300" in page.locator("#id_correct-value").locator("xpath=..").inner_text()
    screenshot(page, "46-correction-refused")
    page.fill("#id_correct-value", "135")
    page.click("button[value=correct]")
    page.wait_for_url("**?tab=results")
    row = page.locator("#c360-tab-results tr", has_text="收缩压")
    assert "135" in row.inner_text() and "已更正" in row.inner_text()
    assert "危急" not in row.inner_text()
    screenshot(page, "47-corrected")

    page.locator("#c360-tab-results tr", has_text="体重").locator("text=更正").click()
    page.wait_for_url("**/observations/*/")
    page.fill("#id_withdraw-reason", "录到了其他客户名下")
    page.click("button[value=withdraw]")
    page.wait_for_url("**?tab=results")
    results = page.locator("#c360-tab-results").inner_text()
    assert "体重" not in results and "体质指数" not in results and "身高" in results

    page.click(".c360-tabs >> text=修改记录")
    page.wait_for_selector("#c360-tab-changes")
    history = page.locator("#c360-tab-changes").inner_text()
    assert "185 → 135" in history
    assert "已确认 → 录入错误" in history and "录到了其他客户名下" in history
    screenshot(page, "48-correction-history")


def test_the_front_desk_sees_identity_history_only(page: Any, make_user: Any) -> None:
    _, customer = _enrolled(make_user)
    desk = make_user("front_desk", password=PASSWORD, full_name="前台小李")
    profile.update_basic_info(
        actor_for_user(desk),
        customer,
        profile.BasicInfo(
            name="陈静", sex="F", birth_date=dt.date(1975, 6, 1), address="杭州市西湖区"
        ),
    )
    sign_in_enrolled(page, desk.username, bytes(totp.enrol_confirmed(desk).seed), set())
    page.goto(f"/customers/{customer.pk}/")
    tabs = page.locator(".c360-tabs").inner_text()
    assert "修改记录" in tabs and "检查结果" not in tabs and "健康史" not in tabs
    page.click(".c360-tabs >> text=修改记录")
    page.wait_for_selector("#c360-tab-changes")
    history = page.locator("#c360-tab-changes").inner_text()
    assert "杭州市西湖区" in history and "住址" in history
    assert "收缩压" not in history and "检查结果" not in history
    screenshot(page, "49-front-desk-history")
