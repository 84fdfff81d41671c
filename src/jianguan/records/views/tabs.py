"""The tabs of the customer 360° page: each builder returns the context of its template.

What a tab shows is shaped here and decrypted only for what it shows.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jianguan.core.actors import Actor

from .. import catalog, selectors
from .. import identifiers as ids
from ..forms.choices import CARD_EVENT_LABELS, SEX_LABELS, SOURCE_CHANNEL_LABELS, id_type_label
from ..models import Customer, HistoryItem, Observation, Visit
from ..services import observations
from ..services import sections as sec
from .common import (
    CLINICAL,
    EDIT,
    ENROL,
    IDENTITY,
    REVEAL,
    as_label,
    as_number,
    as_term,
    as_text,
    page_number,
    tab_url,
)
from .customers import cards_context
from .labels import (
    ACTION_LABELS,
    FIELD_LABELS,
    FLAG_LABELS,
    RESOURCE_FIELD_LABELS,
    RESOURCE_LABELS,
    SOURCE_LABELS,
    STAFF_FIELDS,
    VALUE_LABELS,
    VISIT_STATUS_LABELS,
)

VISITS_PER_PAGE = 3  # a check-up has ~25–200 results: a few visits per page keep it light
LOOSE_PER_PAGE = 30
CHANGES_PER_PAGE = 50
EVENTS_PER_PAGE = 50
BODY_TARGET = "c360-body"  # the htmx target of a tab switch: tab bar and tab, not the header


@dataclass(frozen=True)
class Tab:
    code: str
    label: Any
    capability: str
    template: str = ""  # the tab's body; default records/tab_<code>.html

    @property
    def body(self) -> str:
        return self.template or f"records/tab_{self.code}.html"


TABS: list[Tab] = [
    Tab("basic", _("基本信息"), IDENTITY),
    Tab("history", _("健康史"), CLINICAL),
    Tab("results", _("检查结果"), CLINICAL),
    Tab("timeline", _("时间线"), CLINICAL),
    Tab("changes", _("修改记录"), IDENTITY),
    Tab("cards", _("会员卡"), IDENTITY, "records/cards_tab.html"),
]
TAB_BY_CODE = {t.code: t for t in TABS}
Builder = Callable[[HttpRequest, Actor, Customer], dict[str, Any]]


def register_tab(tab: Tab, builder: Builder, *, after: str) -> None:
    """Another app's tab on the 360° page (risk, trends, advice …), placed after `after`.

    Called from that app's AppConfig.ready(), so records imports nothing of it (D-34)."""
    if tab.code in TAB_BY_CODE:
        return  # ready() may run twice in tests
    TABS.insert(TABS.index(TAB_BY_CODE[after]) + 1, tab)
    TAB_BY_CODE[tab.code] = tab
    BUILDERS[tab.code] = builder


def _pager(customer: Customer, tab: str, page: Any, param: str, prefix: str = "") -> dict[str, str]:
    """The previous / next links of a paged tab (`prefix` tells two pagers of one tab apart)."""
    return {
        f"{prefix}prev_url": tab_url(customer, tab, **{param: page.previous_page_number()})
        if page.has_previous()
        else "",
        f"{prefix}next_url": tab_url(customer, tab, **{param: page.next_page_number()})
        if page.has_next()
        else "",
    }


