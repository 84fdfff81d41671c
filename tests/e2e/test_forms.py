"""A nurse fills the PHQ-9 with a customer at the desk: an unanswered item is marked at its
place, the submitted form is scored through the clinical engine, item 9 raises the urgent
banner, and the response appears on the customer's 问卷 tab."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from jianguan.accounts.actors import actor_for_user
from jianguan.accounts.services import totp
from jianguan.core.actors import Actor
from jianguan.questionnaires.services import forms
from jianguan.records.services.enrolment import EnrolmentData, enrol

from .conftest import screenshot
from .flows import PASSWORD, sign_in_enrolled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_nurse_fills_the_phq9_with_a_customer(page: Any, make_user: Any) -> None:
    forms.install_builtins(Actor.system("test"))
    nurse = make_user("nurse", password=PASSWORD, full_name="钱护士")
    customer = enrol(
        actor_for_user(nurse),
        EnrolmentData(name="孔丽", sex="F", birth_date=dt.date(1990, 7, 7), consent=True),
    )
    sign_in_enrolled(page, nurse.username, bytes(totp.enrol_confirmed(nurse).seed), set())
    page.goto(f"/customers/{customer.pk}/?tab=forms")
    page.wait_for_selector("#c360-tab-forms")
    page.click(".forms-fill >> text=PHQ-9")
    page.wait_for_url("**/forms/phq9/fill/")
    for i in range(1, 9):  # q9 left empty
        page.check(f"#item-q{i} input[value=LA6569-3]")
    page.click("form.questionnaire button[type=submit]")
    page.wait_for_selector(".form-item-error")
    assert page.locator(".form-item-error").count() == 1
    assert page.locator("#item-q9.form-item-error .errorlist").count() == 1
    assert page.locator("#item-q1 input[value=LA6569-3]").is_checked()  # answers kept
    screenshot(page, "57-phq9-missing-item")
    page.check("#item-q9 input[value=LA6569-3]")
    page.click("form.questionnaire button[type=submit]")
    page.wait_for_url("**/forms/responses/*/")
    assert "紧急" in page.locator(".form-alert").inner_text()
    body = page.locator("main").inner_text()
    assert "9" in body and "轻度" in body  # total 9: mild
    screenshot(page, "58-phq9-result")
    page.goto(f"/customers/{customer.pk}/?tab=forms")
    page.wait_for_selector(".forms-responses")
    assert "患者健康问卷" in page.locator(".forms-responses").inner_text()
