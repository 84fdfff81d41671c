"""Advice plans (健康建议): a draft made by the rules, edited and approved by a health manager.

Rows belong to the customer's record (records.models.register_personal_model in apps.py): they
are encrypted under the customer's key, move with a merge and are erased with the customer.
"""

from __future__ import annotations

from django.db import models

from jianguan.core.fields import EncryptedField
from jianguan.records.models import ClinicalRow


class AdvicePlan(ClinicalRow):
    STATUSES = [("draft", "草稿"), ("approved", "已审核"), ("replaced", "已被新草稿取代")]

    PLAINTEXT_FIELDS = {
        **ClinicalRow.PLAINTEXT_FIELDS,
        "status": "draft, approved or replaced: work lists",
        "approved_by": "who approved it (staff UUID)",
        "approved_at": "when it was approved",
    }

    status = models.CharField(max_length=10, choices=STATUSES, default="draft")
    approved_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["institution", "customer", "status"])]


class AdviceItem(ClinicalRow):
    DOMAINS = [("diet", "饮食"), ("exercise", "运动"), ("mental", "心理")]

    PLAINTEXT_FIELDS = {
        **ClinicalRow.PLAINTEXT_FIELDS,
        "plan": "the plan the item belongs to",
        "rule_id": "the advice rule that made it (clinical/data/advice_rules.toml)",
        "domain": "diet, exercise or mental health",
        "priority": "1 urgent, 2 act on it, 3 general",
        "source": "the guideline the rule follows: not personal",
        "included": "whether the health manager keeps it in the plan",
        "position": "order in the plan",
    }

    plan = models.ForeignKey(AdvicePlan, on_delete=models.CASCADE, related_name="+")
    rule_id = models.CharField(max_length=80)
    domain = models.CharField(max_length=10, choices=DOMAINS)
    priority = models.PositiveSmallIntegerField(default=3)
    text = EncryptedField(kind="text")  # what the customer will read; the manager may edit it
    because = EncryptedField(kind="text")  # the finding that triggered it
    source = models.CharField(max_length=200)
    included = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)