def _basic(request: HttpRequest, actor: Actor, customer: Customer) -> dict[str, Any]:
    contact = customer.emergency_contact
    contact = contact if isinstance(contact, Mapping) else {}
    phone = str(contact.get("phone") or "")
    identifiers = [
        {
            "type": id_type_label(i.type),
            "masked": ids.mask_identifier(i.value)
            if isinstance(i.value, str)
            else as_text(i.value),
            "primary": i.is_primary,
        }
        for i in selectors.identifiers_of(actor, customer)
    ]
    managers = selectors.staff_labels(actor, [customer.manager_id] if customer.manager_id else [])
    rows = [
        (_("姓名"), as_text(customer.name)),
        (_("性别"), as_label(SEX_LABELS, customer.sex)),
        (_("出生日期"), as_text(customer.birth_date)),
        (
            _("手机号码"),
            ids.mask_mobile(customer.mobile) if isinstance(customer.mobile, str) else "",
        ),
        (_("住址"), as_text(customer.address)),
        (_("职业"), as_text(customer.occupation)),
        (_("婚姻状况"), as_term(customer.marital_status)),
        (_("民族"), as_term(customer.ethnicity)),
        (_("医保类型"), as_term(customer.insurance_type)),
        (_("来源渠道"), as_label(SOURCE_CHANNEL_LABELS, customer.source_channel)),
        (_("健康管理师"), managers.get(customer.manager_id, "") if customer.manager_id else ""),
        (_("建档时间"), as_text(customer.created)),
    ]
    return {
        "rows": rows,
        "identifiers": identifiers,
        "contact": {
            "name": str(contact.get("name") or ""),
            "relation": str(contact.get("relation") or ""),
            # D-16: phone numbers are masked on screen like the customer's own.
            "phone": ids.mask_mobile(phone) if phone else "",
        },
        "consent_version": customer.consent_version,
        "consent_at": as_text(customer.consent_at),
        "can_edit_identity": actor.can(ENROL),
        "can_reveal": actor.can(REVEAL),
    }


@dataclass
class SectionView:
    code: str
    label: Any
    columns: list[Any]
    rows: list[dict[str, Any]] = field(default_factory=list)


def _history_rows(code: str, rows: Iterable[Any]) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        if code == "condition":
            cells = [
                as_text(r.name),
                as_text(r.code),
                as_text(r.onset),
                as_label(sec.CLINICAL_STATUSES, r.clinical_status),
                as_text(r.note),
            ]
        elif code == "disability":
            cells = [
                as_label(sec.DISABILITIES, r.code),
                as_text(r.name),
                as_text(r.onset),
                as_text(r.note),
            ]
        elif code in ("surgery", "trauma", "transfusion"):
            cells = [as_text(r.name), as_text(r.onset), as_text(r.note)]
        elif code == "family":
            cells = [
                as_label(sec.RELATIONS, r.relation),
                as_text(r.name),
                as_text(r.code),
                as_text(r.note),
            ]
        elif code == "allergy":
            cells = [
                as_text(r.substance),
                as_text(r.reaction),
                as_label(sec.SEVERITIES, r.severity),
            ]
        else:
            cells = [
                as_text(r.name),
                as_text(r.dose),
                as_text(r.frequency),
                as_label(sec.ADHERENCE, r.adherence),
                gettext("在用") if r.active else gettext("已停用"),
            ]
        out.append({"id": r.pk, "cells": list(zip(COLUMNS[code], cells, strict=True))})
    return out


COLUMNS: dict[str, list[Any]] = {
    "condition": [_("疾病名称"), _("ICD-10"), _("确诊日期"), _("目前状况"), _("备注")],
    "surgery": [_("手术名称"), _("手术日期"), _("备注")],
    "trauma": [_("外伤情况"), _("发生日期"), _("备注")],
    "transfusion": [_("输血原因"), _("输血日期"), _("备注")],
    "disability": [_("残疾类别"), _("具体情况"), _("发生日期"), _("备注")],
    "family": [_("亲属"), _("疾病名称"), _("ICD-10"), _("备注")],
    "allergy": [_("过敏物质"), _("过敏反应"), _("严重程度")],
    "medication": [_("药品名称"), _("剂量"), _("用法"), _("服药依从性"), _("状态")],
}


