"""Choice lists of the customer forms.

Ethnicity, marital status, insurance type and emergency-contact relation are stored as the
Chinese term itself (an encrypted text field, D-01), so every screen and export reads the same
word; the UI shows the term through gettext.
"""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from .. import identifiers as ids

# The 56 ethnic groups of China in the order of GB/T 3304, then 其他.
ETHNICITIES = [
    gettext_noop("汉族"),
    gettext_noop("蒙古族"),
    gettext_noop("回族"),
    gettext_noop("藏族"),
    gettext_noop("维吾尔族"),
    gettext_noop("苗族"),
    gettext_noop("彝族"),
    gettext_noop("壮族"),
    gettext_noop("布依族"),
    gettext_noop("朝鲜族"),
    gettext_noop("满族"),
    gettext_noop("侗族"),
    gettext_noop("瑶族"),
    gettext_noop("白族"),
    gettext_noop("土家族"),
    gettext_noop("哈尼族"),
    gettext_noop("哈萨克族"),
    gettext_noop("傣族"),
    gettext_noop("黎族"),
    gettext_noop("傈僳族"),
    gettext_noop("佤族"),
    gettext_noop("畲族"),
    gettext_noop("高山族"),
    gettext_noop("拉祜族"),
    gettext_noop("水族"),
    gettext_noop("东乡族"),
    gettext_noop("纳西族"),
    gettext_noop("景颇族"),
    gettext_noop("柯尔克孜族"),
    gettext_noop("土族"),
    gettext_noop("达斡尔族"),
    gettext_noop("仫佬族"),
    gettext_noop("羌族"),
    gettext_noop("布朗族"),
    gettext_noop("撒拉族"),
    gettext_noop("毛南族"),
    gettext_noop("仡佬族"),
    gettext_noop("锡伯族"),
    gettext_noop("阿昌族"),
    gettext_noop("普米族"),
    gettext_noop("塔吉克族"),
    gettext_noop("怒族"),
    gettext_noop("乌孜别克族"),
    gettext_noop("俄罗斯族"),
    gettext_noop("鄂温克族"),
    gettext_noop("德昂族"),
    gettext_noop("保安族"),
    gettext_noop("裕固族"),
    gettext_noop("京族"),
    gettext_noop("塔塔尔族"),
    gettext_noop("独龙族"),
    gettext_noop("鄂伦春族"),
    gettext_noop("赫哲族"),
    gettext_noop("门巴族"),
    gettext_noop("珞巴族"),
    gettext_noop("基诺族"),
    gettext_noop("其他"),
]
MARITAL_STATUSES = [
    gettext_noop("未婚"),
    gettext_noop("已婚"),
    gettext_noop("丧偶"),
    gettext_noop("离婚"),
    gettext_noop("未说明"),
]  # GB/T 2261.2
INSURANCE_TYPES = [
    gettext_noop("城镇职工医保"),
    gettext_noop("城乡居民医保"),
    gettext_noop("商业保险"),
    gettext_noop("自费"),
    gettext_noop("其他"),
]
RELATIONS = [
    gettext_noop("配偶"),
    gettext_noop("父母"),
    gettext_noop("子女"),
    gettext_noop("兄弟姐妹"),
    gettext_noop("其他亲属"),
    gettext_noop("朋友"),
    gettext_noop("其他"),
]

SEX = [("U", _("未填（按证件号码）")), ("M", _("男")), ("F", _("女"))]
SEX_LABELS = {"M": _("男"), "F": _("女"), "U": _("未知")}

SOURCE_CHANNELS = [
    ("walk_in", _("到店")),
    ("phone", _("电话预约")),
    ("online", _("线上预约")),
    ("corporate", _("单位团检")),
    ("referral", _("转介绍")),
    ("other", _("其他")),
]
SOURCE_CHANNEL_LABELS = dict(SOURCE_CHANNELS)

CARD_LEVELS = [
    ("standard", _("普通卡")),
    ("silver", _("银卡")),
    ("gold", _("金卡")),
    ("platinum", _("白金卡")),
]
CARD_LEVEL_LABELS = dict(CARD_LEVELS)
CARD_STATUS_LABELS = {
    "active": _("正常"),
    "frozen": pgettext_lazy("card status", "冻结"),
    "lost": pgettext_lazy("card status", "挂失"),
    "replaced": _("已换卡"),
    "expired": _("已过期"),
}
CARD_EVENT_LABELS = {
    "issued": _("发卡"),
    "freeze": pgettext_lazy("card action", "冻结"),
    "unfreeze": pgettext_lazy("card action", "解冻"),
    "report_lost": pgettext_lazy("card action", "挂失"),
    "replaced": _("换卡"),
    "level_changed": _("变更级别"),
    "renewed": pgettext_lazy("card action", "续期"),
    "expired": _("到期"),
    "merged": _("合并客户时停用"),
}


def id_type_choices() -> list[tuple[str, str]]:
    return [(code, gettext(label)) for code, label in ids.TYPES.items()]


def id_type_label(code: str) -> str:
    label = ids.TYPES.get(code)
    return gettext(label) if label else code


def terms(values: list[str], current: str = "", blank: object = None) -> list[tuple[str, object]]:
    """Choices whose stored value is the Chinese term, labelled through gettext; a stored value
    that is not in the list (imported data) stays selectable so an edit does not lose it."""
    head: list[tuple[str, object]] = [("", blank)] if blank is not None else []
    extra: list[tuple[str, object]] = (
        [(current, current)] if current and current not in values else []
    )
    return head + extra + [(v, gettext(v)) for v in values]
