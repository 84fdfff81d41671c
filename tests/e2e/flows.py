"""Steps a person takes in the browser, shared by the browser tests."""

from __future__ import annotations

import base64
import io
import time
from typing import Any
from urllib.parse import parse_qs, urlparse

from jianguan.accounts.services import totp

PASSWORD = "Qiu-Ling 2026 tijian!"


def seed_from_qr(page: Any) -> bytes:
    from PIL import Image
    from pyzbar.pyzbar import decode

    png = page.locator(".qr").screenshot()
    found = decode(Image.open(io.BytesIO(png)))
    assert found, "the enrolment QR code does not decode"
    uri = found[0].data.decode()
    parsed = urlparse(uri)
    assert parsed.scheme == "otpauth" and parsed.netloc == "totp"
    params = parse_qs(parsed.query)
    assert (
        params["algorithm"] == ["SHA1"] and params["digits"] == ["6"] and params["period"] == ["30"]
    )
    secret = params["secret"][0]
    return base64.b32decode(secret + "=" * (-len(secret) % 8))


def fresh_code(seed: bytes, used: set[str]) -> str:
    """The code for the current step, waiting for the next step if this one was just used."""
    deadline = time.time() + 35
    while time.time() < deadline:
        code = totp.code_at(seed, int(time.time()))
        if code not in used:
            used.add(code)
            return code
        time.sleep(0.5)
    raise AssertionError("no new TOTP step within 35 s")


def enter_password(page: Any, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")


def sign_in_enrolled(page: Any, username: str, seed: bytes, used: set[str]) -> None:
    """Password, then a code from the enrolled seed, until the dashboard shows."""
    enter_password(page, username)
    page.wait_for_url("**/accounts/mfa/**")
    page.fill("input[name=code]", fresh_code(seed, used))
    page.click("main button[type=submit]")
    page.wait_for_selector("#whoami")
