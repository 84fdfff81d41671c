"""The auditor's filters: who, which customer, which action, outcome and time range."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jianguan.accounts.models import User

TIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"]

# Actions other parts record (datalist suggestions; any dotted name can be typed).
KNOWN_ACTIONS = (
    "access.denied",
    "audit.export",
    "auth.lockout",
    "auth.login",
    "auth.login_failed",
    "auth.logout",
    "auth.mfa_enrol",
    "auth.mfa_reset",
    "auth.password_change",
    "auth.reauth",
    "keys.replay_deletions",
    "keys.retire",
    "keys.rewrap",
    "keys.rotate",
    "session.use_after_expire",
    "user.create",
    "user.disable",
    "user.enable",
    "user.role_change",
    "user.update",
    "user.view",
)


def _time_field(label: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=False,
        input_formats=TIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": _("请输入有效的日期和时间")},
    )


class EntryFilterForm(forms.Form):
    user = forms.CharField(label=_("用户名"), required=False, max_length=64)
    customer = forms.UUIDField(
        label=_("客户 ID"),
        required=False,
        error_messages={"invalid": _("客户 ID 应为 UUID（32 位十六进制数字，可带连字符）")},
    )
    action = forms.CharField(
        label=_("操作"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"list": "audit-actions"}),
        help_text=_("精确匹配；以 .* 结尾按前缀匹配，如 auth.*"),
    )
    outcome = forms.ChoiceField(
        label=_("结果"),
        required=False,
        choices=[
            ("", _("全部")),
            ("success", _("成功")),
            ("failure", _("失败")),
            ("denied", _("拒绝")),
        ],
    )
    since = _time_field(_("起始时间"))
    until = _time_field(_("截止时间"))

    def __init__(self, *args: Any, institution_id: uuid.UUID | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.institution_id = institution_id
        self.actor_id: uuid.UUID | None = None

    def clean_user(self) -> str:
        username: str = self.cleaned_data.get("user", "").strip()
        if username:
            found = (
                User.objects.unscoped(reason="audit filter")
                .filter(username=username, institution_id=self.institution_id)
                .values_list("pk", flat=True)
                .first()
            )
            if found is None:
                raise forms.ValidationError(_("本机构没有这个用户名"), code="unknown_user")
            self.actor_id = found
        return username

    def clean_action(self) -> str:
        action: str = self.cleaned_data.get("action", "").strip()
        name = action.removesuffix(".*")
        if action and not all(part.replace("_", "").isalnum() for part in name.split(".")):
            raise forms.ValidationError(
                _("操作名由小写字母、数字、下划线和点组成，如 auth.login"), code="invalid_action"
            )
        return action

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error(
                "until", forms.ValidationError(_("截止时间早于起始时间"), code="bad_range")
            )
        return data
