"""Forms of the customer pages: search, list filters, enrolment, basic-info edit, merge search.

The forms parse; the rules (ID number checksum, mobile format, duplicates, consent) live in
`services.enrolment` and `services.profile`, whose errors the views put next to the field they
name. Field names match the services' `field=` names for that reason.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .. import identifiers as ids
from ..selectors import SORTS, CustomerFilter
from ..services.enrolment import CONSENT_VERSION, EnrolmentData
from ..services.profile import BasicInfo
from . import choices

UNASSIGNED = "none"
_PHONE = re.compile(r"[0-9+\-() ]{5,30}")

TEXT_OFF = {"autocomplete": "off", "spellcheck": "false"}


def _manager_choices(managers: list[tuple[uuid.UUID, str]], blank: object) -> list[Any]:
    return [("", blank)] + [(str(pk), label) for pk, label in managers]


class CustomerSearchForm(forms.Form):
    """The search box: a POST, so that the value never reaches a URL or a log (D-15)."""

    q = forms.CharField(
        label=_("查找客户"),
        max_length=60,
        help_text=_("输入证件号码、手机号、会员卡号或完整姓名"),
        error_messages={"required": _("请输入要查找的内容")},
        widget=forms.TextInput(attrs={**TEXT_OFF, "type": "search"}),
    )


class CustomerFilterForm(forms.Form):
    """Filters on plaintext columns (D-01); read from the query string."""

    manager = forms.ChoiceField(label=_("健康管理师"), required=False)
    sex = forms.ChoiceField(
        label=_("性别"),
        required=False,
        choices=[("", _("全部")), ("M", _("男")), ("F", _("女")), ("U", _("未知"))],
    )
    age_min = forms.IntegerField(label=_("年龄自"), required=False, min_value=0, max_value=130)
    age_max = forms.IntegerField(
        label=_("年龄至"),
        required=False,
        min_value=0,
        max_value=130,
        # birth_year is the only plaintext part of the birth date (D-01): the list filters by it
        help_text=_("按出生年份计算"),
    )
    card_level = forms.ChoiceField(
        label=_("会员卡级别"), required=False, choices=[("", _("全部")), *choices.CARD_LEVELS]
    )
    tag = forms.ChoiceField(
        label=_("标签"),
        required=False,
        disabled=True,
        choices=[("", _("标签功能将在后续版本提供"))],
    )
    sort = forms.ChoiceField(
        label=_("排序"),
        required=False,
        choices=[
            ("new", _("最近建档")),
            ("old", _("最早建档")),
            ("young", _("年龄从小到大")),
            ("elder", _("年龄从大到小")),
        ],
    )

    def __init__(self, *args: Any, managers: list[tuple[uuid.UUID, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["manager"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            ("", _("全部")),
            (UNASSIGNED, _("未分配")),
            *[(str(pk), label) for pk, label in managers],
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("age_min"), data.get("age_max")
        if low is not None and high is not None and low > high:
            self.add_error("age_max", _("年龄上限不能小于下限"))
        return data

    def to_filter(self) -> CustomerFilter:
        data = self.cleaned_data
        manager = data.get("manager") or ""
        return CustomerFilter(
            manager_id=uuid.UUID(manager) if manager and manager != UNASSIGNED else None,
            unassigned=manager == UNASSIGNED,
            sex=data.get("sex") or "",
            age_min=data.get("age_min"),
            age_max=data.get("age_max"),
            card_level=data.get("card_level") or "",
            sort=str(data.get("sort") or "new") if data.get("sort") in SORTS else "new",
        )


class _IdentityFields(forms.Form):
    """The fields enrolment and the basic-info edit share, in the order a clerk fills them."""

    name = forms.CharField(
        label=_("姓名"),
        max_length=60,
        error_messages={"required": _("请输入姓名")},
        widget=forms.TextInput(attrs={**TEXT_OFF, "autofocus": True}),
    )
    id_type = forms.ChoiceField(label=_("证件类型"), choices=choices.id_type_choices)
    id_number = forms.CharField(
        label=_("证件号码"),
        max_length=40,
        required=False,
        help_text=_("居民身份证号码填写后，出生日期和性别留空时将自动填写"),
        widget=forms.TextInput(attrs=TEXT_OFF),
    )
    mobile = forms.CharField(
        label=_("手机号码"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={**TEXT_OFF, "type": "tel", "inputmode": "tel"}),
    )
    sex = forms.ChoiceField(label=_("性别"), choices=choices.SEX, required=False)
    birth_date = forms.DateField(
        label=_("出生日期"),
        required=False,
        error_messages={"invalid": _("请输入有效日期，如 1980-01-31")},
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    address = forms.CharField(
        label=_("住址"), max_length=200, required=False, widget=forms.TextInput(attrs=TEXT_OFF)
    )
    emergency_name = forms.CharField(
        label=_("紧急联系人"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs=TEXT_OFF),
    )
    emergency_relation = forms.ChoiceField(label=_("与本人关系"), required=False)
    emergency_phone = forms.CharField(
        label=_("紧急联系人电话"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={**TEXT_OFF, "type": "tel", "inputmode": "tel"}),
    )
    occupation = forms.CharField(label=_("职业"), max_length=60, required=False)
    marital_status = forms.ChoiceField(label=_("婚姻状况"), required=False)
    ethnicity = forms.ChoiceField(label=_("民族"), required=False)
    insurance_type = forms.ChoiceField(label=_("医疗保险类型"), required=False)
    source_channel = forms.ChoiceField(
        label=_("客户来源"),
        required=False,
        choices=[("", _("未填")), *choices.SOURCE_CHANNELS],
    )

    def __init__(self, *args: Any, current: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = current or {}
        for name, values in (
            ("emergency_relation", choices.RELATIONS),
            ("marital_status", choices.MARITAL_STATUSES),
            ("ethnicity", choices.ETHNICITIES),
            ("insurance_type", choices.INSURANCE_TYPES),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = choices.terms(values, current.get(name, ""), blank=_("未填"))

    def clean_emergency_phone(self) -> str:
        value = str(self.cleaned_data.get("emergency_phone") or "").strip()
        if value and not _PHONE.fullmatch(value):
            raise forms.ValidationError(
                _("请填写手机号或座机号码（数字，可含 -）"), code="phone_format"
            )
        return value

    def clean_sex(self) -> str:
        return str(self.cleaned_data.get("sex") or "U")

    def emergency_contact(self) -> dict[str, str]:
        data = self.cleaned_data
        return {
            "name": data.get("emergency_name") or "",
            "relation": data.get("emergency_relation") or "",
            "phone": data.get("emergency_phone") or "",
        }


class EnrolmentForm(_IdentityFields):
    """客户开卡: the identity fields, then the manager, an optional card and the consent."""

    manager = forms.ChoiceField(label=_("健康管理师"), required=False)
    card_level = forms.ChoiceField(
        label=_("同时办理会员卡"),
        required=False,
        choices=[("", _("暂不办卡")), *choices.CARD_LEVELS],
    )
    consent = forms.BooleanField(
        label=_("客户已阅读并同意《个人信息处理规则》"),
        required=False,
        help_text=_("告知版本 %(version)s，全文见下方") % {"version": CONSENT_VERSION},
    )

    def __init__(self, *args: Any, managers: list[tuple[uuid.UUID, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["manager"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _manager_choices(managers, _("暂不分配"))
        if not self.is_bound:
            self.initial.setdefault("id_type", ids.RESIDENT_ID)
            self.initial.setdefault("source_channel", "walk_in")

    def to_data(self) -> EnrolmentData:
        data = self.cleaned_data
        manager = data.get("manager") or ""
        return EnrolmentData(
            name=data["name"],
            sex=data["sex"],
            birth_date=data.get("birth_date"),
            id_type=data["id_type"],
            id_number=data.get("id_number") or "",
            mobile=data.get("mobile") or "",
            address=data.get("address") or "",
            emergency_contact={k: v for k, v in self.emergency_contact().items() if v},
            occupation=data.get("occupation") or "",
            marital_status=data.get("marital_status") or "",
            ethnicity=data.get("ethnicity") or "",
            insurance_type=data.get("insurance_type") or "",
            source_channel=data.get("source_channel") or "",
            consent=bool(data.get("consent")),
            manager_id=uuid.UUID(manager) if manager else None,
            card_level=data.get("card_level") or "",
        )


class CustomerEditForm(_IdentityFields):
    """Basic information of an enrolled customer; the manager only for those who may assign."""

    manager = forms.ChoiceField(label=_("健康管理师"), required=False)

    def __init__(
        self,
        *args: Any,
        managers: list[tuple[uuid.UUID, str]],
        can_edit: bool,
        can_assign: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if can_assign:
            field = self.fields["manager"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = _manager_choices(managers, _("未分配"))
        else:
            del self.fields["manager"]
        if not can_edit:
            for name in list(self.fields):
                if name != "manager":
                    del self.fields[name]
        sex = self.fields.get("sex")
        if isinstance(sex, forms.ChoiceField):
            sex.choices = [("U", _("未知")), ("M", _("男")), ("F", _("女"))]

    @property
    def edits_identity(self) -> bool:
        return "name" in self.fields

    def to_info(self) -> BasicInfo:
        """Blank ID number and mobile mean "unchanged": the form never holds their full values."""
        data = self.cleaned_data
        return BasicInfo(
            name=data["name"],
            sex=data["sex"],
            birth_date=data.get("birth_date"),
            id_type=data["id_type"],
            id_number=data.get("id_number") or None,
            mobile=data.get("mobile") or None,
            address=data.get("address") or "",
            # A blank phone keeps the stored one, as for the mobile: it is never put in the form.
            emergency_contact={
                k: v for k, v in self.emergency_contact().items() if v or k != "phone"
            },
            occupation=data.get("occupation") or "",
            marital_status=data.get("marital_status") or "",
            ethnicity=data.get("ethnicity") or "",
            insurance_type=data.get("insurance_type") or "",
            source_channel=data.get("source_channel") or "",
        )

    def manager_id(self) -> uuid.UUID | None:
        value = self.cleaned_data.get("manager") or ""
        return uuid.UUID(value) if value else None

    @staticmethod
    def initial_for(customer: Any, id_type: str, id_number: str) -> dict[str, Any]:
        contact = customer.emergency_contact if isinstance(customer.emergency_contact, dict) else {}

        def text(value: Any) -> str:
            return value if isinstance(value, str) else ""

        birth = customer.birth_date
        return {
            "name": text(customer.name),
            "sex": customer.sex,
            "birth_date": birth if isinstance(birth, dt.date) else None,
            "id_type": id_type or ids.RESIDENT_ID,
            "id_number": id_number,
            "mobile": "",  # never the full value in a form (D-16): blank keeps it
            "address": text(customer.address),
            "emergency_name": contact.get("name", ""),
            "emergency_relation": contact.get("relation", ""),
            "emergency_phone": "",
            "occupation": text(customer.occupation),
            "marital_status": text(customer.marital_status),
            "ethnicity": text(customer.ethnicity),
            "insurance_type": text(customer.insurance_type),
            "source_channel": customer.source_channel,
            "manager": str(customer.manager_id) if customer.manager_id else "",
        }


class DecisionForm(forms.Form):
    """What a person decides about warnings and suspected duplicates (D-29).

    `seen_*` carry what was shown, so that a tick confirms those warnings and those customers
    only: a new warning or another duplicate after an edit is shown again.
    """

    confirm_warnings = forms.BooleanField(label=_("确认无误，继续建档"), required=False)
    allow_duplicate = forms.BooleanField(label=_("仍然新建"), required=False)
    seen_warnings = forms.CharField(required=False, widget=forms.HiddenInput)
    seen_duplicates = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        warnings: list[str] | None = None,
        duplicates: list[uuid.UUID] | None = None,
        confirm_label: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if warnings is None:
            del self.fields["confirm_warnings"]
        else:
            self.initial["seen_warnings"] = ",".join(warnings)
            if confirm_label is not None:
                self.fields["confirm_warnings"].label = confirm_label
        if duplicates is None:
            del self.fields["allow_duplicate"]
        else:
            self.initial["seen_duplicates"] = ",".join(str(d) for d in duplicates)

    def confirmed_warnings(self) -> set[str]:
        if not self.is_valid() or not self.cleaned_data.get("confirm_warnings"):
            return set()
        return {w for w in self.cleaned_data.get("seen_warnings", "").split(",") if w}

    def allowed_duplicates(self) -> set[str]:
        if not self.is_valid() or not self.cleaned_data.get("allow_duplicate"):
            return set()
        return {d for d in self.cleaned_data.get("seen_duplicates", "").split(",") if d}


class MergeSearchForm(forms.Form):
    """Find the duplicate to merge: an ID number, a mobile or a card number."""

    q = forms.CharField(
        label=_("查找要合并的重复客户"),
        max_length=60,
        help_text=_("输入对方的证件号码、手机号或会员卡号"),
        error_messages={"required": _("请输入要查找的内容")},
        widget=forms.TextInput(attrs={**TEXT_OFF, "type": "search"}),
    )
