"""Drafting, editing and approving advice plans. Every change is versioned in the record
history and audited as one entry per customer (records.services.history, D-07, D-09)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jianguan.audit.ledger import one_entry_per_customer
from jianguan.clinical.advice import Advice
from jianguan.core import notify
from jianguan.core.actors import Actor
from jianguan.records.errors import InvalidValue
from jianguan.records.models import Customer
from jianguan.records.services import history

from .models import AdviceItem, AdvicePlan

CLINICAL = "records.clinical.view"
APPROVE = "care.advice.approve"
TEXT_MAX = 1000


def current_plan(actor: Actor, customer: Customer) -> AdvicePlan | None:
    """The draft if there is one, else the latest approved plan."""
    plans = AdvicePlan.objects.for_actor(actor, CLINICAL).filter(customer=customer)
    plan: AdvicePlan | None = (
        plans.filter(status="draft").order_by("-created").first()
        or plans.filter(status="approved").order_by("-approved_at").first()
    )
    return plan


def items_of(actor: Actor, plan: AdvicePlan) -> list[AdviceItem]:
    return list(
        AdviceItem.objects.for_actor(actor, CLINICAL)
        .filter(plan=plan)
        .order_by("position", "created")
    )


def draft(
    actor: Actor, customer: Customer, advice: list[Advice], *, lang_en: bool = False
) -> AdvicePlan:
    """A new draft from the rules' advice; an older draft is replaced (kept in the history). An
    urgent item alerts the customer's health manager (or every health manager if none)."""
    if not actor.can(APPROVE):
        raise InvalidValue(_("无权生成健康建议"), code="not_allowed")
    if not advice:
        raise InvalidValue(_("没有可生成的建议"), code="no_advice")
    with one_entry_per_customer("care.advice.draft"):
        for old in AdvicePlan.objects.for_actor(actor, CLINICAL).filter(
            customer=customer, status="draft"
        ):
            history.update(actor, old, {"status": "replaced"})
        plan = AdvicePlan(institution_id=customer.institution_id, customer_id=customer.pk)
        history.save_new(actor, plan, action="care.advice.draft")
        for position, item in enumerate(advice):
            history.save_new(
                actor,
                AdviceItem(
                    institution_id=customer.institution_id,
                    customer_id=customer.pk,
                    plan=plan,
                    rule_id=item.rule_id,
                    domain=item.domain,
                    priority=item.priority,
                    text=item.text_en if lang_en else item.text_zh,
                    because=item.because_en if lang_en else item.because_zh,
                    source=item.source[:200],
                    position=position,
                ),
                action="care.advice.draft",
            )
        if any(item.urgent for item in advice):
            link = reverse("records:customer", args=[customer.pk]) + "?tab=advice"
            notify.notify(
                institution_id=customer.institution_id,
                kind="clinical.alert",
                severity="urgent",
                link=link,
                users=[customer.manager_id] if customer.manager_id else (),
                role=None if customer.manager_id else "health_manager",
            )
    return plan


def _plan_items(actor: Actor, plan: AdvicePlan) -> dict[str, AdviceItem]:
    return {str(i.pk): i for i in items_of(actor, plan)}


def save(
    actor: Actor, plan: AdvicePlan, edits: Mapping[str, tuple[str, bool]], *, approve: bool = False
) -> bool:
    """Apply edits (item id → (text, included)) to a draft and, if asked, approve it."""
    if not actor.can(APPROVE):
        raise InvalidValue(_("无权修改健康建议"), code="not_allowed")
    if plan.status != "draft":
        raise InvalidValue(_("只能修改草稿；请先生成新草稿"), code="not_draft")
    items = _plan_items(actor, plan)
    unknown = [key for key in edits if key not in items]
    if unknown:
        raise InvalidValue(_("建议条目不属于此方案"), code="unknown_item")
    changed = False
    with one_entry_per_customer("care.advice.update"):
        for key, (text, included) in edits.items():
            text = " ".join((text or "").split()) if included else (text or "").strip()
            if included and not text:
                raise InvalidValue(_("保留的建议不能为空"), field=f"item-{key}-text", code="empty")
            if len(text) > TEXT_MAX:
                raise InvalidValue(
                    _("每条建议不超过 %(n)d 个字符") % {"n": TEXT_MAX},
                    field=f"item-{key}-text",
                    code="too_long",
                )
            item = items[key]
            changes: dict[str, Any] = {"included": included}
            if text:
                changes["text"] = text
            changed = bool(history.update(actor, item, changes)) or changed
        if approve:
            kept = [i for i in items_of(actor, plan) if i.included]
            if not kept:
                raise InvalidValue(_("至少保留一条建议才能审核通过"), code="nothing_kept")
            now: dt.datetime = timezone.now()
            history.update(
                actor, plan, {"status": "approved", "approved_by_id": actor.id, "approved_at": now}
            )
            changed = True
    return changed
