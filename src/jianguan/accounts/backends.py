"""Placeholder: replaced by the authentication work."""
from typing import Any

from django.contrib.auth.backends import BaseBackend


class InstitutionUserBackend(BaseBackend):
    def get_user(self, user_id: Any) -> Any:
        from .models import User

        return User.objects.unscoped(reason="session").filter(pk=user_id, is_active=True).first()
