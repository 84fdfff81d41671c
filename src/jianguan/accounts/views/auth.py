"""Sign-in, second factor, enrolment, re-authentication, sign-out, own security page."""

from django.http import HttpRequest, HttpResponse

from ..decorators import staff_view


def login_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("TODO")


def mfa_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("TODO")


def enrol_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("TODO")


def reauth_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("TODO")


def logout_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("TODO")


@staff_view()
def security_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("TODO")


def activate_view(request: HttpRequest, token: str = "") -> HttpResponse:
    return HttpResponse("TODO")
