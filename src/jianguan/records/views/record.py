"""The customer 360° page and the forms of the health record's sections.

Views parse, authorise and call `selectors` / `services`; what a page shows is shaped here and
decrypted only for what it shows. A customer or row outside the actor's institution is a 404
with the same body as a missing one, and the denial is audited with its reason (D-13). Every
view of the page writes one read entry for the customer naming the tab (D-07); the front desk
(identity without clinical data) gets basic info and cards only — the clinical tabs are absent
and their URLs answer 404.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from jianguan.accounts.actors import actor_for
from jianguan.accounts.decorators import staff_view
from jianguan.audit.ledger import record
from jianguan.core.actors import Actor
from jianguan.core.errors import JianguanError
from jianguan.core.fields import Shredded

from .. import catalog, selectors
from .. import identifiers as ids
from ..errors import InvalidValue, NotFound
from ..forms.choices import (
    CARD_EVENT_LABELS,
    CARD_LEVEL_LABELS,
    SEX_LABELS,
    SOURCE_CHANNEL_LABELS,
    id_type_label,
)
from ..forms.record import SECTION_FORMS, ConclusionsForm, VitalsForm, initial_for
from ..models import Customer, HistoryItem, Observation, Visit
from ..services import observations
from ..services import sections as sec
from .customers import cards_context

IDENTITY = "records.identity.view"
CLINICAL = "records.clinical.view"
EDIT = "records.clinical.edit"
CONCLUDE = "records.visit.conclude"  # the chief physician signs the conclusions (总检)
REVEAL = "records.identity.reveal"
ENROL = "records.customer.enrol"

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


TABS = (
    Tab("basic", _("基本信息"), IDENTITY),
    Tab("history", _("健康史"), CLINICAL),
    Tab("results", _("检查结果"), CLINICAL),
    Tab("timeline", _("时间线"), CLINICAL),
    Tab("changes", _("修改记录"), CLINICAL),
    Tab("cards", _("会员卡"), IDENTITY),
)
TAB_BY_CODE = {t.code: t for t in TABS}

FLAG_LABELS = {
    "H": _("偏高"),
    "L": _("偏低"),
    "HH": _("危急偏高"),
    "LL": _("危急偏低"),
    "A": _("异常"),
}
SOURCE_LABELS = {
    "manual": _("手工录入"),
    "import": _("导入"),
    "questionnaire": _("问卷"),
    "device": _("设备"),
}
KIND_LABELS = {
    "condition": _("疾病"),
    "surgery": _("手术"),
    "trauma": _("外伤"),
    "transfusion": _("输血"),
    "disability": _("残疾"),
}
VISIT_STATUS_LABELS = {"open": _("进行中"), "concluded": _("已总检")}
ACTION_LABELS = {
    "create": _("新增"),
    "update": _("修改"),
    "delete": _("删除"),
    "merge": _("合并"),
}
RESOURCE_LABELS = {
    "Customer": _("基本信息"),
    "CustomerIdentifier": _("证件"),
    "MemberCard": _("会员卡"),
    "HistoryItem": _("既往史"),
    "FamilyHistory": _("家族史"),
    "Allergy": _("过敏史"),
    "Medication": _("用药情况"),
    "Lifestyle": _("生活方式"),
    "Visit": _("体检"),
    "Observation": _("检查结果"),
}
FIELD_LABELS = {
    "name": _("名称"),
    "code": _("编码"),
    "onset": _("日期"),
    "clinical_status": _("目前状况"),
    "note": _("备注"),
    "kind": _("类别"),
    "relation": _("亲属"),
    "substance": _("过敏物质"),
    "reaction": _("过敏反应"),
    "severity": _("严重程度"),
    "dose": _("剂量"),
    "frequency": _("用法"),
    "adherence": _("服药依从性"),
    "active": _("仍在服用"),
    "data": _("内容"),
    "visit_number": _("体检号"),
    "visit_date": _("体检日期"),
    "package": _("套餐"),
    "status": _("状态"),
    "conclusions": _("总检结论"),
    "recommendations": _("健康建议"),
    "chief_physician_id": _("总检医生"),
    "concluded_at": _("总检时间"),
    "visit_id": _("所属体检"),
    "loinc": "LOINC",
    "local_code": _("本院项目代码"),
    "unit": _("单位"),
    "value_num": _("数值"),
    "value_code": _("编码结果"),
    "value_text": _("文字结果"),
    "ref_low": _("参考下限"),
    "ref_high": _("参考上限"),
    "flag": _("异常标识"),
    "effective": _("测量时间"),
    "source": _("来源"),
    "source_key": _("导入标识"),
    "sex": _("性别"),
    "birth_date": _("出生日期"),
    "birth_year": _("出生年份"),
    "mobile": _("手机号码"),
    "address": _("住址"),
    "emergency_contact": _("紧急联系人"),
    "occupation": _("职业"),
    "marital_status": _("婚姻状况"),
    "ethnicity": _("民族"),
    "insurance_type": _("医保类型"),
    "source_channel": _("来源渠道"),
    "consent_version": _("知情同意版本"),
    "consent_at": _("同意时间"),
    "manager_id": _("健康管理师"),
    "merged_into_id": _("合并至"),
    "type": _("证件类型"),
    "value": _("证件号码"),
    "is_primary": _("主要证件"),
}
# (resource type, field) → labels of the codes stored there
VALUE_LABELS: dict[tuple[str, str], Mapping[str, Any]] = {
    ("HistoryItem", "clinical_status"): sec.CLINICAL_STATUSES,
    ("HistoryItem", "kind"): KIND_LABELS,
    ("FamilyHistory", "relation"): sec.RELATIONS,
    ("Allergy", "severity"): sec.SEVERITIES,
    ("Medication", "adherence"): sec.ADHERENCE,
    ("Visit", "status"): VISIT_STATUS_LABELS,
    ("Observation", "flag"): FLAG_LABELS,
    ("Observation", "source"): SOURCE_LABELS,
    ("Customer", "sex"): SEX_LABELS,
    ("Customer", "status"): {"active": _("在册"), "merged": _("已合并"), "erased": _("已删除")},
    ("Customer", "source_channel"): SOURCE_CHANNEL_LABELS,
    ("CustomerIdentifier", "type"): {c: _(label) for c, label in ids.TYPES.items()},
}
# Where a resource names a field differently from FIELD_LABELS
RESOURCE_FIELD_LABELS = {("Customer", "name"): _("姓名"), ("Customer", "status"): _("档案状态")}
STAFF_FIELDS = {"chief_physician_id", "manager_id"}


# --- helpers ----------------------------------------------------------------------------------


def _deny(
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
        resource_id=str(resource_id),
        customer_id=customer_id,
        purpose=reason,
        defer=True,
    )
    return Http404()


def _customer_or_404(actor: Actor, customer_id: uuid.UUID, capability: str) -> Customer:
    customer = selectors.customer_for(actor, customer_id, capability)
    if customer is None:
        elsewhere = selectors.customer_exists_elsewhere(actor, customer_id)
        raise _deny(
            actor, "customer", customer_id, "other institution" if elsewhere else "not found"
        )
    return customer


def _row_or_404(
    actor: Actor, customer: Customer, model: Any, row_id: uuid.UUID, *, kind: str = ""
) -> Any:
    row = selectors.record_row(actor, model, customer, row_id, EDIT, kind=kind)
    if row is None:
        raise _deny(actor, model.__name__, row_id, "not in this record", customer.pk)
    return row


def _audit_view(actor: Actor, customer: Customer, resource_type: str) -> None:
    record(
        "customer.view",
        actor=actor,
        resource_type=resource_type,
        resource_id=str(customer.pk),
        customer_id=customer.pk,
        defer=True,
    )


def _show_error(form: Form, error: JianguanError) -> None:
    """The service's error next to the field it names, or above the form."""
    name = error.field if error.field in form.fields else None
    form.add_error(name, str(error.message))


