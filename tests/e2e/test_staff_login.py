"""A person signs in as staff: password, then the second factor, and reaches the dashboard.

The TOTP seed is read out of the enrolment QR image with zbar (D-24), which also proves the QR.
Each test uses its own user, because a code is accepted only once.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from jianguan.accounts.models import TotpDevice
from jianguan.accounts.services import totp

from .conftest import screenshot
from .flows import PASSWORD, enter_password, fresh_code, seed_from_qr

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_first_login_enrols_totp_from_the_qr_code_and_reaches_the_dashboard(  # type: ignore[no-untyped-def]
    page: Any, make_user
) -> None:
    user = make_user("health_manager", password=PASSWORD, full_name="王健康")
    page.goto("/")
    assert "/accounts/login/" in page.url
    screenshot(page, "01-login")

    enter_password(page, user.username)
    page.wait_for_url("**/accounts/mfa/enrol/**")
    screenshot(page, "02-totp-enrolment")
    seed = seed_from_qr(page)
    # The QR carries the very seed the server stored, encrypted, for this user.
    device = TotpDevice.objects.get(user=user)
    assert device.seed == seed

    page.fill("input[name=code]", fresh_code(seed, set()))
    page.click("main button[type=submit]")
    page.wait_for_selector("ol.codes")
    assert page.locator("ol.codes li").count() == 10
    screenshot(page, "03-recovery-codes")

    page.click("a.button")
    page.wait_for_selector("#whoami")
    assert user.username in page.locator("#whoami").inner_text()
    assert "健康管理师" in page.content()
    screenshot(page, "04-dashboard")


def test_enrolled_user_signs_in_with_password_and_code(page: Any, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("doctor", password=PASSWORD)
    device = totp.enrol_confirmed(user)
    seed = bytes(device.seed)

    enter_password(page, user.username)
    page.wait_for_url("**/accounts/mfa/**")
    assert page.locator("#whoami").count() == 0  # nothing behind the login before the code
    screenshot(page, "05-second-factor")
    page.fill(
        "input[name=code]",
        "000000" if totp.code_at(seed, int(time.time())) != "000000" else "111111",
    )
    page.click("main button[type=submit]")
    assert page.locator(".errorlist").count() >= 1
    page.fill("input[name=code]", fresh_code(seed, set()))
    page.click("main button[type=submit]")
    page.wait_for_selector("#whoami")
    assert "/accounts/" not in page.url


def test_language_switch_shows_english(page: Any, make_user) -> None:  # type: ignore[no-untyped-def]
    page.goto("/accounts/login/")
    assert "用户名" in page.content()
    page.click("form.lang button")
    page.wait_for_load_state()
    assert "Username" in page.content()
    screenshot(page, "06-login-english")
