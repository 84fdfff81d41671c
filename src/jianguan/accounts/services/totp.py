"""TOTP second factor and recovery codes (D-11, AUTHN-04..07).

SHA-1, 6 digits, 30-second steps — what authenticator apps use — computed by django-otp's
`django_otp.oath` (RFC 4226 HOTP, RFC 6238 TOTP). Seeds are 20 bytes from `secrets` (160 bits,
AUTHN-07) in an encrypted field. Only steps T and T−1 of the server's clock are accepted, and a
step is accepted once: the device's `last_t` moves forward by a conditional UPDATE, so two
concurrent submissions of one code cannot both pass (AUTHN-05). No client-supplied time is ever
read (AUTHN-06).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from urllib.parse import quote, urlencode

import segno
from django.db import transaction
from django.utils import timezone
from django_otp.oath import TOTP

from ..models import RecoveryCode, TotpDevice, User

ISSUER = "Jianguan"
SEED_BYTES = 20
STEP = 30
DIGITS = 6
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # 32 symbols: 5 bits each, no l/o/0/1
RECOVERY_LENGTH = 10  # 50 bits
TOTP_RE = re.compile(r"^[0-9]{6}$")


def new_seed() -> bytes:
    return secrets.token_bytes(SEED_BYTES)


def code_at(seed: bytes, unix_time: int, digits: int = DIGITS) -> str:
    """The TOTP code of `seed` at `unix_time` (RFC 6238 with T0 = 0, X = 30 s, HMAC-SHA-1)."""
    totp = TOTP(seed, step=STEP, t0=0, digits=digits)
    totp.time = unix_time
    return f"{totp.token():0{digits}d}"


def step_of(unix_time: float) -> int:
    return int(unix_time) // STEP


def server_step() -> int:
    return step_of(time.time())


def current_code(device: TotpDevice) -> str:
    """The code an authenticator shows now (for `jianguan demo code` and tests)."""
    return code_at(bytes(device.seed), int(time.time()))


def base32_secret(seed: bytes) -> str:
    return base64.b32encode(seed).decode().rstrip("=")


def otpauth_uri(username: str, seed: bytes) -> str:
    label = quote(f"{ISSUER}:{username}", safe=":@")
    query = urlencode(
        {
            "secret": base32_secret(seed),
            "issuer": ISSUER,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": STEP,
        }
    )
    return f"otpauth://totp/{label}?{query}"


def qr_svg(uri: str, title: str) -> str:
    """The QR code as inline SVG, made here (no external service, no script, no data: URL)."""
    qr = segno.make(uri, error="m")
    # A viewBox and no fixed size, so the stylesheet scales it (.qr svg).
    svg: str = qr.svg_inline(
        scale=5, border=4, title=title, dark="#000", light="#fff", omitsize=True
    )
    return svg


# --- devices ----------------------------------------------------------------------------------


def confirmed_device(user: User) -> TotpDevice | None:
    return TotpDevice.objects.filter(user=user, confirmed=True).order_by("-created").first()


def has_confirmed_device(user: User) -> bool:
    return TotpDevice.objects.filter(user=user, confirmed=True).exists()


def pending_device(user: User) -> TotpDevice | None:
    return TotpDevice.objects.filter(user=user, confirmed=False).order_by("-created").first()


def start_enrolment(user: User) -> TotpDevice:
    """A new unconfirmed device with a fresh seed; the confirmed one (if any) stays until then."""
    with transaction.atomic():
        TotpDevice.objects.filter(user=user, confirmed=False).delete()
        return TotpDevice.objects.create(user=user, name="TOTP", confirmed=False, seed=new_seed())


def pending_or_new(user: User) -> TotpDevice:
    return pending_device(user) or start_enrolment(user)


def enrol_confirmed(user: User, seed: bytes | None = None) -> TotpDevice:
    """A confirmed device at once (demo accounts, D-12); replaces every other device."""
    with transaction.atomic():
        TotpDevice.objects.filter(user=user).delete()
        return TotpDevice.objects.create(
            user=user, name="TOTP", confirmed=True, seed=seed or new_seed()
        )


def matching_step(seed: bytes, code: str, now_step: int) -> int | None:
    """The step (T, else T−1) whose code equals `code`, compared in constant time."""
    for step in (now_step, now_step - 1):
        if hmac.compare_digest(code_at(seed, step * STEP), code):
            return step
    return None


def verify(device: TotpDevice, code: str) -> bool:
    """True once per step for a correct code of T or T−1 (AUTHN-05, AUTHN-06)."""
    code = "".join(code.split())
    if not TOTP_RE.match(code):
        return False
    step = matching_step(bytes(device.seed), code, server_step())
    if step is None:
        return False
    # The conditional UPDATE is the single-use guarantee: of two concurrent submissions only one
    # finds last_t below the step. The instance's own last_t is never trusted (it may be stale).
    won = TotpDevice.objects.filter(pk=device.pk, last_t__lt=step).update(last_t=step)
    if won:
        device.last_t = step
    return bool(won)


def confirm_enrolment(device: TotpDevice, code: str) -> bool:
    """The first correct code confirms a pending device and retires every other device."""
    if device.confirmed or not verify(device, code):
        return False
    with transaction.atomic():
        TotpDevice.objects.filter(user_id=device.user_id).exclude(pk=device.pk).delete()
        TotpDevice.objects.filter(pk=device.pk).update(confirmed=True)
    device.confirmed = True
    return True


def verify_user(user: User, code: str) -> bool:
    device = confirmed_device(user)
    return device is not None and verify(device, code)


# --- recovery codes ---------------------------------------------------------------------------


def _normalise_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _recovery_hash(user: User, code: str) -> str:
    # SHA-256 suffices for 50 random bits; the user id keeps equal codes of two users apart.
    return hashlib.sha256(f"{user.pk}:{_normalise_recovery(code)}".encode()).hexdigest()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def generate_recovery_codes(user: User) -> list[str]:
    """Ten new single-use codes, returned once; earlier codes stop working."""
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(
            RecoveryCode(user=user, code_hash=_recovery_hash(user, c)) for c in codes
        )
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """True once for each unused code; the conditional UPDATE makes it single-use."""
    if len(_normalise_recovery(code)) != RECOVERY_LENGTH:
        return False
    used = RecoveryCode.objects.filter(
        user=user, code_hash=_recovery_hash(user, code), used_at__isnull=True
    ).update(used_at=timezone.now())
    return bool(used)


def remaining_recovery_codes(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def verify_second_factor(user: User, code: str) -> str | None:
    """ "totp" or "recovery" for an accepted code, None otherwise."""
    compact = "".join(code.split())
    if TOTP_RE.match(compact):
        return "totp" if verify_user(user, compact) else None
    return "recovery" if use_recovery_code(user, compact) else None
