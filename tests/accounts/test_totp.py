"""TOTP and recovery codes (D-11, AUTHN-04..07), through the code path the login uses."""

from __future__ import annotations

import base64
import re
import threading
import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection, connections

from jianguan.accounts.models import RecoveryCode, TotpDevice, User
from jianguan.accounts.services import totp

from .auth_helpers import at_stable_step, enrol

pytestmark = pytest.mark.django_db

RFC_SEED = b"12345678901234567890"

# RFC 6238 Appendix B, SHA-1 column (SR §2.1): unix time → 8-digit TOTP.
RFC6238_SHA1 = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]
# RFC 4226 Appendix D: HOTP values for counters 0–9 (SR §2.1).
RFC4226 = [
    "755224",
    "287082",
    "359152",
    "969429",
    "338314",
    "254676",
    "287922",
    "162583",
    "399871",
    "520489",
]


@pytest.mark.parametrize(("unix_time", "expected"), RFC6238_SHA1)
def test_rfc6238_appendix_b_sha1_vectors(unix_time: int, expected: str) -> None:
    assert totp.code_at(RFC_SEED, unix_time, digits=8) == expected


@pytest.mark.parametrize(("unix_time", "expected"), RFC6238_SHA1)
def test_six_digit_codes_are_the_last_six_digits_of_the_rfc_vectors(
    unix_time: int, expected: str
) -> None:
    assert totp.code_at(RFC_SEED, unix_time) == expected[-6:]


@pytest.mark.parametrize(("counter", "expected"), list(enumerate(RFC4226)))
def test_rfc4226_hotp_values(counter: int, expected: str) -> None:
    # A 30-second step is the HOTP counter of RFC 6238 with T0 = 0.
    assert totp.code_at(RFC_SEED, counter * totp.STEP) == expected


def test_rfc_seed_base32_matches_the_sr_table() -> None:
    assert totp.base32_secret(RFC_SEED) == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


def test_seeds_are_160_bits_and_differ() -> None:
    seeds = {totp.new_seed() for _ in range(20)}
    assert len(seeds) == 20 and all(len(s) == 20 for s in seeds)


def test_seed_is_stored_encrypted(make_user: Callable[..., User]) -> None:
    device = enrol(make_user("doctor"))
    seed = bytes(device.seed)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT seed FROM accounts_totpdevice WHERE id = %s",
            [device.pk.hex if connection.vendor == "sqlite" else device.pk],
        )
        stored = bytes(cursor.fetchone()[0])
    assert seed not in stored and len(stored) > len(seed)
    assert bytes(TotpDevice.objects.get(pk=device.pk).seed) == seed


def test_re_enrolment_yields_a_new_seed(make_user: Callable[..., User]) -> None:
    user = make_user("doctor")
    first = bytes(enrol(user).seed)
    pending = totp.start_enrolment(user)
    assert bytes(pending.seed) != first


def test_otpauth_uri_has_the_pinned_parameters() -> None:
    uri = totp.otpauth_uri("li.ming", RFC_SEED)
    parsed = urlparse(uri)
    assert (parsed.scheme, parsed.netloc, parsed.path) == ("otpauth", "totp", "/Jianguan:li.ming")
    assert parse_qs(parsed.query) == {
        "secret": ["GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"],
        "issuer": ["Jianguan"],
        "algorithm": ["SHA1"],
        "digits": ["6"],
        "period": ["30"],
    }
    assert uri.startswith(
        "otpauth://totp/Jianguan:li.ming?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Jianguan&algorithm=SHA1&digits=6&period=30"
    )


def test_qr_code_is_inline_svg_without_script_or_external_reference() -> None:
    svg = totp.qr_svg(totp.otpauth_uri("li.ming", RFC_SEED), "扫描")
    assert svg.startswith("<svg") and "<title>扫描</title>" in svg
    assert not re.search(r"<script|data:|https?://|href=|style=", svg)


def test_window_accepts_step_t_and_t_minus_one_only() -> None:
    now = 1_000_000
    matched = {
        offset: totp.matching_step(RFC_SEED, totp.code_at(RFC_SEED, (now + offset) * 30), now)
        for offset in (-2, -1, 0, 1)
    }
    assert matched == {-2: None, -1: now - 1, 0: now, 1: None}


def test_current_code_is_accepted(make_user: Callable[..., User]) -> None:
    device = enrol(make_user("doctor"))
    assert at_stable_step(
        lambda step: totp.verify(device, totp.code_at(bytes(device.seed), step * 30))
    )


def test_previous_steps_code_is_accepted(make_user: Callable[..., User]) -> None:
    device = enrol(make_user("doctor"))
    assert at_stable_step(
        lambda step: totp.verify(device, totp.code_at(bytes(device.seed), (step - 1) * 30))
    )


def test_code_two_steps_old_is_rejected(make_user: Callable[..., User]) -> None:
    device = enrol(make_user("doctor"))
    assert not at_stable_step(
        lambda step: totp.verify(device, totp.code_at(bytes(device.seed), (step - 2) * 30))
    )


def test_next_steps_code_is_rejected(make_user: Callable[..., User]) -> None:
    device = enrol(make_user("doctor"))
    assert not at_stable_step(
        lambda step: totp.verify(device, totp.code_at(bytes(device.seed), (step + 1) * 30))
    )


def test_an_accepted_code_is_rejected_the_second_time(make_user: Callable[..., User]) -> None:
    device = enrol(make_user("doctor"))

    def twice(step: int) -> tuple[bool, bool]:
        code = totp.code_at(bytes(device.seed), step * 30)
        return totp.verify(device, code), totp.verify(device, code)

    assert at_stable_step(twice) == (True, False)