def lifestyle_lines(data: Any) -> list[tuple[Any, str]]:
    """Lifestyle.data as labelled lines (the history tab and the record history)."""
    if not isinstance(data, Mapping):
        return []

    def part(key: str) -> Mapping[str, Any]:
        value = data.get(key)
        return value if isinstance(value, Mapping) else {}

    def join(*pieces: str) -> str:
        return "，".join(p for p in pieces if p)

    smoking, alcohol, activity, sleep = (
        part("smoking"),
        part("alcohol"),
        part("activity"),
        part("sleep"),
    )
    lines: list[tuple[Any, str]] = []
    if smoking.get("status"):
        lines.append(
            (
                _("吸烟"),
                join(
                    as_label(sec.SMOKING, smoking.get("status")),
                    gettext("每日 %(n)s 支") % {"n": smoking["per_day"]}
                    if smoking.get("per_day") is not None
                    else "",
                    gettext("%(n)s 年") % {"n": smoking["years"]}
                    if smoking.get("years") is not None
                    else "",
                ),
            )
        )
    if alcohol.get("status"):
        lines.append(
            (
                _("饮酒"),
                join(
                    as_label(sec.ALCOHOL, alcohol.get("status")),
                    as_label(sec.ALCOHOL_TYPES, alcohol.get("type")),
                    gettext("每周 %(n)s 两") % {"n": as_number(alcohol["per_week"])}
                    if alcohol.get("per_week") is not None
                    else "",
                ),
            )
        )
    if any(activity.get(k) not in (None, "") for k in ("per_week", "minutes", "type")):
        lines.append(
            (
                _("体育锻炼"),
                join(
                    gettext("每周 %(n)s 次") % {"n": activity["per_week"]}
                    if activity.get("per_week") is not None
                    else "",
                    gettext("每次 %(n)s 分钟") % {"n": activity["minutes"]}
                    if activity.get("minutes") is not None
                    else "",
                    str(activity.get("type") or ""),
                ),
            )
        )
    diet = data.get("diet") or []
    if diet:
        lines.append((_("饮食习惯"), "、".join(as_label(sec.DIET, d) for d in diet)))
    if sleep.get("hours") is not None or sleep.get("quality"):
        lines.append(
            (
                _("睡眠"),
                join(
                    gettext("每天 %(n)s 小时") % {"n": as_number(sleep["hours"])}
                    if sleep.get("hours") is not None
                    else "",
                    as_label(sec.SLEEP_QUALITY, sleep.get("quality")),
                ),
            )
        )
    if data.get("occupational_exposure"):
        lines.append((_("职业暴露"), str(data["occupational_exposure"])))
    return lines


def _history(request: HttpRequest, actor: Actor, customer: Customer) -> dict[str, Any]:
    found = selectors.history_of(actor, customer)
    sections = [
        SectionView(code, sec.SECTIONS[code].label, COLUMNS[code], _history_rows(code, rows))
        for code, rows in (
            *((kind, found.items.get(kind, [])) for kind, _l in HistoryItem.KINDS),
            ("family", found.family),
            ("allergy", found.allergies),
            ("medication", found.medications),
        )
    ]
    lifestyle = found.lifestyle
    return {
        "sections": sections,
        "lifestyle": lifestyle,
        "lifestyle_lines": lifestyle_lines(lifestyle.data) if lifestyle is not None else [],
    }


def _item(obs: Observation) -> tuple[str, str, int | None]:
    """(name, group, decimals) from the centre's catalogue; unknown codes show as themselves."""
    item = catalog.ITEMS.get(obs.local_code)
    if item is None:
        return obs.local_code or obs.loinc, "", None
    return item.name, item.group, item.decimals


def observation_row(obs: Observation) -> dict[str, Any]:
    name, group, decimals = _item(obs)
    if obs.value_num is not None:
        value = as_number(obs.value_num, decimals)
    else:
        value = as_text(obs.value_code) or as_text(obs.value_text)
    flag = obs.flag if isinstance(obs.flag, str) else ""
    low, high = obs.ref_low, obs.ref_high
    if low is not None and high is not None:
        ref = f"{as_number(low, decimals)}–{as_number(high, decimals)}"
    elif high is not None:
        ref = f"≤ {as_number(high, decimals)}"
    elif low is not None:
        ref = f"≥ {as_number(low, decimals)}"
    else:
        ref = ""
    return {
        "name": name,
        "group": group,
        "loinc": obs.loinc,
        "local_code": obs.local_code,
        "value": value,
        "unit": observations.display_unit(obs.unit),
        "ref": ref,
        "flag": flag if flag in FLAG_LABELS else "",
        "flag_label": FLAG_LABELS.get(flag, ""),
        "effective": as_text(obs.effective),
        "source": as_label(SOURCE_LABELS, obs.source),
        "by": obs.created_by.username if obs.created_by_id and obs.created_by else "",
        "id": obs.pk,
        "amended": obs.status == "amended",
        "note": as_text(obs.note),
    }


