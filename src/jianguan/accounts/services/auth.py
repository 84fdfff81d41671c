"""Sign-in: password, second factor, lockout, one-time links, password changes (AUTHN-01..13).

The password step leaves only a short-lived `pre_mfa` marker in a fresh session: no
authenticated session (and so no access to personal data) exists before the second factor
(AUTHN-03). Django's `login()` runs only after the second factor, and cycles the session id again
(SES-01). Unknown users, disabled users and wrong passwords take the same path through the
password hasher and get the same answer (AUTHN-11, D-19).
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import login, logout, password_validation, update_session_auth_hash
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jianguan.audit.ledger import record
from jianguan.core import context
from jianguan.core.actors import Actor
from jianguan.core.errors import JianguanError
from jianguan.core.notify import notify

from ..models import Institution, OneTimeLink, TotpDevice, User
from . import sessions, throttle, totp

BACKEND = "jianguan.accounts.backends.InstitutionUserBackend"
PRE_MFA = "pre_mfa"
LOGIN_NEXT = "login_next"
LINK_SESSION = "one_time_link"
PASSWORD_EXPIRED = "password_expired"  # noqa: S105 - a session key
PRE_MFA_SECONDS = 5 * 60
LINK_FLOW_SECONDS = 30 * 60
LINK_PURPOSES = ("activate", "reset")

# Reason codes written to the audit entry's purpose; never shown to the user (AUTHN-11).
UNKNOWN_USER = "unknown_user"
BAD_PASSWORD = "bad_password"  # noqa: S105 - a reason code, not a password
INACTIVE = "inactive"
BAD_OTP = "bad_otp"


class AuthError(JianguanError):
    code = "auth_error"


class InvalidCredentials(AuthError):
    code = "invalid_credentials"
    default_message = _("用户名或密码错误。")


class InvalidCode(AuthError):
    code = "invalid_code"
    default_message = _("验证码错误或已使用，请输入认证器上当前显示的 6 位数字或一个恢复码。")


class InvalidReauth(AuthError):
    code = "invalid_reauth"
    default_message = _("密码或验证码错误。")


class LockedOut(AuthError):
    code = "locked_out"

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(
            gettext("登录失败次数过多，已暂时锁定。请在 %(minutes)d 分钟后再试。")
            % {"minutes": minutes}
        )


class LinkInvalid(AuthError):
    code = "link_invalid"
    default_message = _("该链接无效、已使用或已过期。请联系机构管理员重新发送。")


def actor_of(user: User) -> Actor:
    return Actor("staff", user.pk, user.institution_id, user.role_codes)


def client_address() -> str:
    return context.current().client_address


def safe_next(request: HttpRequest, candidate: str | None) -> str | None:
    """A local URL to go to after sign-in, or None (no open redirects)."""
    if not candidate:
        return None
    if (
        url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        and candidate.startswith("/")
        and not candidate.startswith("//")
    ):
        return candidate
    return None


# --- the password step ----------------------------------------------------------------------

_dummy_hashes: dict[tuple[str, ...], str] = {}


def _dummy_hash() -> str:
    """A hash made by the current hasher, checked when there is no real one to check."""
    key = tuple(settings.PASSWORD_HASHERS)
    encoded = _dummy_hashes.get(key)
    if encoded is None:
        encoded = make_password(secrets.token_urlsafe(16))
        _dummy_hashes[key] = encoded
    return encoded


@dataclass(frozen=True)
class PasswordResult:
    user: User | None
    reason: str  # "" on success, else one of the reason codes

    @property
    def ok(self) -> bool:
        return self.user is not None and not self.reason


def check_credentials(username: str, password: str) -> PasswordResult:
    """Runs the password hasher exactly once on every path (AUTHN-11, D-19).

    A correct password stored with weaker hasher parameters is rehashed here (AUTHN-01), by
    `User.check_password`'s setter.
    """
    user = User.objects.unscoped(reason="authentication").filter(username=username).first()
    if user is None:
        check_password(password, _dummy_hash())
        return PasswordResult(None, UNKNOWN_USER)
    if not user.is_active or not user.has_usable_password():
        check_password(password, _dummy_hash())
        return PasswordResult(user, INACTIVE)
    if not user.check_password(password):
        return PasswordResult(user, BAD_PASSWORD)
    return PasswordResult(user, "")


def guard(username: str) -> list[throttle.Scope]:
    """The counters for this attempt; raises LockedOut while any of them is locked."""
    scopes = throttle.scopes(username, client_address())
    wait = throttle.retry_after(scopes)
    if wait is not None:
        raise LockedOut(wait)
    return scopes


def register_failure(
    scopes: list[throttle.Scope],
    *,
    action: str,
    reason: str,
    user: User | None,
) -> int | None:
    """Count and audit one failure; audit a lockout it causes. Returns the wait if now locked."""
    actor = actor_of(user) if user is not None else None
    resource_id = str(user.pk) if user is not None else ""
    with transaction.atomic():
        failure = throttle.register_failure(scopes)
        record(
            action,
            actor=actor,
            outcome="failure",
            resource_type="user",
            resource_id=resource_id,
            purpose=reason,
        )
        for scope in failure.newly_locked:
            if user is not None:
                # D-20: the institution's security admins and the account holder hear of it.
                notify(
                    institution_id=user.institution_id,
                    kind="security.lockout",
                    severity="warning",
                    users=[user.pk],
                    role="security_admin",
                )
            record(
                "auth.lockout",
                actor=actor,
                outcome="denied",
                resource_type="user" if scope == throttle.ACCOUNT else "client",
                resource_id=resource_id if scope == throttle.ACCOUNT else "",
                purpose=scope,
            )
    return failure.retry_after if failure.newly_locked else None


def password_step(request: HttpRequest, username: str, password: str, next_url: str | None) -> User:
    """Check the password; on success the session holds only the pre-MFA marker (AUTHN-03)."""
    scopes = guard(username)
    result = check_credentials(username, password)
    if not result.ok:
        wait = register_failure(
            scopes, action="auth.login_failed", reason=result.reason, user=result.user
        )
        if wait is not None:
            raise LockedOut(wait)
        raise InvalidCredentials(field="__all__")
    user = result.user
    assert user is not None
    # SES-01: a new session id; whatever the old session held is gone.
    request.session.flush()
    request.session[PRE_MFA] = {
        "user_id": str(user.pk),
        "at": time.time(),
        "epoch": user.session_epoch,
    }
    if next_url:
        request.session[LOGIN_NEXT] = next_url
    return user


def pending_user(request: HttpRequest) -> User | None:
    """The user between password and second factor, if that state is fresh (5 minutes)."""
    state = request.session.get(PRE_MFA)
    if not isinstance(state, dict):
        return None
    age = time.time() - float(state.get("at", 0))
    user = None
    if 0 <= age <= getattr(settings, "JIANGUAN_PRE_MFA_SECONDS", PRE_MFA_SECONDS):
        user = (
            User.objects.unscoped(reason="authentication")
            .filter(pk=state.get("user_id"), is_active=True)
            .first()
        )
    if user is None or user.session_epoch != state.get("epoch"):
        request.session.pop(PRE_MFA, None)
        return None
    return user


def second_factor_step(request: HttpRequest, user: User, code: str) -> str:
    """Check a TOTP or recovery code of the pending user; returns the method that passed."""
    scopes = guard(user.username)
    method = totp.verify_second_factor(user, code)
    if method is None:
        wait = register_failure(scopes, action="auth.login_failed", reason=BAD_OTP, user=user)
        if wait is not None:
            request.session.pop(PRE_MFA, None)
            raise LockedOut(wait)
        raise InvalidCode(field="code")
    return method


def complete_login(request: HttpRequest, user: User, method: str) -> str:
    """Both factors passed: the real session starts (new id again, SES-01). Returns where to go."""
    next_url = request.session.pop(LOGIN_NEXT, None)
    request.session.pop(PRE_MFA, None)
    login(request, user, backend=BACKEND)
    sessions.stamp(request, user)
    throttle.reset_account(user.username)
    record(
        "auth.login",
        actor=actor_of(user),
        resource_type="user",
        resource_id=str(user.pk),
        purpose=method,
    )
    if password_expired(user):
        # D-19: an expired password is changed first; the user has just authenticated fully.
        request.session[PASSWORD_EXPIRED] = True
        request.session["reauth_at"] = time.time()
        return reverse("accounts:password_change")
    return (
        next_url if isinstance(next_url, str) and next_url else reverse(settings.LOGIN_REDIRECT_URL)
    )


def password_expired(user: User) -> bool:
    max_age = (
        Institution.objects.filter(pk=user.institution_id)
        .values_list("password_max_age_days", flat=True)
        .first()
    )
    if not max_age:
        return False
    changed = user.password_changed or user.date_joined
    return bool(changed < timezone.now() - timedelta(days=max_age))


def sign_out(request: HttpRequest) -> None:
    """Logout ends every session of the user, on every device (issue 2, SES-03)."""
    user = request.user
    if user.is_authenticated:
        with transaction.atomic():
            sessions.end_all_sessions(user)
            record(
                "auth.logout",
                actor=actor_of(user),
                resource_type="user",
                resource_id=str(user.pk),
            )
    logout(request)  # flushes this session too: its id is dead server-side


# --- re-authentication (AUTHN-13, SES-05) ---------------------------------------------------


def reauthenticate(request: HttpRequest, user: User, password: str, code: str) -> None:
    scopes = guard(user.username)
    password_ok = user.check_password(password)
    code_ok = password_ok and totp.verify_user(user, code)
    if not code_ok:
        reason = BAD_OTP if password_ok else BAD_PASSWORD
        wait = register_failure(scopes, action="auth.reauth", reason=reason, user=user)
        if wait is not None:
            raise LockedOut(wait)
        raise InvalidReauth(field="__all__")
    request.session["reauth_at"] = time.time()
    record("auth.reauth", actor=actor_of(user), resource_type="user", resource_id=str(user.pk))


# --- passwords ------------------------------------------------------------------------------


def validate_new_password(password: str, user: User) -> None:
    """Raises django ValidationError with every reason (the configured validators, D-19)."""
    password_validation.validate_password(password, user)


def set_new_password(user: User, password: str) -> None:
    validate_new_password(password, user)
    user.set_password(password)
    user.password_changed = timezone.now()
    user.save(update_fields=["password", "password_changed"])


def change_password(request: HttpRequest, user: User, password: str) -> None:
    """The signed-in user's own change: every other session ends, this one continues."""
    with transaction.atomic():
        set_new_password(user, password)
        record(
            "auth.password_change",
            actor=actor_of(user),
            resource_type="user",
            resource_id=str(user.pk),
            purpose="change",
        )
        sessions.end_other_sessions(request, user)
        # AUTHN-13: the holder is told, so a change they did not make does not go unnoticed.
        notify(
            institution_id=user.institution_id,
            kind="security.password_changed",
            severity="warning",
            link="/accounts/security/",
            users=[user.pk],
        )
    update_session_auth_hash(request, user)
    request.session.pop(PASSWORD_EXPIRED, None)