def test_after_step_t_the_previous_steps_code_is_rejected(make_user: Callable[..., User]) -> None:
    device = enrol(make_user("doctor"))
    seed = bytes(device.seed)

    def both(step: int) -> tuple[bool, bool]:
        return (
            totp.verify(device, totp.code_at(seed, step * 30)),
            totp.verify(device, totp.code_at(seed, (step - 1) * 30)),
        )

    assert at_stable_step(both) == (True, False)


def test_a_stale_copy_of_the_device_cannot_reuse_a_code(make_user: Callable[..., User]) -> None:
    # Two requests load the device before either accepts: only the conditional UPDATE decides.
    device = enrol(make_user("doctor"))
    first = TotpDevice.objects.get(pk=device.pk)
    second = TotpDevice.objects.get(pk=device.pk)

    def race(step: int) -> tuple[bool, bool]:
        code = totp.code_at(bytes(device.seed), step * 30)
        return totp.verify(first, code), totp.verify(second, code)

    assert at_stable_step(race) == (True, False)


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_of_one_code_pass_once(make_user: Callable[..., User]) -> None:
    device = enrol(make_user("doctor"))
    seed = bytes(device.seed)
    copies = [TotpDevice.objects.get(pk=device.pk) for _ in range(4)]

    def run(step: int) -> list[bool]:
        TotpDevice.objects.filter(pk=device.pk).update(last_t=-1)
        code = totp.code_at(seed, step * 30)
        barrier = threading.Barrier(len(copies))
        results: list[bool] = []
        lock = threading.Lock()

        def submit(copy: TotpDevice) -> None:
            try:
                barrier.wait(timeout=10)
                ok = totp.verify(copy, code)
                with lock:
                    results.append(ok)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=submit, args=(c,)) for c in copies]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        return results

    results = at_stable_step(run)
    assert sorted(results) == [False, False, False, True]


def test_wrong_and_malformed_codes_are_rejected(make_user: Callable[..., User]) -> None:
    device = enrol(make_user("doctor"))
    for code in ("", "12345", "1234567", "abcdef", "12 34 5x"):
        assert not totp.verify(device, code)


def test_code_with_spaces_is_accepted(make_user: Callable[..., User]) -> None:
    device = enrol(make_user("doctor"))
    assert at_stable_step(
        lambda step: totp.verify(device, " ".join(totp.code_at(bytes(device.seed), step * 30)))
    )


def test_pending_device_confirms_with_its_first_correct_code(
    make_user: Callable[..., User],
) -> None:
    user = make_user("doctor")
    device = totp.start_enrolment(user)
    assert not totp.has_confirmed_device(user)
    assert at_stable_step(
        lambda step: totp.confirm_enrolment(device, totp.code_at(bytes(device.seed), step * 30))
    )
    assert totp.has_confirmed_device(user)


def test_confirming_a_new_device_retires_the_old_one(make_user: Callable[..., User]) -> None:
    user = make_user("doctor")
    old = enrol(user)
    new = totp.start_enrolment(user)
    assert totp.confirmed_device(user) == old  # the old one works until the new one is confirmed
    at_stable_step(
        lambda step: totp.confirm_enrolment(new, totp.code_at(bytes(new.seed), step * 30))
    )
    assert list(TotpDevice.objects.filter(user=user)) == [new]


def test_ten_recovery_codes_of_fifty_bits(make_user: Callable[..., User]) -> None:
    codes = totp.generate_recovery_codes(make_user("doctor"))
    assert len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes)


def test_recovery_codes_are_stored_hashed(make_user: Callable[..., User]) -> None:
    user = make_user("doctor")
    codes = totp.generate_recovery_codes(user)
    stored = set(RecoveryCode.objects.filter(user=user).values_list("code_hash", flat=True))
    assert len(stored) == 10 and all(len(h) == 64 for h in stored)
    assert not any(c.replace("-", "") in h or c in h for c in codes for h in stored)


def test_recovery_code_works_once(make_user: Callable[..., User]) -> None:
    user = make_user("doctor")
    code = totp.generate_recovery_codes(user)[3]
    assert totp.use_recovery_code(user, code.upper()) is True
    assert totp.use_recovery_code(user, code) is False
    assert totp.remaining_recovery_codes(user) == 9


def test_recovery_code_of_another_user_is_rejected(make_user: Callable[..., User]) -> None:
    code = totp.generate_recovery_codes(make_user("doctor"))[0]
    other = make_user("doctor")
    totp.generate_recovery_codes(other)
    assert totp.use_recovery_code(other, code) is False


def test_regenerating_recovery_codes_invalidates_the_old_ones(
    make_user: Callable[..., User],
) -> None:
    user = make_user("doctor")
    old = totp.generate_recovery_codes(user)
    totp.generate_recovery_codes(user)
    assert totp.use_recovery_code(user, old[0]) is False


def test_current_code_matches_the_seed_at_server_time(make_user: Callable[..., User]) -> None:
    device = enrol(make_user("doctor"))
    assert at_stable_step(
        lambda step: totp.current_code(device) == totp.code_at(bytes(device.seed), step * 30)
    )


def test_base32_secret_round_trips() -> None:
    seed = totp.new_seed()
    secret = totp.base32_secret(seed)
    assert base64.b32decode(secret + "=" * (-len(secret) % 8)) == seed and "=" not in secret


def test_time_helpers_use_thirty_second_steps() -> None:
    assert totp.step_of(59) == 1 and totp.step_of(60) == 2
    assert abs(totp.server_step() - int(time.time()) // 30) <= 1
