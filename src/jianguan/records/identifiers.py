"""Identity documents accepted at enrolment (D-29), checked without any network.

18-digit numbers (居民身份证, 港澳台居民居住证, 外国人永久居留身份证 of 2023) share the GB 11643
layout: 6-digit area code, 8-digit birth date, 3-digit sequence whose last digit is odd for men,
and an ISO 7064 MOD 11-2 check character. python-stdnum's `cn.ric` rejects the residence-permit
(81/82/83) and new permanent-residence (9) prefixes, so the checksum and date are checked here;
stdnum's area table is used only to warn about an unknown area code. An unknown area, or a birth
date or sex that differs from what was typed, is a warning the user confirms, not a refusal.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

RESIDENT_ID = "resident_id"
HMT_RESIDENCE = "hmt_residence_permit"
FOREIGN_PERMANENT = "foreign_permanent_residence"
PASSPORT = "passport"
HMT_TRAVEL_PERMIT = "hmt_travel_permit"
MRN = "mrn"

# code → Chinese label (translated in the UI)
TYPES: dict[str, str] = {
    RESIDENT_ID: gettext_noop("居民身份证"),
    HMT_RESIDENCE: gettext_noop("港澳台居民居住证"),
    FOREIGN_PERMANENT: gettext_noop("外国人永久居留身份证"),
    PASSPORT: gettext_noop("护照"),
    HMT_TRAVEL_PERMIT: gettext_noop("港澳居民来往内地通行证/台胞证"),
    MRN: gettext_noop("院内病历号"),
}
EIGHTEEN_DIGIT = {RESIDENT_ID, HMT_RESIDENCE, FOREIGN_PERMANENT}

_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_CHECK = "10X98765432"


class InvalidIdentifier(ValueError):
    """What is wrong with an identifier, in words a front-desk clerk can act on."""

    def __init__(self, code: str, message: str | Promise) -> None:
        self.code = code
        self.message = message
        super().__init__(message)


@dataclass
class CheckedIdentifier:
    type: str
    value: str  # normalised: NFKC, no spaces, upper case
    birth_date: dt.date | None = None
    sex: str | None = None  # "M" or "F" from the sequence digit
    warnings: list[tuple[str, str | Promise]] = field(default_factory=list)  # (code, message)


def normalise(value: str) -> str:
    return "".join(unicodedata.normalize("NFKC", value).split()).upper()


def check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def _check_eighteen(kind: str, value: str) -> CheckedIdentifier:
    # ASCII digits only: `\d` would also take other scripts' digits, which NFKC keeps.
    if not re.fullmatch(r"[0-9]{17}[0-9X]", value):
        raise InvalidIdentifier("id_format", _("证件号码应为 18 位：17 位数字加 1 位数字或 X"))
    if check_digit(value[:17]) != value[17]:
        raise InvalidIdentifier("id_checksum", _("证件号码校验位不正确，请核对是否输错"))
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError as exc:
        raise InvalidIdentifier("id_birth_date", _("证件号码中的出生日期不存在")) from exc
    if birth > dt.date.today() or birth.year < 1890:
        raise InvalidIdentifier("id_birth_date", _("证件号码中的出生日期不合理"))
    prefix = value[:2]
    if kind == RESIDENT_ID and prefix in {"81", "82", "83"}:
        raise InvalidIdentifier(
            "id_type_mismatch", _("这是港澳台居民居住证号码，请选择对应证件类型")
        )
    if kind == RESIDENT_ID and value[0] == "9":  # 9 + province: the 2023 permanent residence
        raise InvalidIdentifier(
            "id_type_mismatch", _("这是外国人永久居留身份证号码，请选择对应证件类型")
        )
    if kind == HMT_RESIDENCE and prefix not in {"81", "82", "83"}:
        raise InvalidIdentifier("id_type_mismatch", _("港澳台居民居住证号码以 81、82 或 83 开头"))
    if kind == FOREIGN_PERMANENT and value[0] != "9":
        raise InvalidIdentifier("id_type_mismatch", _("外国人永久居留身份证号码以 9 开头"))
    sex = "M" if int(value[16]) % 2 == 1 else "F"
    checked = CheckedIdentifier(kind, value, birth, sex)
    if kind == RESIDENT_ID and not _known_area(value):
        checked.warnings.append(
            ("id_area_unknown", _("证件号码的地区代码不在行政区划表中，请核对"))
        )
    return checked


def _known_area(value: str) -> bool:
    from stdnum.cn import ric
    from stdnum.exceptions import ValidationError

    try:
        ric.get_birth_place(value)
    except (ValidationError, KeyError, ValueError):
        return False
    return True


def check_identifier(kind: str, raw: str) -> CheckedIdentifier:
    """Validate one identifier; raises InvalidIdentifier with a code and a clear message."""
    if kind not in TYPES:
        raise InvalidIdentifier("id_type_unknown", _("未知的证件类型"))
    value = normalise(raw or "")
    if not value:
        raise InvalidIdentifier("id_required", _("请输入证件号码"))
    if kind in EIGHTEEN_DIGIT:
        return _check_eighteen(kind, value)
    if kind == PASSPORT and not re.fullmatch(r"[A-Z0-9]{5,17}", value):
        raise InvalidIdentifier("passport_format", _("护照号码应为 5–17 位字母或数字"))
    if kind == HMT_TRAVEL_PERMIT and not re.fullmatch(r"[A-Z0-9]{8,11}", value):
        raise InvalidIdentifier("permit_format", _("通行证号码应为 8–11 位字母或数字"))
    if kind == MRN and not re.fullmatch(r"[A-Z0-9\-]{1,40}", value):
        raise InvalidIdentifier("mrn_format", _("病历号只能包含字母、数字和连字符，最长 40 位"))
    return CheckedIdentifier(kind, value)


def cross_check(
    checked: CheckedIdentifier, birth_date: dt.date | None, sex: str | None
) -> list[tuple[str, str | Promise]]:
    """Warnings when the typed birth date or sex differs from what the number says (D-29)."""
    warnings = list(checked.warnings)
    if checked.birth_date and birth_date and checked.birth_date != birth_date:
        warnings.append(("id_birth_mismatch", _("填写的出生日期与证件号码不一致")))
    if checked.sex and sex in {"M", "F"} and checked.sex != sex:
        warnings.append(("id_sex_mismatch", _("填写的性别与证件号码不一致")))
    return warnings


MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")


def normalise_mobile(raw: str) -> str:
    """An 11-digit mainland mobile number, accepting +86 / 0086 and spaces or dashes."""
    value = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", raw or ""))
    for prefix in ("+86", "0086"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
    if not MOBILE_RE.fullmatch(value):
        raise InvalidIdentifier("mobile_format", _("手机号码应为 11 位，以 13–19 开头"))
    return value


def mask_identifier(value: str) -> str:
    """110***********1234: the first 3 and last 4 characters stay (a screen default)."""
    if len(value) <= 7:
        return value[:1] + "*" * (len(value) - 1)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_mobile(value: str) -> str:
    """138****5678."""
    if len(value) != 11:
        return mask_identifier(value)
    return value[:3] + "****" + value[-4:]
