"""Placeholder: replaced by the authentication work."""
from django.http import HttpRequest, HttpResponse

from .decorators import staff_view


def login_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("login")


def logout_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("logout")


@staff_view()
def security_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("security")


@staff_view("accounts.user.view")
def user_list(request: HttpRequest) -> HttpResponse:
    return HttpResponse("users")
