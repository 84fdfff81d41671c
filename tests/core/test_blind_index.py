"""Keyed blind indexes for exact lookups (BI-01..04, SR §2.5)."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps

from jianguan.accounts.models import Institution, User
from jianguan.core.actors import Actor
from jianguan.core.blind import blind_index, index_key, plan_bits
from jianguan.core.fields import BlindIndexField, lookup_exact

MakeUser = Callable[..., User]

# Fields too low in entropy to be indexed on their own (BI-04): an index over a handful of values
# is a frequency table. They are plaintext (D-01) or encrypted without an index.
LOW_ENTROPY_FIELDS = {
    "sex",
    "gender",
    "hiv_status",
    "blood_type",
    "abo",
    "rh",
    "marital_status",
    "ethnicity",
    "nationality",
    "pregnant",
    "pregnancy_status",
    "smoker",
    "smoking_status",
    "drinker",
    "birth_year",
    "age",
    "is_active",
    "card_level",
    "education",
    "occupation",
}


def index_field(name: str) -> BlindIndexField:
    field = User._meta.get_field(name)
    assert isinstance(field, BlindIndexField)
    return field


def staff(institution: Institution) -> Actor:
    return Actor("staff", uuid.uuid4(), institution.id, frozenset({"institution_admin"}))


def all_blind_indexes() -> list[tuple[str, BlindIndexField]]:
    return [
        (f"{model.__name__}.{field.name}", field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, BlindIndexField)
    ]


# -- BI-01: lookups -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_lookup_through_the_blind_index_returns_the_right_user(
    make_user: MakeUser, institution: Institution
) -> None:
    wang = make_user(full_name="王芳", mobile="13900000001")
    make_user(full_name="王芳芳", mobile="13900000002")
    make_user(full_name="李芳", mobile="13900000003")
    users = User.objects.for_actor(staff(institution), "accounts.user.view")
    assert lookup_exact(users, "full_name_index", "王芳", tenant_id=institution.id) == [wang]
    assert lookup_exact(users, "mobile_index", "13900000001", tenant_id=institution.id) == [wang]


@pytest.mark.django_db
def test_a_lookup_matches_after_nfkc_and_without_spaces(
    make_user: MakeUser, institution: Institution
) -> None:
    wang = make_user(full_name="王芳", mobile="13900000001")
    users = User.objects.for_actor(staff(institution), "accounts.user.view")
    found = lookup_exact(users, "mobile_index", "１３９ 0000 0001", tenant_id=institution.id)
    assert found == [wang]


@pytest.mark.django_db
def test_a_lookup_post_filters_rows_that_share_an_index_value(
    make_user: MakeUser, institution: Institution
) -> None:
    field = index_field("full_name_index")
    target = field.compute(User, institution.id, "王芳")
    twin = next(
        name
        for i in range(100_000)
        if (name := f"测试{i}") and field.compute(User, institution.id, name) == target
    )
    wang = make_user(full_name="王芳")
    make_user(full_name=twin)
    users = User.objects.for_actor(staff(institution), "accounts.user.view")
    assert users.filter(full_name_index=target).count() == 2  # the index alone is ambiguous
    assert lookup_exact(users, "full_name_index", "王芳", tenant_id=institution.id) == [wang]


@pytest.mark.django_db
def test_a_lookup_does_not_find_a_user_of_another_institution(
    make_user: MakeUser, institution: Institution, other_institution: Institution
) -> None:
    make_user(full_name="王芳", inst=other_institution)
    users = User.objects.unscoped(reason="test: tenant separation of the index")
    assert lookup_exact(users, "full_name_index", "王芳", tenant_id=institution.id) == []


def test_the_index_value_is_no_unkeyed_hash_of_the_plaintext(isolated_keys: Path) -> None:
    field = index_field("mobile_index")
    tenant = uuid.uuid4()
    values = [f"1390000{i:04d}" for i in range(64)]
    truncated_matches = 0
    for value in values:
        stored = field.compute(User, tenant, value)
        full = blind_index(value, index_name=field.index_name(User), tenant_id=tenant, bits=64)
        for algo in ("sha256", "md5", "sha1"):
            digest = hashlib.new(algo, value.encode()).digest()
            assert full != int.from_bytes(digest[:8], "big")
            assert full != int.from_bytes(digest[-8:], "big")
            truncated_matches += stored == int.from_bytes(digest[:8], "big") >> (64 - field.bits)
    # A keyed value equals a truncated unkeyed hash only by chance (p = 2**-bits per pair).
    assert truncated_matches <= 4


def test_the_index_value_depends_on_the_key_file(isolated_keys: Path, settings: Any) -> None:
    tenant = uuid.uuid4()
    before = blind_index(
        "13912345678", index_name="accounts_user.mobile_index", tenant_id=tenant, bits=64
    )
    settings.JIANGUAN_KEY_FILE = isolated_keys / "other" / "keyfile.json"
    after = blind_index(
        "13912345678", index_name="accounts_user.mobile_index", tenant_id=tenant, bits=64
    )
    assert before != after


# -- BI-02: one key per index and per institution -------------------------------------------------


def test_two_indexed_columns_use_different_keys_and_values(isolated_keys: Path) -> None:
    tenant = uuid.uuid4()
    name_field, mobile_field = index_field("full_name_index"), index_field("mobile_index")
    assert index_key(name_field.index_name(User), tenant) != index_key(
        mobile_field.index_name(User), tenant
    )
    same = [f"1380000{i:04d}" for i in range(64)]
    equal = sum(
        name_field.compute(User, tenant, v) == mobile_field.compute(User, tenant, v) for v in same
    )
    assert equal <= 4  # chance agreements of two 9-bit values only


def test_two_institutions_get_different_keys_and_values_for_the_same_plaintext(
    isolated_keys: Path,
) -> None:
    field = index_field("full_name_index")
    first, second = uuid.uuid4(), uuid.uuid4()
    assert index_key(field.index_name(User), first) != index_key(field.index_name(User), second)
    names = [f"王{i}" for i in range(64)]
    equal = sum(field.compute(User, first, n) == field.compute(User, second, n) for n in names)
    assert equal <= 4


def test_a_compound_index_does_not_confuse_where_its_parts_split(isolated_keys: Path) -> None:
    compound = BlindIndexField(sources=("a", "b"), expected_rows=2**40)
    compound.set_attributes_from_name("ab_index")
    tenant = uuid.uuid4()
    assert compound.compute(User, tenant, "ab", "c") != compound.compute(User, tenant, "a", "bc")


# -- BI-03: the planner ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected_rows", "bits"), [(2, 1), (4, 1), (5, 1), (8, 2), (2_000, 9), (1_000_000, 18)]
)
def test_the_planner_keeps_at_least_two_rows_per_index_value(expected_rows: int, bits: int) -> None:
    assert plan_bits(expected_rows) == bits


def test_every_blind_index_has_the_planned_bit_length() -> None:
    indexes = all_blind_indexes()
    assert indexes, "no blind index found"
    for name, field in indexes:
        rows_per_value = field.expected_rows / 2**field.bits
        assert rows_per_value >= 2, name
        assert field.expected_rows / 2 ** (field.bits + 1) < 2, f"{name} could be longer"


def test_every_stored_index_value_fits_its_bit_length(isolated_keys: Path) -> None:
    field = index_field("full_name_index")
    tenant = uuid.uuid4()
    values = {field.compute(User, tenant, f"姓名{i}") for i in range(2_000)}
    assert max(v for v in values if v is not None) < 2**field.bits
    assert len(values) <= 2**field.bits


# -- BI-04: no index on a low-entropy field -------------------------------------------------------


def test_no_blind_index_covers_a_low_entropy_field() -> None:
    offending = [
        f"{name} indexes {source}"
        for name, field in all_blind_indexes()
        for source in field.sources
        if source in LOW_ENTROPY_FIELDS
    ]
    assert offending == []


def test_every_blind_index_names_existing_source_fields() -> None:
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, BlindIndexField):
                for source in field.sources:
                    assert model._meta.get_field(source), f"{model.__name__}.{source}"


# -- SR §2.5: HMAC-SHA-256, RFC 4231 test case 1 --------------------------------------------------


def test_hmac_sha256_reproduces_rfc_4231_test_case_1() -> None:
    digest = hmac.new(b"\x0b" * 20, b"Hi There", hashlib.sha256).hexdigest()
    assert digest == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
