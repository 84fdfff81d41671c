"""Server-side session policy on every request (SES-01..03, D-18).

A signed-in session ends when it has been idle too long, when it is older than the absolute
lifetime, when the user's session epoch was raised (logout elsewhere, disablement, "end my other
sessions"), when the user is disabled, or when it never passed the second factor. The session is
then flushed, `session.use_after_expire` is audited, and the answer depends on the caller:
`/api/` gets 401 JSON, htmx gets 401 with `HX-Redirect`, a page is redirected to the login.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from jianguan.audit.ledger import record

from .models import User
from .services.auth import PASSWORD_EXPIRED, actor_of

LAST_SEEN_RESOLUTION = 60  # seconds: at most one session write per minute for `last_seen`

IDLE = "idle"
ABSOLUTE = "absolute"
EPOCH = "epoch"
SIGNED_OUT = "signed_out"
NO_MFA = "no_mfa"


def session_problem(request: HttpRequest, now: float) -> str | None:
    """Why the signed-in session of this request may not continue, or None."""
    session = request.session
    user = request.user
    if not user.is_authenticated or not user.is_active:
        return SIGNED_OUT
    if session.get("mfa_at") is None:
        return NO_MFA  # AUTHN-03: no signed-in session without the second factor
    try:
        auth_at = float(session["auth_at"])
        last_seen = float(session["last_seen"])
    except (KeyError, TypeError, ValueError):
        return NO_MFA
    if now - auth_at > settings.JIANGUAN_SESSION_ABSOLUTE_SECONDS:
        return ABSOLUTE
    if now - last_seen > settings.JIANGUAN_SESSION_IDLE_SECONDS:
        return IDLE
    if session.get("epoch") != user.session_epoch:
        return EPOCH
    return None


def expired_response(request: HttpRequest) -> HttpResponse:
    login_url = reverse(settings.LOGIN_URL) + "?expired=1"
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "session_expired", "message": _("会话已过期，请重新登录。")}, status=401
        )
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=401)
        response["HX-Redirect"] = login_url
        return response
    return redirect(login_url)


class SessionPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session_user_id = request.session.get(SESSION_KEY)
        if session_user_id is not None:
            now = time.time()
            problem = session_problem(request, now)
            if problem is not None:
                return self._expire(request, session_user_id, problem)
            if now - float(request.session["last_seen"]) >= LAST_SEEN_RESOLUTION:
                request.session["last_seen"] = now
            if request.session.get(PASSWORD_EXPIRED) and not self._allowed_while_expired(request):
                return self._to_password_change(request)
        return self.get_response(request)

    def _expire(self, request: HttpRequest, user_id: object, problem: str) -> HttpResponse:
        target: User | None = (
            request.user
            if request.user.is_authenticated
            else User.objects.unscoped(reason="session audit").filter(pk=user_id).first()
        )
        # Appended at once: this answer never reaches the audit flush middleware.
        record(
            "session.use_after_expire",
            actor=actor_of(target) if target is not None else None,
            outcome="denied",
            resource_type="user",
            resource_id=str(user_id),
            purpose=problem,
        )
        request.session.flush()
        request.user = AnonymousUser()
        return expired_response(request)

    @staticmethod
    def _allowed_while_expired(request: HttpRequest) -> bool:
        allowed = {
            reverse("accounts:password_change"),
            reverse("accounts:logout"),
            reverse("accounts:reauth"),
            reverse("set_language"),
        }
        return request.path in allowed or request.path.startswith(
            (settings.STATIC_URL or "/static/", "/api/")
        )

    @staticmethod
    def _to_password_change(request: HttpRequest) -> HttpResponse:
        url = reverse("accounts:password_change")
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=401)
            response["HX-Redirect"] = url
            return response
        return redirect(url)
