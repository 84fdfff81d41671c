"""Django admin: configuration models only (D-14).

Users, second factors and every other personal-data model stay out: they are read only through
`for_actor`, and admin would bypass that. Django admin is not routed in `urls.py` either.
"""

from __future__ import annotations

from django.contrib import admin

from .models import Institution, Team


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "name", "is_demo", "created")
    search_fields = ("code", "name")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    # Lead and members are users (personal data): they are chosen on the staff team page.
    fields = ("institution", "name")
    list_display = ("name", "institution")
