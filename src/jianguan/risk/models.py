"""Stored results of the risk app: the population counts behind the 人群风险 dashboard."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class PopulationCount(models.Model):
    """How many of an institution's active customers fall in one category of one model.

    Plaintext by D-01 (counts, model ids and category codes): no customer id, no value. The
    nightly job (risk.jobs) replaces an institution's rows together, so the rows of one
    institution always come from one run and share `computed_at`.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    institution = models.ForeignKey(
        "accounts.Institution", on_delete=models.CASCADE, related_name="+"
    )
    model_id = models.CharField(max_length=60)
    category = models.CharField(max_length=60)  # a model's category code, or a bucket
    count = models.PositiveIntegerField()
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "model_id", "category"], name="one_population_count"
            )
        ]

    def __str__(self) -> str:
        return f"{self.model_id}:{self.category}"
