"""Submitting a response: validate every answer against the exact form version, score it (the
form's own ordinal values and calculated items, then the instrument's bands through the
clinical engine), keep it encrypted in the customer's record, write its coded score as an
observation with the response as its source, and alert the health manager on an urgent answer
(PHQ-9 item 9 above 0). One audit entry for the customer (D-07)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.urls import reverse
from django.utils import timezone

from jianguan import clinical
from jianguan.audit.ledger import one_entry_per_customer
from jianguan.core import notify
from jianguan.core.actors import Actor
from jianguan.records.models import Customer, Observation
from jianguan.records.services import history

from .. import engine
from ..models import FormDefinition, FormResponse

JG = "https://jianguan.local/fhir/StructureDefinition"
CLINICAL = "records.clinical.view"


class FormInvalid(ValueError):
    """The answers break the form's rules: every error, each naming its item."""

    def __init__(self, errors: list[engine.ItemError]) -> None:
        super().__init__(f"{len(errors)} answer errors")
        self.errors = errors


def _extension(node: Mapping[str, Any], name: str) -> Any:
    for ext in node.get("extension", []) or []:
        if ext.get("url") == f"{JG}/{name}":
            for key, value in ext.items():
                if key.startswith("value"):
                    return value
    return None


def _items(node: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found: list[Mapping[str, Any]] = []
    for item in node.get("item", []) or []:
        found.append(item)
        found.extend(_items(item))
    return found


def model_inputs(
    form: FormDefinition,
    definition: engine.Definition,
    answers: Mapping[str, list[Any]],
    customer: Customer,
) -> dict[str, Any]:
    """The clinical model's inputs: each item marked `model-input` gives its answer's ordinal
    value (or its number); the customer's sex where the model takes it."""
    inputs: dict[str, Any] = {}
    for raw in _items(form.questionnaire):
        key = _extension(raw, "model-input")
        values = answers.get(str(raw.get("linkId")), [])
        if not key or not values:
            continue
        item = definition.find(str(raw["linkId"]))
        value = values[0]
        option = next((o for o in item.options if o.code == value), None)
        inputs[key] = option.score if option is not None and option.score is not None else value
    model_id = _extension(form.questionnaire, "clinical-model")
    if model_id:
        model = clinical.get(model_id)
        if any(spec.key == "sex" for spec in model.inputs) and customer.sex in ("M", "F"):
            inputs["sex"] = customer.sex
    return inputs


def submit(
    actor: Actor,
    customer: Customer,
    form: FormDefinition,
    answers: Mapping[str, list[Any]],
    *,
    filled_by: str = "staff",
) -> FormResponse:
    if form.status != "published":
        raise FormInvalid(
            [
                engine.ItemError(
                    "", "not_published", "该问卷版本未发布", "this form version is not published"
                )
            ]
        )
    definition = engine.parse_definition(form.questionnaire)
    errors = engine.validate(definition, answers)
    if errors:
        raise FormInvalid(errors)
    scores = engine.score(definition, answers)
    result: clinical.Result | None = None
    model_id = _extension(form.questionnaire, "clinical-model")
    inputs = model_inputs(form, definition, answers, customer) if model_id else {}
    if model_id:
        try:
            result = clinical.calculate(model_id, inputs)
        except clinical.InvalidInput as exc:
            raise FormInvalid(
                [engine.ItemError(exc.field, exc.code, exc.message_zh, exc.message_en)]
            ) from None
    now = timezone.now()
    stored_scores: dict[str, Any] = {
        "total": scores.total,
        "by_item": scores.by_item,
        "calculated": scores.calculated,
        "model": model_id or None,
        "model_inputs": inputs,
        "result": result.to_dict() if result is not None else None,
    }
    with one_entry_per_customer("form.submit"):
        response = FormResponse(
            institution_id=customer.institution_id,
            customer_id=customer.pk,
            definition=form,
            status="completed",
            answers={k: list(v) for k, v in answers.items()},
            scores=stored_scores,
            authored=now,
            filled_by=filled_by,
        )
        history.save_new(actor, response, action="form.submit")
        coding = _extension(form.questionnaire, "score-observation")
        value = result.value if result is not None else scores.total
        if isinstance(coding, Mapping) and isinstance(value, int | float):
            history.save_new(
                actor,
                Observation(
                    institution_id=customer.institution_id,
                    customer_id=customer.pk,
                    loinc=str(coding.get("code", ""))[:20],
                    local_code=f"{form.code}_total"[:40],
                    unit="{score}",
                    value_num=float(value),
                    effective=now,
                    source="questionnaire",
                    source_key=f"form-response:{response.pk}",
                ),
            )
        if result is not None and result.details.get("urgent_alert"):
            notify.notify(
                institution_id=customer.institution_id,
                kind="clinical.alert",
                severity="urgent",
                link=reverse("records:customer", args=[customer.pk]) + "?tab=advice",
                users=[customer.manager_id] if customer.manager_id else (),
                role=None if customer.manager_id else "health_manager",
            )
    return response


def latest_results(actor: Actor, customer: Customer) -> dict[str, clinical.Result]:
    """The newest completed response of each instrument, as the clinical engine's result (for the
    advice rules and the risk tab)."""
    found: dict[str, clinical.Result] = {}
    rows = (
        FormResponse.objects.for_actor(actor, CLINICAL)
        .filter(customer=customer, status__in=("completed", "reviewed"))
        .order_by("-authored")
    )
    for response in rows:
        scores = response.scores if isinstance(response.scores, dict) else {}
        model_id = scores.get("model")
        if not model_id or model_id in found:
            continue
        try:
            found[model_id] = clinical.calculate(model_id, scores.get("model_inputs") or {})
        except (clinical.InvalidInput, clinical.UnknownModel):
            continue
    return found
