"""Placeholder: replaced by the ledger work."""
from django.http import HttpRequest, HttpResponse

from jianguan.accounts.decorators import staff_view


@staff_view("audit.ledger.view")
def entry_list(request: HttpRequest) -> HttpResponse:
    return HttpResponse("audit")
