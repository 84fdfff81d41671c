"""Model fields for personal data, and the data classes of D-01.

Every field of a model holding personal data has one class, recorded next to the field:

* ``encrypted+index`` — `EncryptedField` plus a `BlindIndexField` for exact lookups: full name,
  identifiers (ID numbers, passports, MRNs), mobile phone, name + date of birth;
* ``encrypted`` — `EncryptedField` alone: addresses, contacts, dates of birth, free text, clinical
  values, answers, notes, recordings, secrets such as TOTP seeds;
* ``plaintext`` — listed in the model's ``PLAINTEXT_FIELDS`` with the reason it must stay
  queryable (scoping, filtering, sorting, population runs). ``docs/security.md`` lists them.

A test walks every `PersonalDataModel` and fails on a field with no class. Exact lookups go
through `lookup_exact(queryset, "<index field>", value, tenant_id=…)`, which narrows by the index
and confirms by decrypting. `QuerySet.update()`/`bulk_update()` of an encrypted field raise
TypeError (they would pass plaintext to SQL): change such values through `save()`.

Encrypted values are decrypted lazily, on attribute access, because the associated data needs the
row (table, column, primary key) and the data key's scope, which only the instance knows.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, TypeVar

import orjson
from django.db import models

from .blind import blind_index, normalise_text, plan_bits
from .crypto import open_sealed, seal
from .errors import KeyDestroyed


class Shredded:
    """What an erased value reads as (LG-09): falsy, prints as a tombstone."""

    def __bool__(self) -> bool:
        return False

    def __str__(self) -> str:
        return "〔已销毁〕"

    def __repr__(self) -> str:
        return "SHREDDED"


SHREDDED = Shredded()


class Sealed(bytes):
    """Ciphertext as stored; never shown, never compared in SQL."""


CODECS: dict[str, tuple[Any, Any]] = {
    "text": (lambda v: str(v).encode(), lambda b: b.decode()),
    "bytes": (lambda v: bytes(v), lambda b: b),
    "date": (lambda v: v.isoformat().encode(), lambda b: dt.date.fromisoformat(b.decode())),
    "json": (lambda v: orjson.dumps(v, option=orjson.OPT_SORT_KEYS), orjson.loads),
}


class EncryptedDescriptor:
    def __init__(self, field: EncryptedField) -> None:
        self.field = field

    def __get__(self, instance: models.Model | None, owner: type) -> Any:
        if instance is None:
            return self
        name = self.field.attname
        if name not in instance.__dict__:
            # Deferred (`.only()`/`.defer()`): fetch the stored ciphertext itself, not a decrypted
            # copy as refresh_from_db would, so that an unchanged value is saved back unchanged.
            manager = type(instance)._base_manager.db_manager(instance._state.db)
            instance.__dict__[name] = (
                manager.filter(pk=instance.pk).values_list(name, flat=True).get()
            )
        value = instance.__dict__[name]
        if not isinstance(value, Sealed):
            return value
        cache = instance.__dict__.setdefault("_decrypted", {})
        if name not in cache:
            cache[name] = self.field.decrypt(instance, value)
            if self.field.kind == "json" and not isinstance(cache[name], Shredded):
                # JSON values are mutable in place: remember what was decrypted, so pre_save can
                # tell an in-place change from an untouched value. (An erased value has no JSON
                # form; without a snapshot it is saved back byte for byte.)
                snapshot = instance.__dict__.setdefault("_decrypted_json", {})
                snapshot[name] = CODECS["json"][0](cache[name])
        return cache[name]

    def __set__(self, instance: models.Model, value: Any) -> None:
        instance.__dict__[self.field.attname] = value
        instance.__dict__.get("_decrypted", {}).pop(self.field.attname, None)
        instance.__dict__.get("_decrypted_json", {}).pop(self.field.attname, None)


class EncryptedField(models.BinaryField):  # type: ignore[type-arg]
    """AES-256-GCM under the row's scope key; `kind` is text, bytes, date or json."""

    data_class = "encrypted"

    def __init__(self, *args: Any, kind: str = "text", **kwargs: Any) -> None:
        if kind not in CODECS:
            raise ValueError(f"unknown encrypted field kind {kind!r}")
        self.kind = kind
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["kind"] = self.kind
        return name, path, args, kwargs

    def contribute_to_class(
        self, cls: type[models.Model], name: str, private_only: bool = False
    ) -> None:
        super().contribute_to_class(cls, name, private_only)
        setattr(cls, self.attname, EncryptedDescriptor(self))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Sealed | None:
        return None if value is None else Sealed(bytes(value))

    def _context(self, instance: models.Model) -> dict[str, Any]:
        scope_id = instance.encryption_scope_id()  # type: ignore[attr-defined]
        if not isinstance(scope_id, uuid.UUID):
            raise ValueError(f"{type(instance).__name__} has no encryption scope yet")
        return {
            "table": instance._meta.db_table,
            "column": self.column,
            "row_id": instance.pk,
            "scope_id": scope_id,
        }

    def encrypt(self, instance: models.Model, value: Any) -> bytes:
        ctx = self._context(instance)
        return seal(CODECS[self.kind][0](value), **ctx)

    def decrypt(self, instance: models.Model, sealed: Sealed) -> Any:
        ctx = self._context(instance)
        ctx.pop("scope_id")
        try:
            return CODECS[self.kind][1](open_sealed(sealed, **ctx))
        except KeyDestroyed:
            return SHREDDED

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        state = model_instance.__dict__
        value = state.get(self.attname)
        if isinstance(value, Sealed):
            snapshot = state.get("_decrypted_json", {}).get(self.attname)
            if snapshot is None:
                return value  # unchanged: saved back byte for byte, no re-encryption
            value = state["_decrypted"][self.attname]
            if CODECS["json"][0](value) == snapshot:
                return state[self.attname]
        if value is None:
            return None
        if isinstance(value, Shredded):
            raise ValueError(f"an erased value cannot be written to {self.name}")
        if value == "" and self.kind == "text":
            state[self.attname] = None
            return None
        sealed = Sealed(self.encrypt(model_instance, value))
        # Keep the ciphertext on the instance, so that saving it again writes the same bytes.
        state[self.attname] = sealed
        state.setdefault("_decrypted", {})[self.attname] = value
        if self.kind == "json":
            state.setdefault("_decrypted_json", {})[self.attname] = CODECS["json"][0](value)
        return sealed

    def get_prep_value(self, value: Any) -> Any:
        if value is None or isinstance(value, Sealed | bytes | memoryview):
            return value
        # D-01: no SQL predicate touches an encrypted value, and plaintext never reaches SQL.
        raise TypeError(f"plaintext given for encrypted field {self.name}: use a blind index")


