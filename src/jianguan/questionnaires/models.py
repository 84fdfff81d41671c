"""Form definitions (FHIR Questionnaire JSON, versioned) and responses (a customer's answers).

A definition is configuration, not personal data: built-in instruments ship with Jianguan
(institution empty) and an institution's own forms are its rows. A published version is never
edited: a change is a new version, and a response points at the exact version it answered.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from jianguan.core.fields import EncryptedField
from jianguan.records.models import ClinicalRow


class FormDefinition(models.Model):
    STATUSES = [("draft", "草稿"), ("published", "已发布"), ("retired", "已停用")]

    institution = models.ForeignKey(
        "accounts.Institution", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )  # empty: a built-in instrument every institution may use
    code = models.SlugField(max_length=60)
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=STATUSES, default="draft")
    title = models.CharField(max_length=200)
    questionnaire = models.JSONField()  # FHIR R4 Questionnaire
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "code", "version"], name="one_form_version"
            ),
            models.UniqueConstraint(
                fields=["code", "version"],
                condition=models.Q(institution__isnull=True),
                name="one_builtin_form_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


class FormResponse(ClinicalRow):
    """A customer's answers to one version of a form: FHIR QuestionnaireResponse."""

    STATUSES = [("in-progress", "填写中"), ("completed", "已提交"), ("reviewed", "已审核")]

    PLAINTEXT_FIELDS = {
        **ClinicalRow.PLAINTEXT_FIELDS,
        "definition": "the exact form version answered",
        "status": "in progress, completed or reviewed: work lists",
        "authored": "when it was submitted",
        "filled_by": "staff or customer",
    }

    definition = models.ForeignKey(FormDefinition, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=STATUSES, default="in-progress")
    answers = EncryptedField(kind="json")  # linkId → list of values
    scores = EncryptedField(kind="json")  # totals, calculated items, the clinical model's result
    authored = models.DateTimeField(null=True, blank=True)
    filled_by = models.CharField(max_length=10, default="staff")  # staff | customer
