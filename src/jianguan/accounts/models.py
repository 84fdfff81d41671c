"""Institutions (the tenant), staff users, roles, teams and second factors."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models
from django.utils import timezone
from django_otp.models import Device

from jianguan.core.fields import BlindIndexField, EncryptedField
from jianguan.core.scoping import PersonalDataModel, ScopedManager


class Institution(models.Model):
    """A health-check centre, clinic or hospital department: the tenant of every personal row."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    is_demo = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)
    # D-19: composition rules and expiry are per-institution settings, off by default.
    password_composition = models.BooleanField(default=False)
    password_max_age_days = models.PositiveIntegerField(null=True, blank=True)
    # Where the centre is, for China-PAR (north of the Yangtze; urban): most customers live
    # near their centre. None until the operator says (`jianguan institutions set`).
    region_north = models.BooleanField(null=True, blank=True)
    region_urban = models.BooleanField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class UserManager(ScopedManager["User"]):
    def get_by_natural_key(self, username: str) -> User:
        return self.unscoped(reason="authentication").get(username=username)


class User(AbstractBaseUser, PersonalDataModel):  # type: ignore[django-manager-missing]
    PLAINTEXT_FIELDS = {
        **PersonalDataModel.PLAINTEXT_FIELDS,
        "username": "login name chosen by the institution, not a real-world identifier",
        "password": "Argon2id hash (AUTHN-01)",
        "last_login": "security events need it",
        "is_active": "account state, checked on every request",
        "date_joined": "account administration",
        "session_epoch": "a counter that ends every session when raised (SES-03)",
        "password_changed": "password expiry policy (D-19)",
        "preferred_language": "UI setting",
    }

    username = models.CharField(max_length=64, unique=True)
    full_name = EncryptedField(kind="text")
    full_name_index = BlindIndexField(source="full_name", expected_rows=2_000)
    mobile = EncryptedField(kind="text")
    mobile_index = BlindIndexField(source="mobile", expected_rows=2_000)
    email = EncryptedField(kind="text")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    session_epoch = models.PositiveIntegerField(default=0)
    password_changed = models.DateTimeField(null=True, blank=True)
    preferred_language = models.CharField(max_length=10, blank=True, default="")

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS = []
    EMAIL_FIELD = "email"

    objects: Any = UserManager()

    class Meta:
        indexes = [models.Index(fields=["institution", "username"])]

    def __str__(self) -> str:
        return self.username

    @property
    def role_codes(self) -> frozenset[str]:
        cached = self.__dict__.get("_role_codes")
        if cached is None:
            cached = frozenset(
                RoleGrant.objects.filter(user_id=self.pk).values_list("role", flat=True)
            )
            self.__dict__["_role_codes"] = cached
        return cached

    def forget_roles(self) -> None:
        self.__dict__.pop("_role_codes", None)


class RoleGrant(models.Model):
    """A role held by a user; configuration, not personal data (role codes from matrix.toml)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(max_length=40)
    granted_at = models.DateTimeField(default=timezone.now)
    granted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="unique_role_grant")]

    def __str__(self) -> str:
        return self.role


class Team(models.Model):
    """A team configured by the institution admin; escalation goes to its lead (D-10)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(max_length=100)
    lead = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    members = models.ManyToManyField(User, blank=True, related_name="teams")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["institution", "name"], name="unique_team_name")
        ]

    def __str__(self) -> str:
        return self.name


class TotpDevice(Device):
    """TOTP (SHA-1, 6 digits, 30 s) with an encrypted seed and the last accepted step (D-11)."""

    PLAINTEXT_FIELDS = {
        "id": "UUID",
        "user": "owner",
        "name": "label",
        "confirmed": "enrolment state",
        "last_t": "last accepted time step, so a code is accepted once (AUTHN-05)",
        "created": "enrolment time",
        "throttling_failure_timestamp": "django-otp throttle",
        "throttling_failure_count": "django-otp throttle",
    }

    id: models.UUIDField[uuid.UUID, uuid.UUID] = models.UUIDField(
        primary_key=True, default=uuid.uuid4, editable=False
    )
    seed = EncryptedField(kind="bytes")
    last_t: models.BigIntegerField[int, int] = models.BigIntegerField(default=-1)
    created: models.DateTimeField[Any, Any] = models.DateTimeField(default=timezone.now)
    throttling_failure_timestamp: models.DateTimeField[Any, Any] = models.DateTimeField(
        null=True, blank=True
    )
    throttling_failure_count: models.PositiveIntegerField[int, int] = models.PositiveIntegerField(
        default=0
    )

    def encryption_scope_id(self) -> uuid.UUID:
        return self.user.institution_id


class RecoveryCode(models.Model):
    """One of ten single-use recovery codes, stored as a SHA-256 of a 50-bit random code."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return "recovery code"


class LoginThrottle(models.Model):
    """Failure counters per account and per client address (AUTHN-10)."""

    key = models.CharField(max_length=80, unique=True)  # "user:<hmac>" or "ip:<address>"
    failures = models.PositiveIntegerField(default=0)
    window_start = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.key.split(":", 1)[0]


class OneTimeLink(models.Model):
    """Activation and password-reset links: 128-bit token, stored hashed, single use (D-15)."""

    PURPOSES = [("activate", "activate"), ("reset", "reset")]
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(max_length=20, choices=PURPOSES)
    token_hash = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(default=timezone.now)
    expires = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.purpose
