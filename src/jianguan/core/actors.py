"""Who is acting: a staff user, a background job, or (later) a machine client or a customer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    kind: str  # "staff", "system", "client", "anonymous"
    id: uuid.UUID | None
    institution_id: uuid.UUID | None
    roles: frozenset[str] = field(default_factory=frozenset)
    purpose: str = "treatment"

    @property
    def role_label(self) -> str:
        return "+".join(sorted(self.roles)) or self.kind

    def can(self, capability: str) -> bool:
        from jianguan.accounts.matrix import allowed

        return self.kind == "system" or allowed(self.roles, capability)

    @classmethod
    def system(cls, job: str, institution_id: uuid.UUID | None = None) -> Actor:
        return cls("system", None, institution_id, frozenset({f"job:{job}"}), purpose="system")

    @classmethod
    def anonymous(cls) -> Actor:
        return cls("anonymous", None, None)
