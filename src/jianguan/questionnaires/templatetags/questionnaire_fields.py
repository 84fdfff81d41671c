"""Rendering a questionnaire item as form controls (the fill page): one place that knows how each
FHIR item type becomes HTML. Everything shown is escaped (format_html)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()
INPUT_TYPES = {
    "integer": "number",
    "decimal": "number",
    "date": "date",
    "dateTime": "datetime-local",
}


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.simple_tag
def item_text(item: Any, lang_en: bool) -> str:
    return str(getattr(item, "text_en", "") or item.text) if lang_en else str(item.text or "")


@register.simple_tag
def item_field(item: Any, answers: dict[str, list[Any]], lang_en: bool) -> SafeString:
    name = f"a-{item.link_id}"
    given = [str(v) for v in answers.get(item.link_id, [])]
    label = item_text(item, lang_en) + (" *" if item.required else "")
    if item.type in ("choice", "open-choice") and item.options:
        kind = "checkbox" if item.repeats else "radio"
        choices = format_html_join(
            "",
            '<label class="form-option"><input type="{}" name="{}" value="{}"{}> {}</label>',
            (
                (kind, name, o.code, " checked" if o.code in given else "", o.display)
                for o in item.options
            ),
        )
        return format_html("<fieldset><legend>{}</legend>{}</fieldset>", label, choices)
    if item.type == "boolean":
        choices = format_html_join(
            "",
            '<label class="form-option"><input type="radio" name="{}" value="{}"{}> {}</label>',
            (
                (name, value, " checked" if value in given else "", text)
                for value, text in (
                    ("true", "是" if not lang_en else "Yes"),
                    ("false", "否" if not lang_en else "No"),
                )
            ),
        )
        return format_html("<fieldset><legend>{}</legend>{}</fieldset>", label, choices)
    field_id = f"id-{item.link_id}"
    value = given[0] if given else ""
    if item.type == "text":
        control = format_html(
            '<textarea id="{}" name="{}" rows="3">{}</textarea>', field_id, name, value
        )
    else:
        kind = INPUT_TYPES.get(item.type, "text")
        step = ' step="any"' if item.type == "decimal" else ""
        control = format_html(
            '<input id="{}" type="{}" name="{}" value="{}"{}>',
            field_id,
            kind,
            name,
            value,
            SafeString(step),
        )
    return format_html('<label for="{}">{}</label>{}', field_id, label, control)