class BlindIndexField(models.BigIntegerField):  # type: ignore[type-arg]
    """HMAC of another field's plaintext, truncated by the planner; recomputed on every save."""

    data_class = "blind-index"

    def __init__(
        self,
        *args: Any,
        source: str = "",
        expected_rows: int = 1_000_000,
        sources: tuple[str, ...] = (),
        **kwargs: Any,
    ) -> None:
        self.sources = sources or (source,)
        self.expected_rows = expected_rows
        self.bits = plan_bits(expected_rows)
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["sources"] = self.sources
        kwargs["expected_rows"] = self.expected_rows
        return name, path, args, kwargs

    def index_name(self, model: type[models.Model]) -> str:
        return f"{model._meta.db_table}.{self.column}"

    def compute(self, model: type[models.Model], tenant_id: uuid.UUID, *values: Any) -> int | None:
        parts = [_match_form(v) for v in values]
        if len(parts) != len(self.sources) or not all(parts):
            return None
        # Parts are normalised one by one and joined with NUL, which normalisation keeps: joining
        # first would let ("ab", "c") and ("a", "bc") share an index value.
        return blind_index(
            "\x00".join(p for p in parts if p),
            index_name=self.index_name(model),
            tenant_id=tenant_id,
            bits=self.bits,
        )

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        values = [getattr(model_instance, s) for s in self.sources]
        if any(isinstance(v, Shredded) for v in values):
            return getattr(model_instance, self.attname)
        tenant_id = model_instance.blind_index_tenant_id()  # type: ignore[attr-defined]
        value = self.compute(type(model_instance), tenant_id, *values)
        setattr(model_instance, self.attname, value)
        return value


def _match_form(value: Any) -> str | None:
    """The exact-match form of an index source (D-29); None for a missing or erased value."""
    if value is None or isinstance(value, Shredded) or value == "":
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return normalise_text(str(value))


M = TypeVar("M", bound=models.Model)


def lookup_exact(
    queryset: models.QuerySet[M], index_field: str, *values: Any, tenant_id: uuid.UUID
) -> list[M]:
    """Rows of `queryset` whose index sources equal `values` (exact after NFKC, D-29).

    The blind index narrows the candidates in SQL; decryption then confirms each one, because the
    planner makes every index value shared by about two rows or more on purpose (BI-03).
    """
    model = queryset.model
    field = model._meta.get_field(index_field)
    if not isinstance(field, BlindIndexField):
        raise TypeError(f"{model.__name__}.{index_field} is not a blind index")
    index_value = field.compute(model, tenant_id, *values)
    if index_value is None:
        return []
    wanted = [_match_form(v) for v in values]
    return [
        row
        for row in queryset.filter(**{field.attname: index_value})
        if row.blind_index_tenant_id() == tenant_id  # type: ignore[attr-defined]
        and [_match_form(getattr(row, source)) for source in field.sources] == wanted
    ]
