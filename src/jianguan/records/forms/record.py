"""Forms of the health record's sections, vitals and visit conclusions.

They only parse: required names, ICD-10 shapes, date limits, number ranges and code lists are
checked by `services.sections` and `services.observations`, whose errors (InvalidValue with the
field) the views put next to the field, so every rule has one place and one message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jianguan.core.fields import Shredded

from ..services import sections as s
from ..services.observations import VITALS

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _choices(labels: Mapping[str, Promise], blank: Promise | None = None) -> list[tuple[str, Any]]:
    head: list[tuple[str, Any]] = [("", blank or "—")]
    return head + list(labels.items())


def _text(label: StrOrPromise, *, help_text: StrOrPromise = "", **attrs: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.TextInput(attrs={"autocomplete": "off", **attrs}),
    )


NOTE = _("备注")


def _note(label: StrOrPromise = NOTE) -> forms.CharField:
    return forms.CharField(label=label, required=False, widget=forms.Textarea(attrs={"rows": 3}))


def _date(label: StrOrPromise) -> forms.DateField:
    return forms.DateField(label=label, required=False, widget=DATE)


def _number(label: StrOrPromise, *, help_text: StrOrPromise = "") -> forms.CharField:
    return _text(label, help_text=help_text, inputmode="decimal")


class ConditionForm(forms.Form):
    name = _text(_("疾病名称"), autofocus="autofocus")
    code = _text(_("ICD-10 编码"), help_text=_("如 I10（高血压）、E11.9（2 型糖尿病）"))
    onset = _date(_("确诊日期"))
    clinical_status = forms.ChoiceField(
        label=_("目前状况"), choices=_choices(s.CLINICAL_STATUSES), required=False
    )
    note = _note()


class SurgeryForm(forms.Form):
    name = _text(_("手术名称"), autofocus="autofocus")
    onset = _date(_("手术日期"))
    note = _note()


class TraumaForm(forms.Form):
    name = _text(_("外伤情况"), autofocus="autofocus")
    onset = _date(_("发生日期"))
    note = _note()


class TransfusionForm(forms.Form):
    name = _text(_("输血原因"), autofocus="autofocus")
    onset = _date(_("输血日期"))
    note = _note()


class DisabilityForm(forms.Form):
    code = forms.ChoiceField(label=_("残疾类别"), choices=_choices(s.DISABILITIES), required=False)
    name = _text(_("具体情况"))
    onset = _date(_("发生日期"))
    note = _note()


class FamilyForm(forms.Form):
    relation = forms.ChoiceField(label=_("亲属"), choices=_choices(s.RELATIONS), required=False)
    name = _text(_("疾病名称"))
    code = _text(_("ICD-10 编码"), help_text=_("如 I10、E11.9、C34.9"))
    note = _note()


class AllergyForm(forms.Form):
    substance = _text(_("过敏物质"), autofocus="autofocus", help_text=_("如 青霉素、磺胺、花粉"))
    reaction = _text(_("过敏反应"), help_text=_("如 皮疹、呼吸困难"))
    severity = forms.ChoiceField(
        label=_("严重程度"), choices=_choices(s.SEVERITIES), required=False
    )


class MedicationForm(forms.Form):
    name = _text(_("药品名称"), autofocus="autofocus")
    dose = _text(_("剂量"), help_text=_("如 5 mg"))
    frequency = _text(_("用法"), help_text=_("如 每日 1 次"))
    adherence = forms.ChoiceField(
        label=_("服药依从性"), choices=_choices(s.ADHERENCE), required=False
    )
    active = forms.BooleanField(label=_("目前仍在服用"), required=False, initial=True)


class LifestyleForm(forms.Form):
    smoking_status = forms.ChoiceField(
        label=_("吸烟情况"), choices=_choices(s.SMOKING), required=False
    )
    smoking_per_day = _number(_("日吸烟量（支）"))
    smoking_years = _number(_("吸烟年数"))
    alcohol_status = forms.ChoiceField(
        label=_("饮酒情况"), choices=_choices(s.ALCOHOL), required=False
    )
    alcohol_type = forms.ChoiceField(
        label=_("主要酒类"), choices=_choices(s.ALCOHOL_TYPES), required=False
    )
    alcohol_per_week = _number(_("每周饮酒量（两）"), help_text=_("折合白酒，1 两 = 50 ml"))
    activity_per_week = _number(_("锻炼频率（次/周）"))
    activity_minutes = _number(_("每次锻炼时间（分钟）"))
    activity_type = _text(_("锻炼方式"), help_text=_("如 快走、游泳、太极拳"))
    diet = forms.MultipleChoiceField(
        label=_("饮食习惯"),
        choices=list(s.DIET.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sleep_hours = _number(_("平均睡眠时间（小时/天）"))
    sleep_quality = forms.ChoiceField(
        label=_("睡眠质量"), choices=_choices(s.SLEEP_QUALITY), required=False
    )
    occupational_exposure = forms.CharField(
        label=_("职业暴露"),
        required=False,
        help_text=_("工种、从业年数及接触的粉尘、放射物质、化学物质、噪声等"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    @staticmethod
    def initial_from(data: Mapping[str, Any]) -> dict[str, Any]:
        """The form's fields from a stored Lifestyle.data document."""

        def part(key: str) -> Mapping[str, Any]:
            value = data.get(key)
            return value if isinstance(value, Mapping) else {}

        def text(value: Any) -> str:
            return "" if value is None else str(value)

        smoking, alcohol = part("smoking"), part("alcohol")
        activity, sleep = part("activity"), part("sleep")
        return {
            "smoking_status": smoking.get("status") or "",
            "smoking_per_day": text(smoking.get("per_day")),
            "smoking_years": text(smoking.get("years")),
            "alcohol_status": alcohol.get("status") or "",
            "alcohol_type": alcohol.get("type") or "",
            "alcohol_per_week": text(alcohol.get("per_week")),
            "activity_per_week": text(activity.get("per_week")),
            "activity_minutes": text(activity.get("minutes")),
            "activity_type": activity.get("type") or "",
            "diet": list(data.get("diet") or []),
            "sleep_hours": text(sleep.get("hours")),
            "sleep_quality": sleep.get("quality") or "",
            "occupational_exposure": data.get("occupational_exposure") or "",
        }


