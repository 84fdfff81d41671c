"""D-01: every field of a model holding personal data has exactly one data class."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.apps import apps
from django.db import models

from jianguan.accounts.models import TotpDevice
from jianguan.core.fields import BlindIndexField, EncryptedField
from jianguan.core.scoping import PersonalDataModel

DOCS_SECURITY = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def personal_data_models() -> list[type[models.Model]]:
    found = [
        m
        for m in apps.get_models()
        if issubclass(m, PersonalDataModel) and not m._meta.abstract and not m._meta.proxy
    ]
    return [*found, TotpDevice]


def declared_fields(model: type[models.Model]) -> list[models.Field[object, object]]:
    """Concrete and forward many-to-many fields; reverse relations belong to the other model."""
    return [
        f  # type: ignore[misc]
        for f in model._meta.get_fields()
        if not (f.auto_created and not f.concrete)
    ]


def expected_plaintext_entries() -> list[str]:
    """`Model.field` for every plaintext field: what docs/security.md must list (D-01)."""
    return sorted(
        f"{model.__name__}.{name}"
        for model in personal_data_models()
        for name in getattr(model, "PLAINTEXT_FIELDS", {})
    )


def test_the_walk_finds_the_personal_data_models() -> None:
    names = {m.__name__ for m in personal_data_models()}
    assert {"User", "TotpDevice"} <= names


def test_every_field_of_a_personal_data_model_is_classified() -> None:
    unclassified = []
    for model in personal_data_models():
        plaintext: dict[str, str] = getattr(model, "PLAINTEXT_FIELDS", {})
        for field in declared_fields(model):
            if isinstance(field, EncryptedField | BlindIndexField):
                assert field.name not in plaintext, f"{model.__name__}.{field.name} twice"
                continue
            if not str(plaintext.get(field.name, "")).strip():
                unclassified.append(f"{model.__name__}.{field.name}")
    assert unclassified == [], "add EncryptedField, a blind index or a PLAINTEXT_FIELDS reason"


def test_plaintext_field_lists_name_only_existing_fields() -> None:
    stale = []
    for model in personal_data_models():
        names = {f.name for f in declared_fields(model)}
        stale += [
            f"{model.__name__}.{n}"
            for n in getattr(model, "PLAINTEXT_FIELDS", {})
            if n not in names
        ]
    assert stale == []


def test_every_encrypted_field_lives_on_a_model_with_a_uuid_primary_key() -> None:
    # D-03: the row id is part of the associated data and must be known before the insert.
    offending = [
        f"{model.__name__}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedField)
        and not (
            isinstance(model._meta.pk, models.UUIDField) and model._meta.pk.default is uuid.uuid4
        )
    ]
    assert offending == []


def test_docs_security_lists_every_plaintext_field_with_its_model() -> None:
    """docs/security.md (the lead writes it) must name each of expected_plaintext_entries().

    Today those are, each written as `Model.field`: User.id, User.institution, User.username,
    User.password, User.last_login, User.is_active, User.date_joined, User.session_epoch,
    User.password_changed, User.preferred_language, TotpDevice.id, TotpDevice.user,
    TotpDevice.name, TotpDevice.confirmed, TotpDevice.last_t, TotpDevice.created,
    TotpDevice.throttling_failure_timestamp, TotpDevice.throttling_failure_count — and whatever
    later models add to their PLAINTEXT_FIELDS.
    """
    assert DOCS_SECURITY.exists(), "docs/security.md is missing (the lead writes its D-01 table)"
    text = DOCS_SECURITY.read_text(encoding="utf-8")
    missing = [entry for entry in expected_plaintext_entries() if f"`{entry}`" not in text]
    assert missing == []