# --- one-time links (AUTHN-12, D-15) --------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_one_time_link(user: User, purpose: str, hours: int = 72) -> str:
    """A new activation or reset link for `user`; returns the raw token, shown once.

    The token has 192 random bits; only its SHA-256 is stored. Earlier unused links of the same
    purpose stop working.
    """
    if purpose not in LINK_PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    token = secrets.token_urlsafe(24)
    now = timezone.now()
    with transaction.atomic():
        OneTimeLink.objects.filter(
            user=user, purpose=purpose, used_at__isnull=True, expires__gt=now
        ).update(expires=now)
        OneTimeLink.objects.create(
            user=user,
            purpose=purpose,
            token_hash=_token_hash(token),
            expires=now + timedelta(hours=hours),
        )
    return token


def one_time_link_path(token: str) -> str:
    return reverse("accounts:activate_token", kwargs={"token": token})


def _usable_links() -> QuerySet[OneTimeLink]:
    return OneTimeLink.objects.filter(
        used_at__isnull=True, expires__gt=timezone.now(), user__is_active=True
    ).select_related("user")


def exchange_link_token(request: HttpRequest, token: str) -> OneTimeLink:
    """First request of a link: the token becomes a value in a fresh session (D-15)."""
    link = _usable_links().filter(token_hash=_token_hash(token)).first()
    if link is None:
        raise LinkInvalid
    request.session.flush()
    request.session[LINK_SESSION] = {"id": str(link.pk), "at": time.time()}
    return link


