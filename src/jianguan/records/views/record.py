"""The customer 360° page: the header and the tab the request names.

A customer or row outside the actor's institution is a 404 with the same body as a missing one,
and the denial is audited with its reason (D-13). Every view of the page writes one read entry
for the customer naming the tab (D-07); the front desk (identity without clinical data) gets
basic info, cards and the history of those — the clinical tabs are absent and answer 404.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from jianguan.accounts.actors import actor_for
from jianguan.accounts.decorators import staff_view
from jianguan.core.actors import Actor

from .. import identifiers as ids
from .. import selectors
from ..forms.choices import CARD_LEVEL_LABELS, SEX_LABELS, id_type_label
from ..models import Customer
from .common import (
    EDIT,
    IDENTITY,
    REVEAL,
    age_of,
    as_label,
    as_text,
    audit_view,
    customer_or_404,
    deny,
    tab_url,
)
from .tabs import BODY_TARGET, BUILDERS, TAB_BY_CODE, TABS


def _header(actor: Actor, customer: Customer) -> dict[str, Any]:
    facts = selectors.header_facts(actor, customer)
    ident = facts.identifier
    ident_value = ident.value if ident is not None and isinstance(ident.value, str) else ""
    mobile = customer.mobile if isinstance(customer.mobile, str) else ""
    return {
        "name": as_text(customer.name),
        "sex": as_label(SEX_LABELS, customer.sex),
        "age": age_of(customer),
        "id_type": id_type_label(ident.type) if ident is not None else "",
        "id_masked": ids.mask_identifier(ident_value) if ident_value else "",
        "mobile_masked": ids.mask_mobile(mobile) if mobile else "",
        "card": facts.card,
        "card_level": as_label(CARD_LEVEL_LABELS, facts.card.level) if facts.card else "",
        "manager": facts.manager_label,
        "facts": facts,
        "can_reveal": actor.can(REVEAL),
    }


@staff_view(IDENTITY)
def customer_360(request: HttpRequest, customer_id: uuid.UUID) -> HttpResponse:
    actor = actor_for(request)
    customer = selectors.customer_for(actor, customer_id, IDENTITY)
    if customer is None:
        merged = selectors.merged_into(actor, customer_id)
        if merged is not None:  # an old link to a merged duplicate: go to the kept record
            messages.info(request, gettext("该客户档案已合并，以下是保留的档案。"))
            return redirect("records:customer", customer_id=merged)
        customer = customer_or_404(actor, customer_id, IDENTITY)  # audits the denial
    code = request.GET.get("tab") or "basic"
    tab = TAB_BY_CODE.get(code)
    if tab is None or not actor.can(tab.capability):
        raise deny(actor, "customer", customer.pk, f"tab not allowed: {code[:40]}", customer.pk)
    context: dict[str, Any] = {
        "customer": customer,
        "tab": tab,
        "tabs": [
            {"code": t.code, "label": t.label, "url": tab_url(customer, t.code)}
            for t in TABS
            if actor.can(t.capability)
        ],
        "can_edit": actor.can(EDIT),
        **BUILDERS[tab.code](request, actor, customer),
    }
    audit_view(actor, customer, f"customer.{tab.code}")
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == BODY_TARGET:
        return render(request, "records/_c360_body.html", context)
    context["header"] = _header(actor, customer)
    return render(request, "records/customer_360.html", context)
