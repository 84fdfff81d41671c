"""Failure counters and lockout per account and per client address (AUTHN-10).

The account key is an HMAC of the normalised username, so a username that does not exist is
throttled exactly like one that does, and is never stored. Counters change inside a transaction
on a locked row (`select_for_update`; on SQLite the IMMEDIATE transaction holds the write lock),
so concurrent failures are all counted.
"""

from __future__ import annotations

import logging
import math
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from ..models import LoginThrottle

log = logging.getLogger("jianguan.security")

ACCOUNT = "account"
ADDRESS = "address"


def normalise_username(username: str) -> str:
    return unicodedata.normalize("NFKC", username).strip().casefold()


def account_key(username: str) -> str:
    digest = salted_hmac(
        "jianguan.accounts.throttle", normalise_username(username), algorithm="sha256"
    ).hexdigest()
    return f"user:{digest}"


def address_key(address: str) -> str:
    return f"ip:{address or 'unknown'}"


@dataclass(frozen=True)
class Scope:
    """One counter: its kind (account or address), key and failure threshold."""

    kind: str
    key: str

    @property
    def threshold(self) -> int:
        if self.kind == ACCOUNT:
            return int(settings.JIANGUAN_LOCKOUT_ACCOUNT_FAILURES)
        return int(settings.JIANGUAN_LOCKOUT_IP_FAILURES)


def scopes(username: str, address: str) -> list[Scope]:
    return [Scope(ACCOUNT, account_key(username)), Scope(ADDRESS, address_key(address))]


@dataclass(frozen=True)
class Failure:
    """What one failure did: the scopes it locked just now, and the longest wait, if locked."""

    newly_locked: list[str]
    retry_after: int | None


def _seconds_until(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


def retry_after(checked: list[Scope], now: datetime | None = None) -> int | None:
    """Seconds until every locked scope opens again, or None when none is locked."""
    now = now or timezone.now()
    rows = LoginThrottle.objects.filter(
        key__in=[s.key for s in checked], locked_until__gt=now
    ).values_list("locked_until", flat=True)
    waits = [_seconds_until(until, now) for until in rows if until is not None]
    return max(waits) if waits else None


def _locked_row(key: str) -> LoginThrottle:
    try:
        with transaction.atomic():
            row, _ = LoginThrottle.objects.select_for_update().get_or_create(key=key)
    except IntegrityError:  # created concurrently by another request
        row = LoginThrottle.objects.select_for_update().get(key=key)
    return row


def register_failure(checked: list[Scope], now: datetime | None = None) -> Failure:
    """Count one failure in each scope; lock a scope that reaches its threshold."""
    now = now or timezone.now()
    window = timedelta(seconds=settings.JIANGUAN_LOCKOUT_WINDOW_SECONDS)
    cooloff = timedelta(seconds=settings.JIANGUAN_LOCKOUT_COOLOFF_SECONDS)
    newly_locked: list[str] = []
    waits: list[int] = []
    with transaction.atomic():
        for scope in checked:
            row = _locked_row(scope.key)
            if row.locked_until is not None and row.locked_until > now:
                waits.append(_seconds_until(row.locked_until, now))
                continue
            if row.locked_until is not None or row.window_start < now - window:
                # A cool-off that ended or a window that passed starts a fresh count.
                row.failures = 0
                row.window_start = now
                row.locked_until = None
            row.failures += 1
            if row.failures >= scope.threshold:
                row.locked_until = now + cooloff
                newly_locked.append(scope.kind)
                waits.append(_seconds_until(row.locked_until, now))
                # OWASP logging vocabulary: authn_login_lock (AUTHN-10); ids only, no username.
                log.warning("authn_login_lock scope=%s", scope.kind)
            row.save(update_fields=["failures", "window_start", "locked_until"])
    return Failure(newly_locked, max(waits) if waits else None)


def reset_account(username: str) -> None:
    """A success clears the account's counter; the address counter keeps counting (AUTHN-10)."""
    LoginThrottle.objects.filter(key=account_key(username)).delete()
