"""A doctor opens 人群风险 from the main navigation, finds it not yet computed, recomputes it
and reads China-PAR's distribution and the counts by classification, at 1366×768 and on a
phone."""

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
WHEN = dt.datetime(2025, 5, 10, 9, tzinfo=dt.UTC)


def test_doctor_reads_and_recomputes_the_population(
    page: Any, make_user: Any, institution: Any
) -> None:
    institution.region_north, institution.region_urban = True, True
    institution.save()
    nurse = actor_for_user(make_user("nurse"))
    for n, (sex, born, sbp, dbp, tc, smoker) in enumerate(
        (
            ("M", dt.date(1958, 3, 1), 162, 98, 6.6, True),
            ("F", dt.date(1975, 7, 1), 118, 76, 4.6, False),
            ("M", dt.date(1968, 1, 1), 138, 86, 5.6, False),
        )
    ):
        customer = enrol(
            nurse, EnrolmentData(name=f"人群{n}", sex=sex, birth_date=born, consent=True)
        )
        record_vitals(
            nurse,
            customer,
            {
                "systolic": str(sbp),
                "diastolic": str(dbp),
                "height": "168",
                "weight": "72",
                "waist": "90",
            },
            effective=WHEN,
        )
        own = {"institution_id": customer.institution_id, "customer_id": customer.pk}
        for code, loinc, value in (("total_cholesterol", "14647-2", tc), ("hdl_c", "14646-4", 1.1)):
            history.save_new(
                nurse,
                Observation(
                    **own,
                    loinc=loinc,
                    local_code=code,
                    unit="mmol/L",
                    value_num=value,
                    effective=WHEN,
                ),
            )
        if smoker:
            history.save_new(nurse, Lifestyle(**own, data={"smoking": {"status": "current"}}))
    enrol(nurse, EnrolmentData(name="人群无数据", sex="F", birth_date=None, consent=True))
    doctor = make_user("doctor", password=PASSWORD, full_name="周医生")
    sign_in_enrolled(page, doctor.username, bytes(totp.enrol_confirmed(doctor).seed), set())

    page.click(".mainnav >> text=人群风险")
    page.wait_for_selector("#pop-summary")
    assert "尚未计算" in page.locator("#pop-summary").inner_text()

    page.click("#pop-summary button[type=submit]")
    page.wait_for_selector("#pop-china_par")
    assert "已开始重新计算" in page.locator(".messages").inner_text()
    assert "在册客户 4 人" in page.locator("#pop-summary").inner_text()
    par = page.locator("#pop-china_par")
    counts = {
        row.get_attribute("data-category"): int(row.locator(".pop-count").inner_text())
        for row in par.locator("tr[data-category]").all()
    }
    assert counts["not_enough_data"] == 1
    assert counts["low"] + counts["intermediate"] + counts["high"] == 3
    assert par.locator("progress.pop-bar").count() == 3
    assert "高危" in par.inner_text() and "数据不足" in par.inner_text()
    bp = page.locator("#pop-bp_class").inner_text()
    assert "2级高血压" in bp and "正常血压" in bp
    for model_id in ("bmi", "waist_class", "lipid_class", "glycaemic_status", "ckd_epi_2021"):
        assert page.locator(f"#pop-{model_id}").count() == 1
    screenshot(page, "54-population")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/population/")
    page.wait_for_selector("#pop-china_par")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "54-population-phone")