def _grouped(observations: list[Observation]) -> list[dict[str, Any]]:
    """Rows grouped as the catalogue groups them (一般检查, 血常规, …), in catalogue order."""
    order = {code: n for n, code in enumerate(catalog.ITEMS)}
    rows = sorted(
        (observation_row(o) for o in observations),
        key=lambda r: (order.get(r["local_code"], len(order)), r["effective"]),
    )
    groups: list[dict[str, Any]] = []
    for row in rows:
        title = row["group"] or gettext("其他项目")
        if not groups or groups[-1]["title"] != title:
            groups.append({"title": title, "rows": []})
        groups[-1]["rows"].append(row)
    return groups


def _results(request: HttpRequest, actor: Actor, customer: Customer) -> dict[str, Any]:
    page = Paginator(selectors.visits_of(actor, customer), VISITS_PER_PAGE).get_page(
        page_number(request)
    )
    visits: list[Visit] = list(page.object_list)
    grouped = selectors.observations_of_visits(actor, [v.pk for v in visits])
    loose_page = Paginator(selectors.loose_observations(actor, customer), LOOSE_PER_PAGE).get_page(
        page_number(request, "mpage")
    )
    loose = [observation_row(o) for o in loose_page.object_list]
    return {
        "visits": [
            {
                "visit": v,
                "status": as_label(VISIT_STATUS_LABELS, v.status),
                "physician": v.chief_physician.username if v.chief_physician else "",
                "conclusions": as_text(v.conclusions),
                "recommendations": as_text(v.recommendations),
                "groups": groups,
                "count": sum(len(g["rows"]) for g in groups),
                "abnormal": sum(1 for g in groups for r in g["rows"] if r["flag"]),
            }
            for v, groups in ((v, _grouped(grouped.get(v.pk, []))) for v in visits)
        ],
        "page": page,
        **_pager(customer, "results", page, "page", ""),
        "loose": loose,
        "loose_groups": [{"title": "", "rows": loose}],
        "loose_page": loose_page,
        **_pager(customer, "results", loose_page, "mpage", "loose_"),
        "can_edit": actor.can(EDIT),
    }


def _timeline(request: HttpRequest, actor: Actor, customer: Customer) -> dict[str, Any]:
    """Enrolment, visits, card events and record changes, newest first; nothing decrypted."""
    tz = timezone.get_current_timezone()
    events: list[dict[str, Any]] = [
        {"at": customer.created, "kind": gettext("建档"), "text": gettext("客户建档"), "by": ""}
    ]
    for v in selectors.visits_of(actor, customer):
        events.append(
            {
                # A visit has a day, no time: it sorts after what was timed that day (the
                # enrolment and card of a walk-in come before their check-up).
                "at": dt.datetime.combine(v.visit_date, dt.time.max, tzinfo=tz),
                "date_only": True,
                "kind": gettext("体检"),
                "text": " · ".join(
                    p
                    for p in (v.visit_number, v.package, as_label(VISIT_STATUS_LABELS, v.status))
                    if p
                ),
                "by": v.chief_physician.username if v.chief_physician else "",
            }
        )
    for e in selectors.card_events_of(actor, customer):
        events.append(
            {
                "at": e.created,
                "kind": gettext("会员卡"),
                "text": f"{e.card.number} · {as_label(CARD_EVENT_LABELS, e.kind)}",
                "by": e.created_by.username if e.created_by else "",
            }
        )
    for g in selectors.change_groups(actor, customer):
        if g["action"] == "create" and g["resource_type"] in ("Customer", "CustomerIdentifier"):
            continue  # the enrolment itself is the first event
        events.append(
            {
                "at": g["at"],
                "kind": gettext("档案修改"),
                "text": gettext("%(action)s%(what)s %(n)s 条")
                % {
                    "action": as_label(ACTION_LABELS, g["action"]),
                    "what": as_label(RESOURCE_LABELS, g["resource_type"]),
                    "n": g["rows"],
                },
                "by": g["created_by__username"] or "",
            }
        )
    events.sort(key=lambda e: e["at"], reverse=True)
    page = Paginator(events, EVENTS_PER_PAGE).get_page(page_number(request))
    for e in page.object_list:
        e["when"] = e["at"].date().isoformat() if e.get("date_only") else as_text(e["at"])
    return {
        "events": page.object_list,
        "page": page,
        **_pager(customer, "timeline", page, "page", ""),
    }


