"""Request id and client address for every request; security headers on every response."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from . import context

# D-27: no inline script, no eval, nothing from another host.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'; object-src 'none'"
)


def client_address(request: HttpRequest) -> str:
    """The peer address; X-Forwarded-For only from proxies listed in JIANGUAN_TRUSTED_PROXIES."""
    remote = str(request.META.get("REMOTE_ADDR", ""))
    trusted = getattr(settings, "JIANGUAN_TRUSTED_PROXIES", ())
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if remote in trusted and forwarded:
        return str(forwarded).split(",")[-1].strip()
    return remote


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        ctx = context.RequestContext(client_address=client_address(request))
        request.request_id = ctx.request_id  # type: ignore[attr-defined]
        token = context.begin(ctx)
        try:
            response = self.get_response(request)
        finally:
            context.end(token)
        response["X-Request-ID"] = ctx.request_id
        return response


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CSP)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or request.session.get("pre_mfa"):
            # TR-06: nothing from an authenticated page stays in a cache.
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        if "Server" in response:
            del response["Server"]
        return response
