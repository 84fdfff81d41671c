"""Password rules (D-19, AUTHN-02): ASVS by default, composition per institution when switched on.

Any composition of 8 to 128 characters is accepted unless it is common or follows a pattern an
attacker tries first: Django's bundled list of 20 000 common passwords, a Chinese list written
for this project (`data/cn-common-passwords.txt`), keyboard walks, digit runs, dates, mobile
numbers, the product's and the institution's own names, and the user's own attributes. There is
no online breach check: the product runs offline. Every refusal says why, with a stable code.
"""

from __future__ import annotations

import datetime as dt
import gzip
import re
from functools import cache
from pathlib import Path
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CN_LIST = Path(__file__).with_name("data") / "cn-common-passwords.txt"
MIN_LENGTH = 8
MAX_LENGTH = 128

# Keyboard walks on a US layout (what Chinese users type on too), rows and columns.
KEYBOARD_LINES = (
    "`1234567890-=",
    "qwertyuiop[]\\",
    "asdfghjkl;'",
    "zxcvbnm,./",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/",
    "qazwsxedcrfvtgbyhnujmik,ol.p;/",
    "!@#$%^&*()_+",
)
DIGIT_RUNS = "01234567890123456789"
PRODUCT_WORDS = ("jianguan", "tijian", "健管", "体检")
MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
EDGE_RE = re.compile(r"^[^a-z\u4e00-\u9fff]{1,4}|[^a-z\u4e00-\u9fff]{1,4}$")
REPEAT_RE = re.compile(r"^(.{1,4}?)\1+$", re.DOTALL)


@cache
def common_passwords() -> frozenset[str]:
    """Django's list of common passwords plus the Chinese list, lower case."""
    django_list = Path(password_validation.__file__).with_name("common-passwords.txt.gz")
    with gzip.open(django_list, "rt", encoding="utf-8") as fh:
        words = {line.strip() for line in fh if line.strip()}
    for line in CN_LIST.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.add(line.lower())
    return frozenset(words)


def _is_date(digits: str) -> bool:
    """YYYYMMDD, DDMMYYYY or MMDDYYYY between 1900 and 2099, or YYMMDD."""
    candidates: list[tuple[str, str, str]] = []
    if len(digits) == 8:
        candidates = [
            (digits[:4], digits[4:6], digits[6:]),
            (digits[4:], digits[2:4], digits[:2]),
            (digits[4:], digits[:2], digits[2:4]),
        ]
    elif len(digits) == 6:
        candidates = [
            ("19" + digits[:2], digits[2:4], digits[4:]),
            ("20" + digits[:2], digits[2:4], digits[4:]),
        ]
    for year, month, day in candidates:
        if not 1900 <= int(year) <= 2099:
            continue
        try:
            dt.date(int(year), int(month), int(day))
        except ValueError:
            continue
        return True
    return False


def _is_keyboard_walk(text: str) -> bool:
    if len(text) < 6:
        return False
    for line in KEYBOARD_LINES:
        if text in line or text in line[::-1]:
            return True
    return False


def _stems(lowered: str) -> set[str]:
    """The password, and the password without a short prefix or suffix of digits/punctuation."""
    stems = {lowered, EDGE_RE.sub("", lowered)}
    date_tail = re.fullmatch(r"(.+?)([0-9]{6}|[0-9]{8})", lowered)
    if date_tail and _is_date(date_tail.group(2)):
        stems.add(date_tail.group(1))
    return {s for s in stems if len(s) >= 4}


def _digit_pattern(text: str) -> str | None:
    """The reason a password of digits only is guessable, or None."""
    if not text.isdigit():
        return None
    if REPEAT_RE.match(text):
        return "repeated"
    if text in DIGIT_RUNS or text in DIGIT_RUNS[::-1]:
        return "run"
    if MOBILE_RE.fullmatch(text):
        return "mobile"
    halves = {text[:8], text[-8:], text[:6], text[-6:]}
    if _is_date(text) or (len(text) <= 12 and any(_is_date(h) for h in halves if len(h) in (6, 8))):
        return "date"
    return None


class LengthValidator:
    """8 to 128 characters of any composition (ASVS 6.2.1, 6.2.9)."""

    def __init__(self, min_length: int = MIN_LENGTH, max_length: int = MAX_LENGTH) -> None:
        self.min_length = min_length
        self.max_length = max_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) < self.min_length:
            raise ValidationError(
                _("密码太短：至少需要 %(min)d 个字符。") % {"min": self.min_length},
                code="password_too_short",
            )
        if len(password) > self.max_length:
            raise ValidationError(
                _("密码太长：最多 %(max)d 个字符。") % {"max": self.max_length},
                code="password_too_long",
            )

    def get_help_text(self) -> str:
        return _("密码长度为 %(min)d–%(max)d 个字符，可使用任意字符（包括空格和汉字）。") % {
            "min": self.min_length,
            "max": self.max_length,
        }