def _shown(resource_type: str, name: str, value: Any, names: Mapping[str, str]) -> str:
    """A value of the record history as text: codes as labels, identifiers masked (D-16)."""
    if value is None or value == "":
        return "—"
    labels = VALUE_LABELS.get((resource_type, name))
    if labels is not None:
        return as_label(labels, value)
    if name in STAFF_FIELDS:
        return names.get(str(value), str(value)[:8])
    if resource_type == "Customer" and name == "mobile":
        return ids.mask_mobile(str(value))
    if resource_type == "CustomerIdentifier" and name == "value":
        return ids.mask_identifier(str(value))
    if name == "data" and resource_type == "Lifestyle":
        return "；".join(f"{label}：{text}" for label, text in lifestyle_lines(value)) or "—"
    if isinstance(value, Mapping):
        shown = dict(value)
        if shown.get("phone"):
            shown["phone"] = ids.mask_mobile(str(shown["phone"]))
        return "，".join(str(v) for v in shown.values() if v not in (None, ""))
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, str) and len(value) > 19 and value[10:11] == "T":
        try:
            return as_text(dt.datetime.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, float | int) and not isinstance(value, bool):
        return as_number(value)
    return as_text(value)


def _changed_parts(old: Any, new: Any) -> tuple[Any, Any]:
    """For two documents (lifestyle), only the parts that differ."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        keys = [k for k in {*old, *new} if old.get(k) != new.get(k) and k != "schema"]
        return {k: old.get(k) for k in keys}, {k: new.get(k) for k in keys}
    return old, new


def _changes(request: HttpRequest, actor: Actor, customer: Customer) -> dict[str, Any]:
    page = Paginator(selectors.record_changes(actor, customer), CHANGES_PER_PAGE).get_page(
        page_number(request)
    )
    changes = list(page.object_list)
    # Who made each change, and staff named in a value, in one lookup for the page.
    staff_ids = {c.created_by_id for c in changes if c.created_by_id}
    for c in changes:
        if c.field in STAFF_FIELDS:
            for v in (c.old_value, c.new_value):
                try:
                    staff_ids.add(uuid.UUID(str(v)))
                except ValueError:
                    continue
    names = {str(k): v for k, v in selectors.staff_labels(actor, list(staff_ids)).items()}
    rows = []
    for c in changes:
        old, new = c.old_value, c.new_value
        if c.resource_type == "Lifestyle" and c.field == "data":
            old, new = _changed_parts(old, new)
        rows.append(
            {
                "who": names.get(str(c.created_by_id), "") if c.created_by_id else gettext("系统"),
                "when": as_text(c.created),
                "resource": as_label(RESOURCE_LABELS, c.resource_type),
                "field": str(
                    RESOURCE_FIELD_LABELS.get((c.resource_type, c.field))
                    or as_label(FIELD_LABELS, c.field)
                ),
                "action": c.action,
                "action_label": as_label(ACTION_LABELS, c.action),
                "old": _shown(c.resource_type, c.field, old, names),
                "new": _shown(c.resource_type, c.field, new, names),
            }
        )
    return {
        "changes": rows,
        "page": page,
        **_pager(customer, "changes", page, "page", ""),
    }


def _cards(request: HttpRequest, actor: Actor, customer: Customer) -> dict[str, Any]:
    # The cards fragment and its actions belong to the cards pages (views/customers.py).
    return cards_context(actor, customer)


BUILDERS: dict[str, Builder] = {
    "basic": _basic,
    "history": _history,
    "results": _results,
    "timeline": _timeline,
    "changes": _changes,
    "cards": _cards,
}
