"""Django admin holds configuration only (D-14): no personal-data model is registered."""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin

from jianguan.accounts.models import Institution, Team
from jianguan.core.scoping import PersonalDataModel


def test_no_personal_data_model_is_registered_on_admin_site() -> None:
    personal = [m for m in apps.get_models() if issubclass(m, PersonalDataModel)]
    assert personal, "the walk found no personal-data models"
    registered = set(admin.site._registry)
    assert not [m for m in registered if issubclass(m, PersonalDataModel)]


def test_models_with_encrypted_fields_are_not_registered() -> None:
    from jianguan.core.fields import EncryptedField

    for model in admin.site._registry:
        assert not any(isinstance(f, EncryptedField) for f in model._meta.get_fields()), model


def test_institution_and_team_are_registered() -> None:
    assert Institution in admin.site._registry
    assert Team in admin.site._registry


def test_team_admin_does_not_expose_members_or_lead() -> None:
    team_admin = admin.site._registry[Team]
    assert set(team_admin.fields or ()) == {"institution", "name"}