def _text(value: Any) -> str:
    """A decrypted value for display: erased values read as the tombstone (LG-09)."""
    if value is None or value == "":
        return ""
    if isinstance(value, Shredded):
        return str(value)
    if isinstance(value, bool):
        return _g("是") if value else _g("否")
    if isinstance(value, dt.datetime):
        return formats.date_format(timezone.localtime(value), "Y-m-d H:i")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _label(labels: Mapping[str, Any], code: Any) -> str:
    if code is None or code == "" or isinstance(code, Shredded):
        return _text(code)
    return str(labels.get(str(code), code))


def _term(value: Any) -> str:
    """A value stored as its Chinese term (marital status, ethnicity, …), shown translated."""
    return _g(value) if isinstance(value, str) and value else _text(value)


def _number(value: Any, decimals: int | None = None) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _text(value)
    if decimals is not None:
        return f"{value:.{decimals}f}"
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _age(customer: Customer) -> int | None:
    born = customer.birth_date
    today = timezone.localdate()
    if isinstance(born, dt.date):
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return today.year - customer.birth_year if customer.birth_year else None


def _tab_url(customer: Customer, tab: str, **params: int) -> str:
    query = urlencode({"tab": tab, **params})
    return reverse("records:customer", kwargs={"customer_id": customer.pk}) + "?" + query