SECTION_FORMS: dict[str, type[forms.Form]] = {
    "condition": ConditionForm,
    "surgery": SurgeryForm,
    "trauma": TraumaForm,
    "transfusion": TransfusionForm,
    "disability": DisabilityForm,
    "family": FamilyForm,
    "allergy": AllergyForm,
    "medication": MedicationForm,
    "lifestyle": LifestyleForm,
}


def initial_for(code: str, row: Any) -> dict[str, Any]:
    """A stored row as the initial values of its section's form (decrypted here, for the form)."""
    if code == "lifestyle":
        data = row.data
        return LifestyleForm.initial_from(data if isinstance(data, Mapping) else {})
    form_class = SECTION_FORMS[code]
    initial: dict[str, Any] = {}
    for name in form_class.base_fields:
        value = getattr(row, name, None)
        initial[name] = "" if value is None or isinstance(value, Shredded) else value
    return initial


class VitalsForm(forms.Form):
    height = _number(_("身高（cm）"))
    weight = _number(_("体重（kg）"))
    waist = _number(_("腰围（cm）"))
    systolic = _number(_("收缩压（mmHg）"))
    diastolic = _number(_("舒张压（mmHg）"))
    heart_rate = _number(_("心率（次/分）"))
    visit = forms.ChoiceField(label=_("所属体检"), required=False)
    effective = forms.DateTimeField(
        label=_("测量时间"),
        required=False,
        help_text=_("留空则为现在"),
        widget=forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"}),
    )

    def __init__(self, *args: Any, visits: Sequence[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["visit"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("不关联体检")), *visits]

    def clean_effective(self) -> dt.datetime | None:
        value = self.cleaned_data.get("effective")
        # A few minutes of clock difference between the device and the server are no error.
        if value is not None and value > timezone.now() + dt.timedelta(minutes=5):
            raise forms.ValidationError(_("测量时间不能晚于现在"), code="effective_future")
        return value

    def vitals(self) -> dict[str, str]:
        return {key: self.cleaned_data.get(key) or "" for key in VITALS}


class ConclusionsForm(forms.Form):
    conclusions = forms.CharField(
        label=_("总检结论"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    recommendations = forms.CharField(
        label=_("健康建议"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )


class CorrectionForm(forms.Form):
    """Correct a manually entered result: the new value and why (kept as the result's note)."""

    value = forms.CharField(label=_("更正后的结果"), max_length=40)
    reason = forms.CharField(
        label=_("更正原因"), max_length=200, widget=forms.Textarea(attrs={"rows": 2})
    )


class WithdrawForm(forms.Form):
    """Mark a result entered in error: it leaves the results; the record history keeps it."""

    reason = forms.CharField(
        label=_("原因"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("例如：录到了其他客户名下、重复录入"),
    )
