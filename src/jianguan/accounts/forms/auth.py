"""Forms of the sign-in pages: they parse and validate; services decide (STYLE: thin views)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ..models import User
from ..services.auth import validate_new_password

# Long enough for any passphrase the validators accept, short enough to bound hashing work.
PASSWORD_INPUT_MAX = 1024


def _password_field(label: Any, autocomplete: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        max_length=PASSWORD_INPUT_MAX,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


def _code_field(label: Any = None, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label or _("验证码"),
        max_length=32,
        help_text=help_text,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("用户名"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    password = _password_field(_("密码"), "current-password")
    next = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)


class SecondFactorForm(forms.Form):
    code = _code_field(help_text=_("认证器上当前显示的 6 位数字；手机丢失时可输入一个恢复码。"))


class EnrolForm(forms.Form):
    code = _code_field(help_text=_("用认证器扫描二维码后，输入它显示的 6 位数字。"))


class ReEnrolForm(EnrolForm):
    end_other_sessions = forms.BooleanField(
        label=_("同时结束我在其他设备上的会话"), required=False, initial=True
    )


class ReauthForm(forms.Form):
    password = _password_field(_("密码"), "current-password")
    code = _code_field(help_text=_("认证器上当前显示的 6 位数字。"))


class NewPasswordForm(forms.Form):
    """A new password twice, checked by the configured validators for this user (D-19)."""

    password1 = _password_field(_("新密码"), "new-password")
    password2 = _password_field(_("再次输入新密码"), "new-password")

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password1(self) -> str:
        password: str = self.cleaned_data["password1"]
        validate_new_password(password, self.user)
        return password

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error(
                "password2", ValidationError(_("两次输入的密码不一致。"), code="password_mismatch")
            )
        return cleaned
