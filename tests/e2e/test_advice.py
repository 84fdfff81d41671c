"""A health manager drafts advice by rule on the 健康建议 tab (an urgent item first, with the
finding that triggered it and its guideline), rewrites one item, drops another and approves;
the approved plan shows only what was kept."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from jianguan.accounts.actors import actor_for_user
from jianguan.accounts.services import totp
from jianguan.records.services.enrolment import EnrolmentData, enrol
from jianguan.records.services.observations import record_vitals

from .conftest import screenshot
from .flows import PASSWORD, sign_in_enrolled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_health_manager_drafts_edits_and_approves_advice(page: Any, make_user: Any) -> None:
    manager = make_user("health_manager", password=PASSWORD, full_name="郑管理")
    actor = actor_for_user(manager)
    customer = enrol(
        actor,
        EnrolmentData(
            name="韩梅",
            sex="F",
            birth_date=dt.date(1958, 2, 1),
            consent=True,
            manager_id=manager.pk,
        ),
    )
    record_vitals(
        actor,
        customer,
        {"systolic": "184", "diastolic": "96", "height": "158", "weight": "70"},
        effective=dt.datetime(2025, 4, 1, 9, tzinfo=dt.UTC),
    )
    sign_in_enrolled(page, manager.username, bytes(totp.enrol_confirmed(manager).seed), set())
    page.goto(f"/customers/{customer.pk}/?tab=advice")
    page.wait_for_selector("#c360-tab-advice")
    page.click(".advice-new button[type=submit]")
    page.wait_for_selector(".advice-plan")
    first = page.locator(".advice-item").first
    assert "紧急" in first.inner_text() and "3级高血压" in first.inner_text()
    screenshot(page, "55-advice-draft")

    salt = page.locator(".advice-item", has_text="严格限盐")
    salt.locator("textarea").fill("每天食盐不超过 5 克，少吃咸菜和酱菜。")
    general = page.locator(".advice-item", has_text="食物多样")
    general.locator("input[type=checkbox]").uncheck()
    page.click("button[value=approve]")
    page.wait_for_selector(".advice-list")
    approved = page.locator(".advice-list").inner_text()
    assert "每天食盐不超过 5 克，少吃咸菜和酱菜。" in approved
    assert "食物多样" not in approved
    assert "已审核" in page.locator(".advice-status").inner_text()
    screenshot(page, "56-advice-approved")
