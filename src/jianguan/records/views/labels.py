"""Labels of the codes the record stores, for the 360° page and its record history."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .. import identifiers as ids
from ..forms.choices import (
    CARD_LEVEL_LABELS,
    CARD_STATUS_LABELS,
    SEX_LABELS,
    SOURCE_CHANNEL_LABELS,
)
from ..services import sections as sec

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
OBSERVATION_STATUS_LABELS = {
    "final": _("已确认"),
    "amended": _("已更正"),
    "entered-in-error": _("录入错误"),
}
ACTION_LABELS = {  # what happened to a row (the buttons say 新增 / 修改 as verbs)
    "create": pgettext_lazy("record history", "新增"),
    "update": pgettext_lazy("record history", "修改"),
    "delete": pgettext_lazy("record history", "删除"),
    "merge": pgettext_lazy("record history", "合并"),
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
    "number": _("卡号"),
    "level": _("卡级别"),
    "valid_from": _("生效日期"),
    "valid_until": _("有效期至"),
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
    ("Observation", "status"): OBSERVATION_STATUS_LABELS,
    ("Customer", "sex"): SEX_LABELS,
    ("Customer", "status"): {"active": _("在册"), "merged": _("已合并"), "erased": _("已删除")},
    ("Customer", "source_channel"): SOURCE_CHANNEL_LABELS,
    ("CustomerIdentifier", "type"): {c: _(label) for c, label in ids.TYPES.items()},
    ("MemberCard", "status"): CARD_STATUS_LABELS,
    ("MemberCard", "level"): CARD_LEVEL_LABELS,
}
# Where a resource names a field differently from FIELD_LABELS
RESOURCE_FIELD_LABELS = {
    ("Customer", "name"): _("姓名"),
    ("Customer", "status"): _("档案状态"),
    ("Observation", "status"): _("结果状态"),
    ("Observation", "note"): _("更正原因"),
}
STAFF_FIELDS = {"chief_physician_id", "manager_id"}
