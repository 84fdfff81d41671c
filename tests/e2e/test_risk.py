"""A health manager opens a customer's 风险评估 tab (China-PAR with its category, what would
change at target, what is missing for the other models) and the 指标趋势 tab (findings and SVG
charts with hover titles; choosing indicators to compare), at 1366×768 and on a phone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from jianguan.accounts.actors import actor_for_user
from jianguan.accounts.services import totp
from jianguan.records.models import Lifestyle, Observation
from jianguan.records.services import history
from jianguan.records.services.enrolment import EnrolmentData, enrol
from jianguan.records.services.observations import record_vitals

from .conftest import screenshot
from .flows import PASSWORD, sign_in_enrolled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_health_manager_reads_risk_and_trends(page: Any, make_user: Any, institution: Any) -> None:
    institution.region_north, institution.region_urban = True, True
    institution.save()
    manager = make_user("health_manager", password=PASSWORD, full_name="孙管理")
    actor = actor_for_user(manager)
    customer = enrol(
        actor,
        EnrolmentData(name="周强", sex="M", birth_date=dt.date(1962, 8, 1), consent=True),
    )
    own = {"institution_id": customer.institution_id, "customer_id": customer.pk}
    history.save_new(actor, Lifestyle(**own, data={"smoking": {"status": "current"}}))
    for year, sbp, glucose, tc in (
        (2022, 132, 5.6, 5.4),
        (2023, 141, 5.9, 5.8),
        (2024, 149, 6.4, 6.3),
    ):
        when = dt.datetime(year, 5, 10, 9, tzinfo=dt.UTC)
        record_vitals(
            actor,
            customer,
            {
                "systolic": str(sbp),
                "diastolic": "88",
                "height": "170",
                "weight": "78",
                "waist": "92",
            },
            effective=when,
        )
        for code, loinc, value in (
            ("fasting_glucose", "14771-0", glucose),
            ("total_cholesterol", "14647-2", tc),
            ("hdl_c", "14646-4", 1.1),
        ):
            history.save_new(
                actor,
                Observation(
                    **own,
                    loinc=loinc,
                    local_code=code,
                    unit="mmol/L",
                    value_num=value,
                    effective=when,
                ),
            )
    sign_in_enrolled(page, manager.username, bytes(totp.enrol_confirmed(manager).seed), set())

    page.goto(f"/customers/{customer.pk}/")
    page.click(".c360-tabs >> text=风险评估")
    page.wait_for_selector("#c360-tab-risk")
    assert page.url.endswith("?tab=risk")
    par = page.locator("#risk-china_par").inner_text()
    assert "高危" in par and "如果达到目标" in par and "戒烟" in par
    assert "血肌酐" in page.locator("#risk-ckd_epi_2021").inner_text()  # what is missing
    screenshot(page, "50-risk-panel")

    page.click(".c360-tabs >> text=指标趋势")
    page.wait_for_selector("#c360-tab-trends")
    glucose = page.locator("#trend-fasting_glucose")
    assert "空腹血糖连续2年上升，2024年首次超过6.1 mmol/L" in glucose.inner_text()
    assert glucose.locator("svg.trend-chart circle").count() == 3
    title = glucose.locator("svg.trend-chart circle title").last.text_content()
    assert title == "2024-05-10：6.40 mmol/L"
    screenshot(page, "51-trends")

    page.check("input[name=show][value=diastolic]")
    page.uncheck("input[name=show][value=bmi]")
    page.click(".trend-picker button[type=submit]")
    page.wait_for_selector("#trend-diastolic")
    assert page.locator("#trend-bmi").count() == 0
    assert "show=diastolic" in page.url
    screenshot(page, "52-trends-compare")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/customers/{customer.pk}/?tab=trends")
    page.wait_for_selector("#c360-tab-trends")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "53-trends-phone")
