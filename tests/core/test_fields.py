"""EncryptedField and BlindIndexField on real rows (D-01, ENC-02, ENC-03)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection, models, transaction
from django.template import Context, Template
from django.test.utils import isolate_apps

from jianguan.accounts.models import Institution, User
from jianguan.core import keyadmin
from jianguan.core.actors import Actor
from jianguan.core.crypto import keyring, sealed_scope
from jianguan.core.errors import DecryptionFailed, KeyDestroyed
from jianguan.core.fields import SHREDDED, EncryptedField, Sealed

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]


def raw_column(model: type[User], column: str, pk: uuid.UUID) -> bytes | None:
    """What is stored, read with SQL around the ORM (as someone with database access would)."""
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {qn(column)} FROM {qn(model._meta.db_table)} WHERE id = %s",
            [model._meta.pk.get_db_prep_value(pk, connection)],
        )
        (value,) = cur.fetchone()
    return None if value is None else bytes(value)


def write_raw_column(model: type[User], column: str, pk: uuid.UUID, value: bytes) -> None:
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {qn(model._meta.db_table)} SET {qn(column)} = %s WHERE id = %s",
            [value, model._meta.pk.get_db_prep_value(pk, connection)],
        )


def fetch(pk: uuid.UUID) -> User:
    return User.objects.unscoped(reason="test").get(pk=pk)


# -- storage --------------------------------------------------------------------------------------


def test_an_encrypted_field_stores_a_sealed_value_under_the_institution_scope(
    make_user: MakeUser, institution: Institution
) -> None:
    user = make_user(full_name="欧阳娜娜")
    stored = raw_column(User, "full_name", user.pk)
    assert stored is not None
    assert "欧阳娜娜".encode() not in stored
    assert sealed_scope(stored) == institution.id
    assert fetch(user.pk).full_name == "欧阳娜娜"


def test_an_empty_text_value_is_stored_as_null(make_user: MakeUser) -> None:
    user = make_user(mobile="")
    assert raw_column(User, "mobile", user.pk) is None
    assert fetch(user.pk).mobile is None


# -- ENC-03: ciphertexts are bound to their row and column ----------------------------------------


def test_a_ciphertext_copied_into_another_users_row_raises_decryption_failed(
    make_user: MakeUser,
) -> None:
    alice = make_user(full_name="张丽")
    bob = make_user(full_name="王强")  # same institution, so the same data key: only AAD differs
    write_raw_column(User, "full_name", bob.pk, raw_column(User, "full_name", alice.pk) or b"")
    victim = fetch(bob.pk)
    with pytest.raises(DecryptionFailed):
        _ = victim.full_name


def test_a_ciphertext_copied_into_another_column_of_the_same_row_raises(
    make_user: MakeUser,
) -> None:
    user = make_user(full_name="张丽", mobile="13912345678")
    write_raw_column(User, "mobile", user.pk, raw_column(User, "full_name", user.pk) or b"")
    with pytest.raises(DecryptionFailed):
        _ = fetch(user.pk).mobile


# -- loading and saving ---------------------------------------------------------------------------


def test_a_deferred_encrypted_field_is_loaded_and_decrypted_on_access(
    make_user: MakeUser,
) -> None:
    user = make_user(full_name="李华", mobile="13700001234")
    only = User.objects.unscoped(reason="test").only("username").get(pk=user.pk)
    deferred = User.objects.unscoped(reason="test").defer("mobile").get(pk=user.pk)
    assert "full_name" in only.get_deferred_fields()
    assert only.full_name == "李华"
    assert deferred.mobile == "13700001234"


def test_saving_an_unchanged_row_keeps_the_ciphertext_bytes(make_user: MakeUser) -> None:
    user = make_user(full_name="李华")
    before = raw_column(User, "full_name", user.pk)
    loaded = fetch(user.pk)
    assert loaded.full_name == "李华"  # decrypted, then saved unchanged
    loaded.is_active = False
    loaded.save()
    user.save()  # the instance that encrypted it keeps the ciphertext it wrote
    assert raw_column(User, "full_name", user.pk) == before


def test_saving_a_row_with_a_deferred_encrypted_field_keeps_its_ciphertext(
    make_user: MakeUser,
) -> None:
    user = make_user(full_name="李华")
    before = raw_column(User, "full_name", user.pk)
    loaded = User.objects.unscoped(reason="test").only("username").get(pk=user.pk)
    assert loaded.full_name == "李华"
    loaded.save()
    assert raw_column(User, "full_name", user.pk) == before


def test_setting_a_new_value_re_encrypts_and_updates_the_blind_index(make_user: MakeUser) -> None:
    user = make_user(full_name="李华")
    before = raw_column(User, "full_name", user.pk)
    loaded = fetch(user.pk)
    loaded.full_name = "李华华"
    loaded.save()
    assert raw_column(User, "full_name", user.pk) != before
    reloaded = fetch(user.pk)
    assert reloaded.full_name == "李华华"
    field = User._meta.get_field("full_name_index")
    assert reloaded.full_name_index == field.compute(User, user.institution_id, "李华华")


def test_plaintext_in_a_filter_on_an_encrypted_field_raises_type_error(
    make_user: MakeUser,
) -> None:
    make_user(full_name="李华")
    with pytest.raises(TypeError, match="blind index"):
        list(User.objects.unscoped(reason="test").filter(full_name="李华"))


def test_update_and_bulk_update_refuse_plaintext_for_an_encrypted_field(
    make_user: MakeUser,
) -> None:
    user = make_user(full_name="李华")
    users = User.objects.unscoped(reason="test")
    with pytest.raises(TypeError), transaction.atomic():
        users.filter(pk=user.pk).update(full_name="王五")
    loaded = fetch(user.pk)
    loaded.full_name = "王五"
    with pytest.raises(TypeError), transaction.atomic():
        users.bulk_update([loaded], ["full_name"])
    assert fetch(user.pk).full_name == "李华"


def test_bulk_create_encrypts_every_row_and_fills_its_blind_index(
    institution: Institution,
) -> None:
    names = ["赵一", "钱二", "孙三"]
    users = [
        User(institution=institution, username=f"bulk-{i}", full_name=n, mobile=f"1350000000{i}")
        for i, n in enumerate(names)
    ]
    User.objects.unscoped(reason="test").bulk_create(users)
    field = User._meta.get_field("full_name_index")
    for user, name in zip(users, names, strict=True):
        stored = raw_column(User, "full_name", user.pk)
        assert stored is not None and name.encode() not in stored
        loaded = fetch(user.pk)
        assert isinstance(loaded.__dict__["full_name"], Sealed)
        assert loaded.full_name == name
        assert loaded.full_name_index == field.compute(User, institution.id, name)


# -- erased scopes (LG-09) ------------------------------------------------------------------------


def test_an_erased_value_reads_and_renders_as_the_tombstone(
    isolated_keys: Path, make_user: MakeUser, institution: Institution
) -> None:
    user = make_user(full_name="李华")
    keyadmin.erase_scope(institution.id, "case E-1", actor=Actor.system("test"))
    loaded = fetch(user.pk)
    assert loaded.full_name is SHREDDED
    assert not loaded.full_name
    assert str(loaded.full_name) == "〔已销毁〕"
    html = Template("<p>{{ u.full_name }}</p>").render(Context({"u": loaded}))
    assert html == "<p>〔已销毁〕</p>"


def test_an_erased_scope_refuses_new_encrypted_writes(
    isolated_keys: Path, make_user: MakeUser, institution: Institution
) -> None:
    user = make_user(full_name="李华")
    keyadmin.erase_scope(institution.id, "case E-2", actor=Actor.system("test"))
    keyring().forget()
    loaded = fetch(user.pk)
    loaded.mobile = "13600000000"
    with pytest.raises(KeyDestroyed):
        loaded.save()


# -- the json and date kinds, on a table of the test's own ------------------------------------


@pytest.fixture
def dossier_model(transactional_db: None, isolated_keys: Path) -> Iterator[type[models.Model]]:
    """A throwaway model with json and date fields (no project model has them yet)."""
    with isolate_apps("jianguan.core"):

        class Dossier(models.Model):
            id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
            scope = models.UUIDField()
            notes = EncryptedField(kind="json")
            born = EncryptedField(kind="date")

            class Meta:
                app_label = "core"
                db_table = "test_core_dossier"

            def __str__(self) -> str:
                return str(self.id)

            def encryption_scope_id(self) -> uuid.UUID:
                return self.scope

        with connection.schema_editor() as editor:
            editor.create_model(Dossier)
        try:
            yield Dossier
        finally:
            with connection.schema_editor() as editor:
                editor.delete_model(Dossier)


def test_json_and_date_values_round_trip(dossier_model: type[models.Model]) -> None:
    row = dossier_model(scope=uuid.uuid4(), notes={"bp": [120, 80]}, born=dt.date(1980, 2, 29))
    row.save()
    loaded = dossier_model._base_manager.get(pk=row.pk)
    assert loaded.notes == {"bp": [120, 80]}  # type: ignore[attr-defined]
    assert loaded.born == dt.date(1980, 2, 29)  # type: ignore[attr-defined]


def test_a_json_value_changed_in_place_is_saved(dossier_model: type[models.Model]) -> None:
    row = dossier_model(scope=uuid.uuid4(), notes={"bp": [120, 80]})
    row.save()
    loaded = dossier_model._base_manager.get(pk=row.pk)
    loaded.notes["bp"][0] = 135  # type: ignore[attr-defined]
    loaded.save()
    assert dossier_model._base_manager.get(pk=row.pk).notes == {"bp": [135, 80]}  # type: ignore[attr-defined]


def test_an_unchanged_json_value_keeps_its_ciphertext(dossier_model: type[models.Model]) -> None:
    row = dossier_model(scope=uuid.uuid4(), notes={"bp": [120, 80]})
    row.save()
    loaded = dossier_model._base_manager.get(pk=row.pk)
    before = loaded.__dict__["notes"]
    assert loaded.notes == {"bp": [120, 80]}  # type: ignore[attr-defined]
    loaded.save()
    assert dossier_model._base_manager.get(pk=row.pk).__dict__["notes"] == before
