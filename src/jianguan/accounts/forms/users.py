"""Forms of the user and team administration pages.

The forms only parse input; the rules (mobile format, role combinations, last admin, tenancy)
live in `services.users`, whose errors the views put next to the field they name.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import matrix
from ..models import User
from ..selectors import STATUS_ACTIVE, STATUS_DISABLED, STATUS_NO_MFA


def role_label(code: str) -> str:
    """The translated label of a role code (the matrix holds the Chinese msgid, D-10)."""
    label = matrix.roles().get(code)
    return gettext(label) if label else code


def role_choices() -> list[tuple[str, str]]:
    return [(code, role_label(code)) for code in matrix.roles()]


def user_choice_label(user: User) -> str:
    name = user.full_name
    return f"{name}（{user.username}）" if isinstance(name, str) and name else user.username


class RolesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("角色"))
        kwargs.setdefault(
            "help_text", _("机构管理员、安全管理员、审计管理员三者不可由同一人兼任。")
        )
        kwargs.setdefault("error_messages", {"required": _("请至少选择一个角色")})
        super().__init__(choices=role_choices, **kwargs)


class UserEditForm(forms.Form):
    full_name = forms.CharField(
        label=_("姓名"), max_length=100, error_messages={"required": _("请输入姓名")}
    )
    mobile = forms.CharField(
        label=_("手机号码"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    email = forms.CharField(
        label=_("电子邮箱"),
        max_length=254,
        required=False,
        widget=forms.TextInput(attrs={"type": "email", "autocomplete": "off"}),
    )
    roles = RolesField()

    @classmethod
    def initial_for(cls, user: User) -> dict[str, Any]:
        return {
            "full_name": user.full_name if isinstance(user.full_name, str) else "",
            "mobile": user.mobile if isinstance(user.mobile, str) else "",
            "email": user.email if isinstance(user.email, str) else "",
            "roles": sorted(user.role_codes),
        }


class UserCreateForm(UserEditForm):
    """The edit form's fields with the username first."""

    username = forms.CharField(
        label=_("用户名"),
        max_length=64,
        help_text=_("登录名，3–64 位字母、数字、点、下划线或连字符。"),
        error_messages={"required": _("请输入用户名")},
    )
    field_order = ["username", "full_name", "mobile", "email", "roles"]


class UserFilterForm(forms.Form):
    role = forms.ChoiceField(label=_("角色"), required=False)
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[
            ("", _("全部")),
            (STATUS_ACTIVE, _("在用")),
            (STATUS_DISABLED, _("已停用")),
            (STATUS_NO_MFA, _("未绑定验证器")),
        ],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", gettext("全部")), *role_choices()]  # type: ignore[attr-defined]


class UserSearchForm(forms.Form):
    """Name or mobile: sent by POST so it never lands in a URL or access log (D-15)."""

    q = forms.CharField(
        label=_("按姓名或手机号码查找"),
        max_length=100,
        error_messages={"required": _("请输入完整姓名或手机号码")},
        help_text=_("精确匹配完整姓名或 11 位手机号码。"),
    )


class TeamForm(forms.Form):
    name = forms.CharField(
        label=_("团队名称"), max_length=100, error_messages={"required": _("请输入团队名称")}
    )
    lead = forms.ChoiceField(label=_("组长"), required=False)
    members = forms.MultipleChoiceField(
        label=_("成员"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, users: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(str(u.pk), user_choice_label(u)) for u in users]
        self.fields["lead"].choices = [("", gettext("（无）")), *choices]  # type: ignore[attr-defined]
        self.fields["members"].choices = choices  # type: ignore[attr-defined]
