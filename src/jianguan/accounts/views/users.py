"""Institution admin: users, roles, teams."""

from django.http import HttpRequest, HttpResponse

from ..decorators import staff_view


@staff_view("accounts.user.view")
def user_list(request: HttpRequest) -> HttpResponse:
    return HttpResponse("TODO")
