"""What the record's views share: capabilities, the audited 404 (D-13), the read entry of a
page (D-07), and how decrypted values are shown (erased values as their tombstone, LG-09)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from django.forms import Form
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext

from jianguan.audit.ledger import record
from jianguan.core.actors import Actor
from jianguan.core.errors import JianguanError
from jianguan.core.fields import Shredded

from .. import selectors
from ..models import Customer

IDENTITY = "records.identity.view"
CLINICAL = "records.clinical.view"
EDIT = "records.clinical.edit"
CONCLUDE = "records.visit.conclude"  # the chief physician signs the conclusions (总检)
REVEAL = "records.identity.reveal"
ENROL = "records.customer.enrol"
CARD = "records.card.manage"
MERGE = "records.customer.merge"
ASSIGN = "records.customer.assign"


def deny(
    actor: Actor,
    resource_type: str,
    resource_id: Any,
    reason: str,
    customer_id: uuid.UUID | None = None,
) -> Http404:
    record(
        "access.denied",
        actor=actor,
        outcome="denied",
        resource_type=resource_type,
        resource_id=str(resource_id)[:200],
        customer_id=customer_id,
        purpose=reason,
        defer=True,
    )
    return Http404()


def customer_or_404(actor: Actor, customer_id: Any, capability: str) -> Customer:
    customer = selectors.customer_for(actor, customer_id, capability)
    if customer is None:
        try:
            elsewhere = selectors.customer_exists_elsewhere(actor, uuid.UUID(str(customer_id)))
        except ValueError:
            elsewhere = False
        raise deny(
            actor, "customer", customer_id, "other institution" if elsewhere else "not found"
        )
    return customer


def row_or_404(
    actor: Actor, customer: Customer, model: Any, row_id: uuid.UUID, *, kind: str = ""
) -> Any:
    row = selectors.record_row(actor, model, customer, row_id, EDIT, kind=kind)
    if row is None:
        raise deny(actor, model.__name__, row_id, "not in this record", customer.pk)
    return row


def audit_view(actor: Actor, customer: Customer, resource_type: str) -> None:
    record(
        "customer.view",
        actor=actor,
        resource_type=resource_type,
        resource_id=str(customer.pk),
        customer_id=customer.pk,
        defer=True,
    )


def show_error(form: Form, error: JianguanError) -> None:
    """The service's error next to the field it names, or above the form."""
    name = error.field if error.field in form.fields else None
    form.add_error(name, str(error.message))


def as_text(value: Any) -> str:
    """A decrypted value for display: erased values read as the tombstone (LG-09)."""
    if value is None or value == "":
        return ""
    if isinstance(value, Shredded):
        return str(value)
    if isinstance(value, bool):
        return gettext("是") if value else gettext("否")
    if isinstance(value, dt.datetime):
        return formats.date_format(timezone.localtime(value), "Y-m-d H:i")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def as_label(labels: Mapping[str, Any], code: Any) -> str:
    if code is None or code == "" or isinstance(code, Shredded):
        return as_text(code)
    return str(labels.get(str(code), code))


def as_term(value: Any) -> str:
    """A value stored as its Chinese term (marital status, ethnicity, …), shown translated."""
    return gettext(value) if isinstance(value, str) and value else as_text(value)


def as_number(value: Any, decimals: int | None = None) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return as_text(value)
    if decimals is not None:
        return f"{value:.{decimals}f}"
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def age_of(customer: Customer) -> int | None:
    born = customer.birth_date
    today = timezone.localdate()
    if isinstance(born, dt.date):
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return today.year - customer.birth_year if customer.birth_year else None


def tab_url(customer: Customer, tab: str, **params: int) -> str:
    query = urlencode({"tab": tab, **params})
    return reverse("records:customer", kwargs={"customer_id": customer.pk}) + "?" + query


def page_number(request: HttpRequest, name: str = "page") -> int:
    try:
        return max(1, int(request.GET.get(name, "1")))
    except ValueError:
        return 1


def is_htmx(request: HttpRequest) -> bool:
    return bool(request.headers.get("HX-Request"))