def _page_number(request: HttpRequest, name: str = "page") -> int:
    try:
        return max(1, int(request.GET.get(name, "1")))
    except ValueError:
        return 1


# --- the header -------------------------------------------------------------------------------


def _header(actor: Actor, customer: Customer) -> dict[str, Any]:
    facts = selectors.header_facts(actor, customer)
    ident = facts.identifier
    ident_value = ident.value if ident is not None and isinstance(ident.value, str) else ""
    mobile = customer.mobile if isinstance(customer.mobile, str) else ""
    return {
        "name": _text(customer.name),
        "sex": _label(SEX_LABELS, customer.sex),
        "age": _age(customer),
        "id_type": id_type_label(ident.type) if ident is not None else "",
        "id_masked": ids.mask_identifier(ident_value) if ident_value else "",
        "mobile_masked": ids.mask_mobile(mobile) if mobile else "",
        "card": facts.card,
        "card_level": _label(CARD_LEVEL_LABELS, facts.card.level) if facts.card else "",
        "manager": facts.manager_label,
        "facts": facts,
        "can_reveal": actor.can(REVEAL),
    }


# --- tabs -------------------------------------------------------------------------------------


def _basic(request: HttpRequest, actor: Actor, customer: Customer) -> dict[str, Any]:
    contact = customer.emergency_contact
    contact = contact if isinstance(contact, Mapping) else {}
    phone = str(contact.get("phone") or "")
    identifiers = [
        {
            "type": id_type_label(i.type),
            "masked": ids.mask_identifier(i.value) if isinstance(i.value, str) else _text(i.value),
            "primary": i.is_primary,
        }
        for i in selectors.identifiers_of(actor, customer)
    ]
    managers = selectors.staff_labels(actor, [customer.manager_id] if customer.manager_id else [])
    rows = [
        (_("姓名"), _text(customer.name)),
        (_("性别"), _label(SEX_LABELS, customer.sex)),
        (_("出生日期"), _text(customer.birth_date)),
        (
            _("手机号码"),
            ids.mask_mobile(customer.mobile) if isinstance(customer.mobile, str) else "",
        ),
        (_("住址"), _text(customer.address)),
        (_("职业"), _text(customer.occupation)),
        (_("婚姻状况"), _term(customer.marital_status)),
        (_("民族"), _term(customer.ethnicity)),
        (_("医保类型"), _term(customer.insurance_type)),
        (_("来源渠道"), _label(SOURCE_CHANNEL_LABELS, customer.source_channel)),
        (_("健康管理师"), managers.get(customer.manager_id, "") if customer.manager_id else ""),
        (_("建档时间"), _text(customer.created)),
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
        "consent_at": _text(customer.consent_at),
        "can_edit_identity": actor.can(ENROL),
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
                _text(r.name),
                _text(r.code),
                _text(r.onset),
                _label(sec.CLINICAL_STATUSES, r.clinical_status),
                _text(r.note),
            ]
        elif code == "disability":
            cells = [
                _label(sec.DISABILITIES, r.code),
                _text(r.name),
                _text(r.onset),
                _text(r.note),
            ]
        elif code in ("surgery", "trauma", "transfusion"):
            cells = [_text(r.name), _text(r.onset), _text(r.note)]
        elif code == "family":
            cells = [_label(sec.RELATIONS, r.relation), _text(r.name), _text(r.code), _text(r.note)]
        elif code == "allergy":
            cells = [_text(r.substance), _text(r.reaction), _label(sec.SEVERITIES, r.severity)]
        else:
            cells = [
                _text(r.name),
                _text(r.dose),
                _text(r.frequency),
                _label(sec.ADHERENCE, r.adherence),
                _g("在用") if r.active else _g("已停用"),
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
                    _label(sec.SMOKING, smoking.get("status")),
                    _g("每日 %(n)s 支") % {"n": smoking["per_day"]}
                    if smoking.get("per_day") is not None
                    else "",
                    _g("%(n)s 年") % {"n": smoking["years"]}
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
                    _label(sec.ALCOHOL, alcohol.get("status")),
                    _label(sec.ALCOHOL_TYPES, alcohol.get("type")),
                    _g("每周 %(n)s 两") % {"n": _number(alcohol["per_week"])}
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
                    _g("每周 %(n)s 次") % {"n": activity["per_week"]}
                    if activity.get("per_week") is not None
                    else "",
                    _g("每次 %(n)s 分钟") % {"n": activity["minutes"]}
                    if activity.get("minutes") is not None
                    else "",
                    str(activity.get("type") or ""),
                ),
            )
        )
    diet = data.get("diet") or []
    if diet:
        lines.append((_("饮食习惯"), "、".join(_label(sec.DIET, d) for d in diet)))
    if sleep.get("hours") is not None or sleep.get("quality"):
        lines.append(
            (
                _("睡眠"),
                join(
                    _g("每天 %(n)s 小时") % {"n": _number(sleep["hours"])}
                    if sleep.get("hours") is not None
                    else "",
                    _label(sec.SLEEP_QUALITY, sleep.get("quality")),
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


def _observation_row(obs: Observation) -> dict[str, Any]:
    name, group, decimals = _item(obs)
    if obs.value_num is not None:
        value = _number(obs.value_num, decimals)
    else:
        value = _text(obs.value_code) or _text(obs.value_text)
    flag = obs.flag if isinstance(obs.flag, str) else ""
    low, high = obs.ref_low, obs.ref_high
    if low is not None and high is not None:
        ref = f"{_number(low, decimals)}–{_number(high, decimals)}"
    elif high is not None:
        ref = f"≤ {_number(high, decimals)}"
    elif low is not None:
        ref = f"≥ {_number(low, decimals)}"
    else:
        ref = ""
    return {
        "name": name,
        "group": group,
        "loinc": obs.loinc,
        "local_code": obs.local_code,
        "value": value,
        "unit": obs.unit,
        "ref": ref,
        "flag": flag if flag in FLAG_LABELS else "",
        "flag_label": FLAG_LABELS.get(flag, ""),
        "effective": _text(obs.effective),
        "source": _label(SOURCE_LABELS, obs.source),
        "by": obs.created_by.username if obs.created_by_id and obs.created_by else "",
    }


def _grouped(observations: list[Observation]) -> list[dict[str, Any]]:
    """Rows grouped as the catalogue groups them (一般检查, 血常规, …), in catalogue order."""
    order = {code: n for n, code in enumerate(catalog.ITEMS)}
    rows = sorted(
        (_observation_row(o) for o in observations),
        key=lambda r: (order.get(r["local_code"], len(order)), r["effective"]),
    )
    groups: list[dict[str, Any]] = []
    for row in rows:
        title = row["group"] or _g("其他项目")
        if not groups or groups[-1]["title"] != title:
            groups.append({"title": title, "rows": []})
        groups[-1]["rows"].append(row)
    return groups


def _results(request: HttpRequest, actor: Actor, customer: Customer) -> dict[str, Any]:
    page = Paginator(selectors.visits_of(actor, customer), VISITS_PER_PAGE).get_page(
        _page_number(request)
    )
    visits: list[Visit] = list(page.object_list)
    grouped = selectors.observations_of_visits(actor, [v.pk for v in visits])
    loose_page = Paginator(selectors.loose_observations(actor, customer), LOOSE_PER_PAGE).get_page(
        _page_number(request, "mpage")
    )
    loose = [_observation_row(o) for o in loose_page.object_list]
    return {
        "visits": [
            {
                "visit": v,
                "status": _label(VISIT_STATUS_LABELS, v.status),
                "physician": v.chief_physician.username if v.chief_physician else "",
                "conclusions": _text(v.conclusions),
                "recommendations": _text(v.recommendations),
                "groups": groups,
                "count": sum(len(g["rows"]) for g in groups),
                "abnormal": sum(1 for g in groups for r in g["rows"] if r["flag"]),
            }
            for v, groups in ((v, _grouped(grouped.get(v.pk, []))) for v in visits)
        ],
        "page": page,
        "prev_url": _tab_url(customer, "results", page=page.previous_page_number())
        if page.has_previous()
        else "",
        "next_url": _tab_url(customer, "results", page=page.next_page_number())
        if page.has_next()
        else "",
        "loose": loose,
        "loose_groups": [{"title": "", "rows": loose}],
        "loose_page": loose_page,
        "loose_prev_url": _tab_url(customer, "results", mpage=loose_page.previous_page_number())
        if loose_page.has_previous()
        else "",
        "loose_next_url": _tab_url(customer, "results", mpage=loose_page.next_page_number())
        if loose_page.has_next()
        else "",
        "can_edit": actor.can(EDIT),
    }


def _timeline(request: HttpRequest, actor: Actor, customer: Customer) -> dict[str, Any]:
    """Enrolment, visits, card events and record changes, newest first; nothing decrypted."""
    tz = timezone.get_current_timezone()
    events: list[dict[str, Any]] = [
        {"at": customer.created, "kind": _g("建档"), "text": _g("客户建档"), "by": ""}
    ]
    for v in selectors.visits_of(actor, customer):
        events.append(
            {
                # A visit has a day, no time: it sorts after what was timed that day (the
                # enrolment and card of a walk-in come before their check-up).
                "at": dt.datetime.combine(v.visit_date, dt.time.max, tzinfo=tz),
                "date_only": True,
                "kind": _g("体检"),
                "text": " · ".join(
                    p
                    for p in (v.visit_number, v.package, _label(VISIT_STATUS_LABELS, v.status))
                    if p
                ),
                "by": v.chief_physician.username if v.chief_physician else "",
            }
        )
    for e in selectors.card_events_of(actor, customer):
        events.append(
            {
                "at": e.created,
                "kind": _g("会员卡"),
                "text": f"{e.card.number} · {_label(CARD_EVENT_LABELS, e.kind)}",
                "by": e.created_by.username if e.created_by else "",
            }
        )
    for g in selectors.change_groups(actor, customer):
        if g["action"] == "create" and g["resource_type"] in ("Customer", "CustomerIdentifier"):
            continue  # the enrolment itself is the first event
        events.append(
            {
                "at": g["at"],
                "kind": _g("档案修改"),
                "text": _g("%(action)s%(what)s %(n)s 条")
                % {
                    "action": _label(ACTION_LABELS, g["action"]),
                    "what": _label(RESOURCE_LABELS, g["resource_type"]),
                    "n": g["rows"],
                },
                "by": g["created_by__username"] or "",
            }
        )
    events.sort(key=lambda e: e["at"], reverse=True)
    page = Paginator(events, EVENTS_PER_PAGE).get_page(_page_number(request))
    for e in page.object_list:
        e["when"] = e["at"].date().isoformat() if e.get("date_only") else _text(e["at"])
    return {
        "events": page.object_list,
        "page": page,
        "prev_url": _tab_url(customer, "timeline", page=page.previous_page_number())
        if page.has_previous()
        else "",
        "next_url": _tab_url(customer, "timeline", page=page.next_page_number())
        if page.has_next()
        else "",
    }


def _shown(resource_type: str, name: str, value: Any, names: Mapping[str, str]) -> str:
    """A value of the record history as text: codes as labels, identifiers masked (D-16)."""
    if value is None or value == "":
        return "—"
    labels = VALUE_LABELS.get((resource_type, name))
    if labels is not None:
        return _label(labels, value)
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
            return _text(dt.datetime.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, float | int) and not isinstance(value, bool):
        return _number(value)
    return _text(value)


def _changed_parts(old: Any, new: Any) -> tuple[Any, Any]:
    """For two documents (lifestyle), only the parts that differ."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        keys = [k for k in {*old, *new} if old.get(k) != new.get(k) and k != "schema"]
        return {k: old.get(k) for k in keys}, {k: new.get(k) for k in keys}
    return old, new


def _changes(request: HttpRequest, actor: Actor, customer: Customer) -> dict[str, Any]:
    page = Paginator(selectors.record_changes(actor, customer), CHANGES_PER_PAGE).get_page(
        _page_number(request)
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
                "who": names.get(str(c.created_by_id), "") if c.created_by_id else _g("系统"),
                "when": _text(c.created),
                "resource": _label(RESOURCE_LABELS, c.resource_type),
                "field": str(
                    RESOURCE_FIELD_LABELS.get((c.resource_type, c.field))
                    or _label(FIELD_LABELS, c.field)
                ),
                "action": c.action,
                "action_label": _label(ACTION_LABELS, c.action),
                "old": _shown(c.resource_type, c.field, old, names),
                "new": _shown(c.resource_type, c.field, new, names),
            }
        )
    return {
        "changes": rows,
        "page": page,
        "prev_url": _tab_url(customer, "changes", page=page.previous_page_number())
        if page.has_previous()
        else "",
        "next_url": _tab_url(customer, "changes", page=page.next_page_number())
        if page.has_next()
        else "",
    }


def _cards(request: HttpRequest, actor: Actor, customer: Customer) -> dict[str, Any]:
    # The cards fragment and its actions belong to the cards pages (views/customers.py).
    return cards_context(actor, customer)


BUILDERS: dict[str, Callable[[HttpRequest, Actor, Customer], dict[str, Any]]] = {
    "basic": _basic,
    "history": _history,
    "results": _results,
    "timeline": _timeline,
    "changes": _changes,
    "cards": _cards,
}


@staff_view(IDENTITY)
def customer_360(request: HttpRequest, customer_id: uuid.UUID) -> HttpResponse:
    actor = actor_for(request)
    customer = selectors.customer_for(actor, customer_id, IDENTITY)
    if customer is None:
        merged = selectors.merged_into(actor, customer_id)
        if merged is not None:  # an old link to a merged duplicate: go to the kept record
            messages.info(request, _g("该客户档案已合并，以下是保留的档案。"))
            return redirect("records:customer", customer_id=merged)
        customer = _customer_or_404(actor, customer_id, IDENTITY)  # audits the denial
    code = request.GET.get("tab") or "basic"
    tab = TAB_BY_CODE.get(code)
    if tab is None or not actor.can(tab.capability):
        raise _deny(actor, "customer", customer.pk, f"tab not allowed: {code[:40]}", customer.pk)
    context: dict[str, Any] = {
        "customer": customer,
        "tab": tab,
        "tabs": [
            {"code": t.code, "label": t.label, "url": _tab_url(customer, t.code)}
            for t in TABS
            if actor.can(t.capability)
        ],
        "can_edit": actor.can(EDIT),
        **BUILDERS[tab.code](request, actor, customer),
    }
    _audit_view(actor, customer, f"customer.{tab.code}")
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == BODY_TARGET:
        return render(request, "records/_c360_body.html", context)
    context["header"] = _header(actor, customer)
    return render(request, "records/customer_360.html", context)


# --- section forms ----------------------------------------------------------------------------


def _section_or_404(actor: Actor, customer: Customer, code: str) -> sec.Section:
    try:
        return sec.section(code)
    except NotFound as exc:
        raise _deny(actor, "section", code[:40], "unknown section", customer.pk) from exc


def _back_to_history(customer: Customer) -> HttpResponse:
    return redirect(_tab_url(customer, "history"))


def _section_page(
    request: HttpRequest,
    customer: Customer,
    section: sec.Section,
    form: Form,
    *,
    row: Any = None,
    confirm_delete: bool = False,
) -> HttpResponse:
    return render(
        request,
        "records/section_form.html",
        {
            "customer": customer,
            "customer_name": _text(customer.name),
            "section": section,
            "form": form,
            "row": row,
            "confirm_delete": confirm_delete,
            "back_url": _tab_url(customer, "history"),
        },
    )


@staff_view(EDIT)
def section_add(request: HttpRequest, customer_id: uuid.UUID, section: str) -> HttpResponse:
    actor = actor_for(request)
    customer = _customer_or_404(actor, customer_id, EDIT)
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
    if request.method != "POST":
        _audit_view(actor, customer, f"form.{found.code}")  # the page names the customer
    elif form.is_valid():
        try:
            sec.add(actor, customer, found.code, form.cleaned_data)
        except InvalidValue as exc:
            _show_error(form, exc)
        except NotFound as exc:
            raise Http404 from exc
        else:
            messages.success(request, _g("已保存到%(section)s。") % {"section": found.label})
            return _back_to_history(customer)
    return _section_page(request, customer, found, form)


@staff_view(EDIT)
def section_edit(
    request: HttpRequest, customer_id: uuid.UUID, section: str, item_id: uuid.UUID
) -> HttpResponse:
    actor = actor_for(request)
    customer = _customer_or_404(actor, customer_id, EDIT)
    found = _section_or_404(actor, customer, section)
    row = _row_or_404(actor, customer, found.model, item_id, kind=found.kind)
    form_class = SECTION_FORMS[found.code]
    action = request.POST.get("action", "save") if request.method == "POST" else ""
    if action in ("delete", "delete_confirmed"):
        if action == "delete":
            return _section_page(
                request,
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
        messages.success(request, _g("已删除，删除前的内容保留在修改记录中。"))
        return _back_to_history(customer)
    if action == "save":
        form = form_class(request.POST)
        if form.is_valid():
            try:
                changed = sec.change(actor, customer, found.code, row, form.cleaned_data)
            except InvalidValue as exc:
                _show_error(form, exc)
            except NotFound as exc:
                raise Http404 from exc
            else:
                messages.success(request, _g("已保存。") if changed else _g("没有改动。"))
                return _back_to_history(customer)
    else:
        form = form_class(initial=initial_for(found.code, row))
        _audit_view(actor, customer, f"form.{found.code}")
    return _section_page(request, customer, found, form, row=row)


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
            _g("体质指数 BMI"),
            observations.bmi(values["height"], values["weight"]),
        )
    )


@staff_view(EDIT)
def vitals_add(request: HttpRequest, customer_id: uuid.UUID) -> HttpResponse:
    actor = actor_for(request)
    customer = _customer_or_404(actor, customer_id, EDIT)
    if request.method == "POST" and request.POST.get("preview") == "bmi":
        return _bmi_preview(request)
    visits = _visit_choices(actor, customer)
    form = VitalsForm(request.POST if request.method == "POST" else None, visits=visits)
    if request.method != "POST":
        _audit_view(actor, customer, "form.vitals")
    elif form.is_valid():
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
            _show_error(form, exc)
        else:
            bmi = next((o for o in saved if o.local_code == observations.BMI.key), None)
            text = _g("已录入 %(n)s 项。") % {"n": len(saved)}
            if bmi is not None:
                text += " " + _g("体质指数 BMI %(bmi)s kg/m²。") % {
                    "bmi": _number(bmi.value_num, 1)
                }
            messages.success(request, text)
            return redirect(_tab_url(customer, "results"))
    return render(
        request,
        "records/vitals_form.html",
        {
            "customer": customer,
            "customer_name": _text(customer.name),
            "form": form,
            "back_url": _tab_url(customer, "results"),
        },
    )


@staff_view(CONCLUDE)
def visit_conclusions(
    request: HttpRequest, customer_id: uuid.UUID, visit_id: uuid.UUID
) -> HttpResponse:
    actor = actor_for(request)
    customer = _customer_or_404(actor, customer_id, EDIT)
    visit = _row_or_404(actor, customer, Visit, visit_id)
    if request.method == "POST":
        form = ConclusionsForm(request.POST)
        if form.is_valid():
            try:
                changed = sec.conclude_visit(actor, customer, visit, form.cleaned_data)
            except InvalidValue as exc:
                _show_error(form, exc)
            except NotFound as exc:
                raise Http404 from exc
            else:
                messages.success(request, _g("总检结论已签署。") if changed else _g("没有改动。"))
                return redirect(_tab_url(customer, "results"))
    else:
        form = ConclusionsForm(
            initial={
                "conclusions": _text(visit.conclusions),
                "recommendations": _text(visit.recommendations),
            }
        )
        _audit_view(actor, customer, "form.conclusions")
    return render(
        request,
        "records/visit_conclusions.html",
        {
            "customer": customer,
            "customer_name": _text(customer.name),
            "visit": visit,
            "status": _label(VISIT_STATUS_LABELS, visit.status),
            "physician": visit.chief_physician.username if visit.chief_physician else "",
            "form": form,
            "back_url": _tab_url(customer, "results"),
        },
    )