class BlocklistValidator:
    """Common passwords and the patterns attackers try first (AUTHN-02, D-19)."""

    def validate(self, password: str, user: Any = None) -> None:
        lowered = password.lower()
        compact = "".join(lowered.split())
        reason = self._reason(compact, user)
        if reason is not None:
            code, message = reason
            raise ValidationError(message, code=code)

    def _reason(self, compact: str, user: Any) -> tuple[str, str] | None:
        for word in self._own_words(user):
            if word in compact:
                return "password_product_name", _("密码不能包含系统名称或本机构代码。")
        digits = _digit_pattern(compact)
        if digits == "repeated" or (digits is None and REPEAT_RE.match(compact)):
            return "password_repeated", _("密码不能是同一字符或短字符组的重复。")
        if digits == "run":
            return "password_digit_run", _("密码不能是连续数字（如 12345678）。")
        if digits == "mobile" or self._mostly_mobile(compact):
            return "password_mobile", _("密码不能是手机号码。")
        if digits == "date":
            return "password_date", _("密码不能是日期（如生日 19900101）。")
        common = common_passwords()
        for stem in _stems(compact):
            if stem in common:
                return "password_common", _("这是常见密码，很容易被猜中，请换一个。")
            if _is_keyboard_walk(stem):
                return "password_keyboard", _("密码不能是键盘上的连续按键（如 qwerty、1qaz2wsx）。")
        return None

    @staticmethod
    def _mostly_mobile(compact: str) -> bool:
        match = MOBILE_RE.search(compact)
        return match is not None and len(compact) - 11 < 6

    @staticmethod
    def _own_words(user: Any) -> list[str]:
        words = list(PRODUCT_WORDS)
        institution_id = getattr(user, "institution_id", None)
        if institution_id is not None:
            from .models import Institution

            code = (
                Institution.objects.filter(pk=institution_id).values_list("code", flat=True).first()
            )
            if code and len(code) >= 3:
                words.append(code.lower())
        return words

    def get_help_text(self) -> str:
        return _("不能使用常见密码、键盘连续按键、连续或重复数字、日期、手机号码或系统名称。")


class UserAttributeValidator:
    """Not the user's own name, mobile number or e-mail (ASVS 6.2.11)."""

    def validate(self, password: str, user: Any = None) -> None:
        if user is None:
            return
        compact = "".join(password.lower().split())
        username = str(getattr(user, "username", "") or "").lower()
        if len(username) >= 3 and (username in compact or compact in username):
            raise ValidationError(_("密码不能包含用户名。"), code="password_username")
        for value in self._attributes(user):
            if value in compact:
                raise ValidationError(
                    _("密码不能包含您的手机号码或电子邮箱。"), code="password_user_attribute"
                )

    @staticmethod
    def _attributes(user: Any) -> list[str]:
        values: list[str] = []
        for name in ("mobile", "email"):
            value = getattr(user, name, None)
            if isinstance(value, str) and value:
                values.append(value.lower().split("@", 1)[0] if name == "email" else value)
        return [v for v in values if len(v) >= 4]

    def get_help_text(self) -> str:
        return _("密码不能包含用户名、手机号码或电子邮箱。")


class InstitutionCompositionValidator:
    """Composition rule, only where the institution switched it on (D-19; 等保 8.1.4.1 a)).

    At least three of: lower-case letters, upper-case letters, digits, other characters.
    """

    classes_required = 3

    def validate(self, password: str, user: Any = None) -> None:
        institution_id = getattr(user, "institution_id", None)
        if institution_id is None:
            return
        from .models import Institution

        on = (
            Institution.objects.filter(pk=institution_id)
            .values_list("password_composition", flat=True)
            .first()
        )
        if not on:
            return
        classes = [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
        if sum(classes) < self.classes_required:
            raise ValidationError(
                _("本机构要求密码至少包含以下四类中的三类：小写字母、大写字母、数字、其他符号。"),
                code="password_composition",
            )

    def get_help_text(self) -> str:
        return _("若机构开启了复杂度要求，密码须包含小写字母、大写字母、数字、符号中的三类。")
