"""The forms that write the health record: its sections, vitals, and the chief physician's
conclusions of a visit (总检). Views parse and authorise; `services` validate and write."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext

from jianguan.accounts.actors import actor_for
from jianguan.accounts.decorators import staff_view
from jianguan.core.actors import Actor

from .. import selectors
from ..errors import InvalidValue, NotFound
from ..forms.record import (
    SECTION_FORMS,
    ConclusionsForm,
    CorrectionForm,
    VitalsForm,
    WithdrawForm,
    initial_for,
)
from ..models import Customer, Observation, Visit
from ..services import observations
from ..services import sections as sec
from .common import (
    CONCLUDE,
    EDIT,
    as_label,
    as_number,
    as_text,
    audit_view,
    customer_or_404,
    deny,
    row_or_404,
    show_error,
    tab_url,
)
from .labels import VISIT_STATUS_LABELS
from .tabs import observation_row


def _section_or_404(actor: Actor, customer: Customer, code: str) -> sec.Section:
    try:
        return sec.section(code)
    except NotFound as exc:
        raise deny(actor, "section", code[:40], "unknown section", customer.pk) from exc


def _back_to_history(customer: Customer) -> HttpResponse:
    return redirect(tab_url(customer, "history"))


def _section_page(
    request: HttpRequest,
    actor: Actor,
    customer: Customer,
    section: sec.Section,
    form: Form,
    *,
    row: Any = None,
    confirm_delete: bool = False,
) -> HttpResponse:
    # Every page that shows the customer is a read (D-07): a re-shown form after an error too.
    audit_view(actor, customer, f"form.{section.code}")
    return render(
        request,
        "records/section_form.html",
        {
            "customer": customer,
            "customer_name": as_text(customer.name),
            "section": section,
            "form": form,
            "row": row,
            "confirm_delete": confirm_delete,
            "back_url": tab_url(customer, "history"),
        },
    )


@staff_view(EDIT)
def section_add(request: HttpRequest, customer_id: uuid.UUID, section: str) -> HttpResponse:
    actor = actor_for(request)
    customer = customer_or_404(actor, customer_id, EDIT)
    found = _section_or_404(actor, customer, section)
    if found.code == "lifestyle":
        current = selectors.lifestyle_of(actor, customer, EDIT)
        if current is not None:  # one lifestyle per customer: edit it
            return redirect(
                "records:section_edit",
                customer_id=customer.pk,
                section="lifestyle",
                item_id=current.pk,
            )
    form_class = SECTION_FORMS[found.code]
    form = form_class(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            sec.add(actor, customer, found.code, form.cleaned_data)
        except InvalidValue as exc:
            show_error(form, exc)
        except NotFound as exc:
            raise Http404 from exc
        else:
            messages.success(request, gettext("已保存到%(section)s。") % {"section": found.label})
            return _back_to_history(customer)
    return _section_page(request, actor, customer, found, form)


@staff_view(EDIT)
def section_edit(
    request: HttpRequest, customer_id: uuid.UUID, section: str, item_id: uuid.UUID
) -> HttpResponse:
    actor = actor_for(request)
    customer = customer_or_404(actor, customer_id, EDIT)
    found = _section_or_404(actor, customer, section)
    row = row_or_404(actor, customer, found.model, item_id, kind=found.kind)
    form_class = SECTION_FORMS[found.code]
    action = request.POST.get("action", "save") if request.method == "POST" else ""
    if action in ("delete", "delete_confirmed"):
        if action == "delete":
            return _section_page(
                request,
                actor,
                customer,
                found,
                form_class(initial=initial_for(found.code, row)),
                row=row,
                confirm_delete=True,
            )
        try:
            sec.remove(actor, customer, found.code, row)
        except NotFound as exc:
            raise Http404 from exc
        messages.success(request, gettext("已删除，删除前的内容保留在修改记录中。"))
        return _back_to_history(customer)
    if action == "save":
        form = form_class(request.POST)
        if form.is_valid():
            try:
                changed = sec.change(actor, customer, found.code, row, form.cleaned_data)
            except InvalidValue as exc:
                show_error(form, exc)
            except NotFound as exc:
                raise Http404 from exc
            else:
                messages.success(request, gettext("已保存。") if changed else gettext("没有改动。"))
                return _back_to_history(customer)
    else:
        form = form_class(initial=initial_for(found.code, row))
    return _section_page(request, actor, customer, found, form, row=row)


# --- vitals and visit conclusions -------------------------------------------------------------


def _visit_choices(actor: Actor, customer: Customer) -> list[tuple[str, str]]:
    visits = selectors.visits_of(actor, customer, EDIT)[:20]
    return [(str(v.pk), f"{v.visit_date.isoformat()} · {v.visit_number}") for v in visits]


def _bmi_preview(request: HttpRequest) -> HttpResponse:
    """BMI from the height and weight typed so far (htmx); nothing is saved."""
    raw = {k: request.POST.get(k, "") for k in ("height", "weight")}
    try:
        values = observations.parse_vitals(raw)
    except InvalidValue:
        return HttpResponse("")
    if "height" not in values or "weight" not in values:
        return HttpResponse("")
    return HttpResponse(
        format_html(
            "{} <strong>{}</strong> kg/m²",
            gettext("体质指数 BMI"),
            observations.bmi(values["height"], values["weight"]),
        )
    )


@staff_view(EDIT)
def vitals_add(request: HttpRequest, customer_id: uuid.UUID) -> HttpResponse:
    actor = actor_for(request)
    customer = customer_or_404(actor, customer_id, EDIT)
    if request.method == "POST" and request.POST.get("preview") == "bmi":
        return _bmi_preview(request)
    visits = _visit_choices(actor, customer)
    form = VitalsForm(request.POST if request.method == "POST" else None, visits=visits)
    if request.method == "POST" and form.is_valid():
        visit = None
        if form.cleaned_data["visit"]:
            visit = selectors.record_row(
                actor, Visit, customer, uuid.UUID(form.cleaned_data["visit"]), EDIT
            )
        try:
            saved = observations.record_vitals(
                actor,
                customer,
                form.vitals(),
                effective=form.cleaned_data["effective"] or timezone.now(),
                visit=visit,
            )
        except InvalidValue as exc:
            show_error(form, exc)
        else:
            bmi = next((o for o in saved if o.local_code == observations.BMI.key), None)
            text = gettext("已录入 %(n)s 项。") % {"n": len(saved)}
            if bmi is not None:
                text += " " + gettext("体质指数 BMI %(bmi)s kg/m²。") % {
                    "bmi": as_number(bmi.value_num, 1)
                }
            messages.success(request, text)
            return redirect(tab_url(customer, "results"))
    audit_view(actor, customer, "form.vitals")
    return render(
        request,
        "records/vitals_form.html",
        {
            "customer": customer,
            "customer_name": as_text(customer.name),
            "form": form,
            "back_url": tab_url(customer, "results"),
        },
    )


@staff_view(CONCLUDE)
def visit_conclusions(
    request: HttpRequest, customer_id: uuid.UUID, visit_id: uuid.UUID
) -> HttpResponse:
    actor = actor_for(request)
    customer = customer_or_404(actor, customer_id, EDIT)
    visit = row_or_404(actor, customer, Visit, visit_id)
    if request.method == "POST":
        form = ConclusionsForm(request.POST)
        if form.is_valid():
            try:
                changed = sec.conclude_visit(actor, customer, visit, form.cleaned_data)
            except InvalidValue as exc:
                show_error(form, exc)
            except NotFound as exc:
                raise Http404 from exc
            else:
                messages.success(
                    request, gettext("总检结论已签署。") if changed else gettext("没有改动。")
                )
                return redirect(tab_url(customer, "results"))
    else:
        form = ConclusionsForm(
            initial={
                "conclusions": as_text(visit.conclusions),
                "recommendations": as_text(visit.recommendations),
            }
        )
    audit_view(actor, customer, "form.conclusions")
    return render(
        request,
        "records/visit_conclusions.html",
        {
            "customer": customer,
            "customer_name": as_text(customer.name),
            "visit": visit,
            "status": as_label(VISIT_STATUS_LABELS, visit.status),
            "physician": visit.chief_physician.username if visit.chief_physician else "",
            "form": form,
            "back_url": tab_url(customer, "results"),
        },
    )


# --- correcting a result ------------------------------------------------------------------------


@staff_view(EDIT)
def observation_correct(
    request: HttpRequest, customer_id: uuid.UUID, observation_id: uuid.UUID
) -> HttpResponse:
    """GET: the result with a correction form and a "entered in error" form; POST `action`
    `correct` or `withdraw`. Either keeps the old value in the record history (D-09)."""
    actor = actor_for(request)
    customer = customer_or_404(actor, customer_id, EDIT)
    obs: Observation = row_or_404(actor, customer, Observation, observation_id)
    if obs.status not in Observation.SHOWN:
        raise deny(actor, "Observation", obs.pk, "result entered in error", customer.pk)
    correct_form = CorrectionForm(prefix="correct")
    withdraw_form = WithdrawForm(prefix="withdraw")
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "correct":
                correct_form = CorrectionForm(request.POST, prefix="correct")
                if correct_form.is_valid():
                    observations.correct(
                        actor,
                        obs,
                        correct_form.cleaned_data["value"],
                        correct_form.cleaned_data["reason"],
                    )
                    messages.success(request, gettext("已更正，原结果保留在修改记录中。"))
                    return redirect(tab_url(customer, "results"))
            elif action == "withdraw":
                withdraw_form = WithdrawForm(request.POST, prefix="withdraw")
                if withdraw_form.is_valid():
                    observations.withdraw(actor, obs, withdraw_form.cleaned_data["reason"])
                    messages.success(request, gettext("已标记为录入错误，该结果保留在修改记录中。"))
                    return redirect(tab_url(customer, "results"))
            else:
                messages.error(request, gettext("请选择要办理的操作"))
                return redirect(request.path)
        except InvalidValue as exc:
            show_error(correct_form if action == "correct" else withdraw_form, exc)
    audit_view(actor, customer, "form.observation")
    row = observation_row(obs)
    return render(
        request,
        "records/observation_correct.html",
        {
            "customer": customer,
            "customer_name": as_text(customer.name),
            "row": row,
            "obs": obs,
            "correctable": obs.source in observations.CORRECTABLE_SOURCES
            and obs.local_code != observations.BMI.key
            and obs.value_num is not None,
            "correct_form": correct_form,
            "withdraw_form": withdraw_form,
            "back_url": tab_url(customer, "results"),
        },
    )
