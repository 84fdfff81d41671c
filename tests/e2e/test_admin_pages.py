"""The institution admin creates a user in the browser; the new user activates the account from
the one-time link, sets a password, enrols TOTP and signs in; the auditor sees it in the ledger;
the security admin sees the key status."""

from __future__ import annotations

from typing import Any

import pytest

from jianguan.accounts.models import User
from jianguan.accounts.services import totp

from .conftest import screenshot
from .flows import PASSWORD, fresh_code, seed_from_qr, sign_in_enrolled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Lan-Shan 2026 jiankang?"


def test_admin_creates_a_user_who_activates_and_signs_in(  # type: ignore[no-untyped-def]
    page: Any, browser: Any, live_server: Any, make_user
) -> None:
    admin = make_user("institution_admin", password=PASSWORD)
    seed = bytes(totp.enrol_confirmed(admin).seed)
    sign_in_enrolled(page, admin.username, seed, set())
    assert page.locator("#card-users").count() == 1

    page.click("nav.mainnav >> text=用户与角色")
    page.wait_for_url("**/accounts/users/")
    screenshot(page, "10-user-list")
    page.goto("/accounts/users/new/")
    page.fill("input[name=username]", "zhao.nurse")
    page.fill("input[name=full_name]", "赵护士")
    page.fill("input[name=mobile]", "13812345678")
    page.check("input[name=roles][value=nurse]")
    screenshot(page, "11-user-create")
    page.click("main button[type=submit]")
    link = page.locator("p.secret").inner_text().strip()
    assert "/accounts/activate/" in link
    screenshot(page, "12-activation-link")
    assert User.objects.unscoped(reason="test").get(username="zhao.nurse").full_name == "赵护士"

    # The new user, in a browser of their own.
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    phone = context.new_page()
    phone.goto(link)
    assert "/activate/" in phone.url and link.rsplit("/", 2)[-2] not in phone.url  # token-free
    phone.fill("input[name=password1]", NEW_PASSWORD)
    phone.fill("input[name=password2]", NEW_PASSWORD)
    phone.click("main button[type=submit]")
    phone.wait_for_selector(".qr")
    screenshot(phone, "13-activation-enrol-phone")
    new_seed = seed_from_qr(phone)
    phone.fill("input[name=code]", fresh_code(new_seed, set()))
    phone.click("main button[type=submit]")
    phone.wait_for_selector("ol.codes")
    phone.click("a.button")
    phone.wait_for_selector("#whoami")
    assert "zhao.nurse" in phone.locator("#whoami").inner_text()
    screenshot(phone, "14-dashboard-phone")
    context.close()


def test_auditor_reads_the_ledger_and_security_admin_the_keys(  # type: ignore[no-untyped-def]
    page: Any, make_user
) -> None:
    auditor = make_user("auditor", password=PASSWORD)
    seed = bytes(totp.enrol_confirmed(auditor).seed)
    used: set[str] = set()
    sign_in_enrolled(page, auditor.username, seed, used)
    page.goto("/audit/")
    rows = page.locator("table tbody tr")
    assert rows.count() >= 1
    assert "auth.login" in page.locator("table").inner_text()
    screenshot(page, "20-audit-log")
    page.goto("/accounts/users/")
    assert "未找到" in page.content()  # the auditor manages no users: same page as a missing one

    page.context.clear_cookies()
    security = make_user("security_admin", password=PASSWORD)
    sec_seed = bytes(totp.enrol_confirmed(security).seed)
    sign_in_enrolled(page, security.username, sec_seed, set())
    page.goto("/security/keys/")
    assert page.locator("table").count() == 1
    screenshot(page, "21-key-status")
    page.goto("/audit/")
    assert "未找到" in page.content()
