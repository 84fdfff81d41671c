"""Staff fill a form with or for a customer, and read the result: the 问卷 tab of the 360° page
(registered in apps.py), the fill page and the result page. Views parse and authorise;
services validate, score and store (D-07: every page that shows the customer is a read)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext

from jianguan.accounts.actors import actor_for
from jianguan.accounts.decorators import staff_view
from jianguan.core.actors import Actor
from jianguan.records.models import Customer
from jianguan.records.views.common import audit_view, customer_or_404, deny, tab_url

from . import engine
from .models import FormDefinition, FormResponse
from .services import forms, responses

CLINICAL = "records.clinical.view"
EDIT = "records.clinical.edit"
MAX_VALUE_CHARS = 10_000


def _lang_en() -> bool:
    return (translation.get_language() or "").startswith("en")


def forms_tab(request: HttpRequest, actor: Actor, customer: Customer) -> dict[str, Any]:
    rows = (
        FormResponse.objects.for_actor(actor, CLINICAL)
        .filter(customer=customer)
        .select_related("definition")
        .order_by("-authored", "-created")[:50]
    )
    return {
        "form_responses": [
            {"response": r, "scores": r.scores if isinstance(r.scores, dict) else {}} for r in rows
        ],
        "fillable": _fillable(customer) if actor.can(EDIT) else [],
    }


def _fillable(customer: Customer) -> list[FormDefinition]:
    """The newest published version of each form the institution may use."""
    codes = sorted(
        set(
            forms.visible(customer.institution_id)
            .filter(status="published")
            .values_list("code", flat=True)
        )
    )
    return [f for f in (forms.latest(customer.institution_id, c) for c in codes) if f]


def _value(item: engine.Item, raw: str) -> Any:
    """The POSTed text as the item's type; what does not convert is passed on as text, so that
    the engine names the item and the error."""
    text = raw.strip()[: MAX_VALUE_CHARS + 1]
    try:
        if item.type == "integer":
            return int(text)
        if item.type == "decimal":
            return float(text)
        if item.type == "boolean":
            return {"true": True, "false": False}.get(text, text)
    except ValueError:
        return text
    return text


def answers_from_post(definition: engine.Definition, data: Any) -> dict[str, list[Any]]:
    answers: dict[str, list[Any]] = {}
    for item in definition.walk():
        values = [v for v in data.getlist(f"a-{item.link_id}") if v.strip()]
        if values:
            answers[item.link_id] = [_value(item, v) for v in values]
    return answers


@staff_view(EDIT)
def form_fill(request: HttpRequest, customer_id: uuid.UUID, code: str) -> HttpResponse:
    actor = actor_for(request)
    customer = customer_or_404(actor, customer_id, EDIT)
    form: FormDefinition | None = forms.latest(customer.institution_id, code)
    if form is None:
        raise deny(actor, "Questionnaire", code[:60], "unknown form", customer.pk)
    definition = engine.parse_definition(form.questionnaire)
    errors: dict[str, list[str]] = {}
    answers: dict[str, list[Any]] = {}
    if request.method == "POST":
        answers = answers_from_post(definition, request.POST)
        try:
            response = responses.submit(actor, customer, form, answers)
        except responses.FormInvalid as exc:
            for error in exc.errors:
                text = error.message_en if _lang_en() else error.message_zh
                errors.setdefault(error.link_id, []).append(text)
        else:
            messages.success(request, gettext("问卷已提交。"))
            return redirect(
                "questionnaires:result", customer_id=customer.pk, response_id=response.pk
            )
    audit_view(actor, customer, f"form.{form.code}")
    return render(
        request,
        "questionnaires/fill.html",
        {
            "customer": customer,
            "form": form,
            "items": definition.items,
            "answers": answers,
            "errors": errors,
            "lang_en": _lang_en(),
            "back_url": tab_url(customer, "forms"),
        },
    )


@staff_view(CLINICAL)
def form_result(
    request: HttpRequest, customer_id: uuid.UUID, response_id: uuid.UUID
) -> HttpResponse:
    actor = actor_for(request)
    customer = customer_or_404(actor, customer_id, CLINICAL)
    response = (
        FormResponse.objects.for_actor(actor, CLINICAL)
        .filter(customer=customer, pk=response_id)
        .select_related("definition")
        .first()
    )
    if response is None:
        raise deny(actor, "FormResponse", response_id, "not in this record", customer.pk)
    audit_view(actor, customer, "form.result")
    scores = response.scores if isinstance(response.scores, dict) else {}
    result = scores.get("result") or {}
    return render(
        request,
        "questionnaires/result.html",
        {
            "customer": customer,
            "response": response,
            "scores": scores,
            "result": result,
            "urgent": bool((result.get("details") or {}).get("urgent_alert")),
            "lang_en": _lang_en(),
            "back_url": tab_url(customer, "forms"),
        },
    )
