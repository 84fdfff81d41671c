"""The Actor of a request: who is acting, for which institution, with which roles."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from jianguan.core.actors import Actor


def actor_for(request: HttpRequest) -> Actor:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return Actor.anonymous()
    return actor_for_user(user)


def actor_for_user(user: Any) -> Actor:
    return Actor("staff", user.pk, user.institution_id, user.role_codes)
