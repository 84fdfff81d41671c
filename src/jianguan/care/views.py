"""健康建议: the advice tab of the 360° page (registered in apps.py) and its two actions —
draft a plan by rule, and save (edit, keep or drop items; approve). Views parse and authorise;
care.services writes."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext

from jianguan.accounts.actors import actor_for
from jianguan.accounts.decorators import staff_view
from jianguan.core.actors import Actor
from jianguan.records.errors import InvalidValue
from jianguan.records.models import Customer
from jianguan.records.views.common import customer_or_404, deny, tab_url
from jianguan.risk.services import assessment

from . import services
from .models import AdvicePlan

CLINICAL = "records.clinical.view"


def _lang_en() -> bool:
    return (translation.get_language() or "").startswith("en")


def advice_tab(request: HttpRequest, actor: Actor, customer: Customer) -> dict[str, Any]:
    plan = services.current_plan(actor, customer)
    return {
        "plan": plan,
        "plan_items": services.items_of(actor, plan) if plan is not None else [],
        "can_approve": actor.can(services.APPROVE),
    }


@staff_view(services.APPROVE)
def advice_draft(request: HttpRequest, customer_id: uuid.UUID) -> HttpResponse:
    actor = actor_for(request)
    customer = customer_or_404(actor, customer_id, services.APPROVE)
    if request.method != "POST":
        return redirect(tab_url(customer, "advice"))
    try:
        services.draft(
            actor, customer, assessment.assess(actor, customer).advice, lang_en=_lang_en()
        )
    except InvalidValue as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, gettext("已按规则生成建议草稿，请逐条审核。"))
    return redirect(tab_url(customer, "advice"))


@staff_view(services.APPROVE)
def advice_save(request: HttpRequest, customer_id: uuid.UUID, plan_id: uuid.UUID) -> HttpResponse:
    actor = actor_for(request)
    customer = customer_or_404(actor, customer_id, services.APPROVE)
    plan = (
        AdvicePlan.objects.for_actor(actor, CLINICAL).filter(customer=customer, pk=plan_id).first()
    )
    if plan is None:
        raise deny(actor, "AdvicePlan", plan_id, "not in this record", customer.pk)
    if request.method != "POST":
        return redirect(tab_url(customer, "advice"))
    edits: dict[str, tuple[str, bool]] = {}
    for key in request.POST:
        if key.startswith("item-") and key.endswith("-text"):
            item_id = key[len("item-") : -len("-text")]
            included = request.POST.get(f"item-{item_id}-included") == "on"
            edits[item_id] = (request.POST.get(key, ""), included)
    approve = request.POST.get("action") == "approve"
    try:
        services.save(actor, plan, edits, approve=approve)
    except InvalidValue as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, gettext("已审核通过。") if approve else gettext("已保存。"))
    return redirect(tab_url(customer, "advice"))
