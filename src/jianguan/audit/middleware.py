"""Flush the request's deferred audit entries (reads, denials) once the response is decided.

They are appended together in their own short transaction (D-07, D-08), also when the view
raised. If that append fails the request fails too: data is not handed out unaudited.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import ledger


class AuditFlushMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with ledger.buffered():
            return self.get_response(request)
