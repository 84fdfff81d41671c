"""Sign-in, second factor, enrolment, re-authentication, sign-out, own security page, activation.

Views parse the form, call `accounts.services.auth` and render; every rule lives in the services.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..decorators import reauth_required, staff_view
from ..forms.auth import (
    EnrolForm,
    LoginForm,
    NewPasswordForm,
    ReauthForm,
    ReEnrolForm,
    SecondFactorForm,
)
from ..models import TotpDevice, User
from ..services import auth, totp


def _locked(
    request: HttpRequest, template: str, context: dict[str, Any], exc: auth.LockedOut
) -> HttpResponse:
    """AUTHN-10: 429 with Retry-After in seconds and the same clear message for everyone."""
    response = render(request, template, {**context, "locked": exc.message}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


def _login_again() -> HttpResponse:
    return redirect(reverse("accounts:login") + "?expired=1")


def _enrolment_context(user: User, device: TotpDevice) -> dict[str, Any]:
    seed = bytes(device.seed)
    uri = totp.otpauth_uri(user.username, seed)
    return {
        "qr_svg": totp.qr_svg(uri, _("用认证器扫描此二维码")),
        "secret": totp.base32_secret(seed),
        "otpauth_uri": uri,
    }


# --- sign-in --------------------------------------------------------------------------------


def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("web:dashboard")
    context: dict[str, Any] = {"expired": request.GET.get("expired") == "1"}
    if request.method == "POST":
        form = LoginForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            next_url = auth.safe_next(request, data["next"])
            try:
                user = auth.password_step(request, data["username"], data["password"], next_url)
            except auth.LockedOut as exc:
                return _locked(request, "accounts/login.html", {"form": form}, exc)
            except auth.InvalidCredentials as exc:
                form.add_error(None, str(exc.message))
            else:
                if totp.has_confirmed_device(user):
                    return redirect("accounts:mfa")
                return redirect("accounts:enrol")
    else:
        form = LoginForm(initial={"next": request.GET.get("next", "")})
    return render(request, "accounts/login.html", {**context, "form": form})


def mfa_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("web:dashboard")
    user = auth.pending_user(request)
    if user is None:
        return _login_again()
    if not totp.has_confirmed_device(user):
        return redirect("accounts:enrol")
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            method = auth.second_factor_step(request, user, form.cleaned_data["code"])
        except auth.LockedOut as exc:
            return _locked(request, "accounts/mfa.html", {"form": form}, exc)
        except auth.InvalidCode as exc:
            form.add_error("code", str(exc.message))
        else:
            return redirect(auth.complete_login(request, user, method))
    return render(request, "accounts/mfa.html", {"form": form})


def enrol_view(request: HttpRequest) -> HttpResponse:
    """First sign-in of an account (or after an MFA reset): enrol TOTP, then sign in."""
    if request.user.is_authenticated:
        return redirect("accounts:security_mfa")
    user = auth.pending_user(request)
    if user is None:
        return _login_again()
    if totp.has_confirmed_device(user):
        return redirect("accounts:mfa")
    device = totp.pending_or_new(user)
    form = EnrolForm(request.POST or None)
    context = {"form": form, "first_login": True, **_enrolment_context(user, device)}
    if request.method == "POST" and form.is_valid():
        try:
            codes = auth.confirm_enrolment(user, device, form.cleaned_data["code"])
        except auth.LockedOut as exc:
            request.session.pop(auth.PRE_MFA, None)
            return _locked(request, "accounts/enrol.html", context, exc)
        except auth.InvalidCode as exc:
            form.add_error("code", str(exc.message))
        else:
            next_url = auth.complete_login(request, user, "totp")
            return render(
                request, "accounts/recovery_codes.html", {"codes": codes, "next_url": next_url}
            )
    return render(request, "accounts/enrol.html", context)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    auth.sign_out(request)
    return redirect("accounts:login")


@staff_view()
def reauth_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    candidate = request.POST.get("next") if request.method == "POST" else request.GET.get("next")
    next_url = auth.safe_next(request, candidate) or reverse("accounts:security")
    form = ReauthForm(request.POST or None)
    context = {"form": form, "next_url": next_url}
    if request.method == "POST" and form.is_valid():
        try:
            auth.reauthenticate(
                request, user, form.cleaned_data["password"], form.cleaned_data["code"]
            )
        except auth.LockedOut as exc:
            return _locked(request, "accounts/reauth.html", context, exc)
        except auth.InvalidReauth as exc:
            form.add_error(None, str(exc.message))
        else:
            return redirect(next_url)
    return render(request, "accounts/reauth.html", context)


# --- own security page (AUTHN-13) -----------------------------------------------------------


@staff_view()
def security_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    device = totp.confirmed_device(user)
    return render(
        request,
        "accounts/security.html",
        {
            "device": device,
            "recovery_left": totp.remaining_recovery_codes(user),
        },
    )


@staff_view()
@reauth_required
def password_change_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = NewPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        auth.change_password(request, user, form.cleaned_data["password1"])
        messages.success(request, _("密码已修改。您在其他设备上的会话已全部结束。"))
        return redirect("accounts:security")
    return render(
        request,
        "accounts/password_change.html",
        {"form": form, "expired": bool(request.session.get(auth.PASSWORD_EXPIRED))},
    )


@staff_view()
@reauth_required
def security_mfa_view(request: HttpRequest) -> HttpResponse:
    """Re-enrol TOTP: a new seed; the old device works until the new one is confirmed."""
    user: User = request.user  # type: ignore[assignment]
    device = totp.pending_or_new(user)
    form = ReEnrolForm(request.POST or None)
    context = {"form": form, "first_login": False, **_enrolment_context(user, device)}
    if request.method == "POST" and form.is_valid():
        try:
            codes = auth.confirm_enrolment(
                user,
                device,
                form.cleaned_data["code"],
                action="auth.mfa_reset",
                failure_action="auth.mfa_reset",
            )
        except auth.LockedOut as exc:
            return _locked(request, "accounts/enrol.html", context, exc)
        except auth.InvalidCode as exc:
            form.add_error("code", str(exc.message))
        else:
            if form.cleaned_data["end_other_sessions"]:
                auth.end_other_sessions(request, user)
            return render(
                request,
                "accounts/recovery_codes.html",
                {"codes": codes, "next_url": reverse("accounts:security")},
            )
    return render(request, "accounts/enrol.html", context)


@staff_view()
@reauth_required
def recovery_codes_view(request: HttpRequest) -> HttpResponse:
    """GET asks for confirmation; POST replaces every recovery code and shows the new ones once."""
    user: User = request.user  # type: ignore[assignment]
    if request.method == "POST":
        codes = auth.regenerate_recovery_codes(user)
        return render(
            request,
            "accounts/recovery_codes.html",
            {"codes": codes, "next_url": reverse("accounts:security")},
        )
    return render(request, "accounts/recovery_codes.html", {"codes": None})


@staff_view()
@require_POST
def end_sessions_view(request: HttpRequest) -> HttpResponse:
    auth.end_other_sessions(request, request.user)  # type: ignore[arg-type]
    messages.success(request, _("您在其他设备上的会话已全部结束。"))
    return redirect("accounts:security")


# --- activation and password reset links (AUTHN-12, D-15) -----------------------------------


def _no_referrer(response: HttpResponse) -> HttpResponse:
    response["Referrer-Policy"] = "no-referrer"
    return response


def _link_invalid(request: HttpRequest) -> HttpResponse:
    return _no_referrer(render(request, "accounts/activate.html", {"invalid": True}, status=404))


def activate_view(request: HttpRequest, token: str = "") -> HttpResponse:
    if token:
        # The token leaves the URL at once: it is exchanged for a value in a fresh session.
        try:
            auth.exchange_link_token(request, token)
        except auth.LinkInvalid:
            return _link_invalid(request)
        return _no_referrer(redirect("accounts:activate"))
    link = auth.link_in_session(request)
    if link is None:
        return _link_invalid(request)
    form = NewPasswordForm(link.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = auth.complete_link(request, link, form.cleaned_data["password1"])
        except auth.LinkInvalid:
            return _link_invalid(request)
        # AUTHN-12: a new password never skips the second factor.
        target = "accounts:mfa" if totp.has_confirmed_device(user) else "accounts:enrol"
        return _no_referrer(redirect(target))
    return _no_referrer(
        render(request, "accounts/activate.html", {"form": form, "purpose": link.purpose})
    )
