"""`staff_view(capability)`: the one permission check for staff pages.

Anonymous → login (HTMX: 401 with HX-Redirect, D-18). A capability the user's roles lack → 404
with the same body as a missing page, and the denial is audited with its reason (D-13).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from .actors import actor_for

CAPABILITY_VIEWS: dict[str, list[Callable[..., Any]]] = {}

View = Callable[..., HttpResponse]


def login_redirect(request: HttpRequest) -> HttpResponse:
    url = reverse(settings.LOGIN_URL)
    if request.method == "GET" and request.path != "/":
        # Back to the page asked for after sign-in; only the path, never a query (D-15).
        from urllib.parse import urlencode

        url += "?" + urlencode({"next": request.path})
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=401)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def staff_view(capability: str | None = None) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return login_redirect(request)
            if capability is not None:
                actor = actor_for(request)
                if not actor.can(capability):
                    from jianguan.audit.ledger import record

                    record(
                        "access.denied",
                        actor=actor,
                        outcome="denied",
                        resource_type="view",
                        resource_id=request.resolver_match.view_name
                        if request.resolver_match
                        else "",
                        purpose=f"missing capability {capability}",
                        defer=True,
                    )
                    raise Http404
            return view(request, *args, **kwargs)

        wrapper.capability = capability  # type: ignore[attr-defined]
        if capability is not None:
            CAPABILITY_VIEWS.setdefault(capability, []).append(wrapper)
        return wrapper

    return decorate


def reauth_required(view: View) -> View:
    """Password/MFA changes and exports need a fresh password + TOTP check (AUTHN-13, SES-05)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        import time
        from urllib.parse import urlencode

        at = request.session.get("reauth_at")
        if at is None or time.time() - float(at) > settings.JIANGUAN_REAUTH_SECONDS:
            url = reverse("accounts:reauth") + "?" + urlencode({"next": request.get_full_path()})
            if request.headers.get("HX-Request"):
                response = HttpResponse(status=401)
                response["HX-Redirect"] = url
                return response
            return redirect(url)
        return view(request, *args, **kwargs)

    return wrapper