def link_in_session(request: HttpRequest) -> OneTimeLink | None:
    state = request.session.get(LINK_SESSION)
    if not isinstance(state, dict):
        return None
    if time.time() - float(state.get("at", 0)) > LINK_FLOW_SECONDS:
        request.session.pop(LINK_SESSION, None)
        return None
    try:
        link_id = uuid.UUID(str(state.get("id")))
    except ValueError:
        return None
    return _usable_links().filter(pk=link_id).first()


def complete_link(request: HttpRequest, link: OneTimeLink, password: str) -> User:
    """Set the password through the link, once; the second factor still follows (AUTHN-12)."""
    user = User.objects.unscoped(reason="one-time link").get(pk=link.user_id)
    with transaction.atomic():
        validate_new_password(password, user)
        claimed = OneTimeLink.objects.filter(
            pk=link.pk, used_at__isnull=True, expires__gt=timezone.now()
        ).update(used_at=timezone.now())
        if not claimed:
            raise LinkInvalid
        set_new_password(user, password)
        if link.purpose == "reset":
            sessions.end_all_sessions(user)
        record(
            "auth.password_change",
            actor=actor_of(user),
            resource_type="user",
            resource_id=str(user.pk),
            purpose=link.purpose,
        )
    request.session.flush()
    request.session[PRE_MFA] = {
        "user_id": str(user.pk),
        "at": time.time(),
        "epoch": user.session_epoch,
    }
    return user


