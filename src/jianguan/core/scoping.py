"""The one read path for personal data (D-14): `Model.objects.for_actor(actor, action)`.

The default manager of every personal-data model refuses plain queries with `UnscopedQuery`.
`for_actor` limits rows to the actor's institution and asks the permission matrix whether the
actor may perform `action` at all; a model can narrow further with `scope_for_actor`. Outside that,
only `unscoped(reason=…)` reads rows — for authentication, migrations and key jobs — and the reason
is logged.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, Generic, TypeVar

from django.db import models

from .actors import Actor
from .errors import UnscopedQuery

log = logging.getLogger("jianguan.scoping")

M = TypeVar("M", bound=models.Model)


class ScopedManager(models.Manager[M], Generic[M]):
    def get_queryset(self) -> models.QuerySet[M]:
        raise UnscopedQuery(
            f"{self.model.__name__} holds personal data: read it through "
            "for_actor(actor, action) or unscoped(reason=...)"
        )

    def for_actor(self, actor: Actor, action: str) -> models.QuerySet[M]:
        qs = super().get_queryset()
        if not actor.can(action) or actor.institution_id is None:
            return qs.none()
        qs = qs.filter(institution_id=actor.institution_id)
        narrow = getattr(self.model, "scope_for_actor", None)
        return narrow(qs, actor, action) if narrow else qs

    def unscoped(self, *, reason: str) -> models.QuerySet[M]:
        if not reason:
            raise UnscopedQuery("unscoped() needs a reason")
        log.debug("unscoped read of %s: %s", self.model.__name__, reason)
        return super().get_queryset()


class PersonalDataModel(models.Model):
    """Base of every model holding personal data: UUID key, institution, classified fields.

    Subclasses list their plaintext fields with the reason in PLAINTEXT_FIELDS (D-01) and say whose
    data key encrypts them in `encryption_scope_id` (the customer's; staff data: the institution's).
    """

    PLAINTEXT_FIELDS: dict[str, str] = {
        "id": "UUID generated in Python, so associated data is known before insert (D-03)",
        "institution": "tenant: every query is scoped by it",
    }

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    institution = models.ForeignKey(
        "accounts.Institution", on_delete=models.PROTECT, related_name="+"
    )

    objects: Any = ScopedManager()

    class Meta:
        abstract = True

    def encryption_scope_id(self) -> uuid.UUID:
        return self.institution_id

    def blind_index_tenant_id(self) -> uuid.UUID:
        return self.institution_id
