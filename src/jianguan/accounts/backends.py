"""The session backend for staff users.

It only restores the user of an existing session. It deliberately has no `authenticate()`: a
password alone must never produce a signed-in session (AUTHN-03), so sign-in goes through
`accounts.services.auth`, which calls `login()` only after the second factor.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend

from .models import User


class InstitutionUserBackend(BaseBackend):
    def get_user(self, user_id: Any) -> User | None:
        # A disabled user's sessions stop at once (SES-03): the user no longer loads.
        user: User | None = (
            User.objects.unscoped(reason="session").filter(pk=user_id, is_active=True).first()
        )
        return user