# --- TOTP enrolment -------------------------------------------------------------------------


def confirm_enrolment(
    user: User,
    device: TotpDevice,
    code: str,
    *,
    action: str = "auth.mfa_enrol",
    failure_action: str = "auth.login_failed",
) -> list[str]:
    """The first correct code confirms the device; returns ten new recovery codes, shown once."""
    scopes = guard(user.username)
    if not totp.confirm_enrolment(device, code):
        wait = register_failure(scopes, action=failure_action, reason=BAD_OTP, user=user)
        if wait is not None:
            raise LockedOut(wait)
        raise InvalidCode(field="code")
    with transaction.atomic():
        codes = totp.generate_recovery_codes(user)
        record(action, actor=actor_of(user), resource_type="user", resource_id=str(user.pk))
    return codes


def regenerate_recovery_codes(user: User) -> list[str]:
    with transaction.atomic():
        codes = totp.generate_recovery_codes(user)
        record(
            "auth.recovery_codes",
            actor=actor_of(user),
            resource_type="user",
            resource_id=str(user.pk),
        )
    return codes


def end_other_sessions(request: HttpRequest, user: User) -> None:
    with transaction.atomic():
        sessions.end_other_sessions(request, user)
        record(
            "auth.logout",
            actor=actor_of(user),
            resource_type="user",
            resource_id=str(user.pk),
            purpose="other_sessions",
        )
