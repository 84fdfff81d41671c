"""Per-request facts (request id, client address) that the audit ledger and error pages need."""

from __future__ import annotations

import contextvars
import secrets
from dataclasses import dataclass, field


@dataclass
class RequestContext:
    request_id: str = field(default_factory=lambda: secrets.token_hex(8))
    client_address: str = ""


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "jianguan_request", default=None
)


def current() -> RequestContext:
    ctx = _current.get()
    return ctx if ctx is not None else RequestContext()


def begin(ctx: RequestContext) -> contextvars.Token[RequestContext | None]:
    return _current.set(ctx)


def end(token: contextvars.Token[RequestContext | None]) -> None:
    _current.reset(token)
