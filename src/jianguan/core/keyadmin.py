"""Key operations behind `jianguan keys …` and the key status page (D-04).

Every operation that changes keys is appended to the audit ledger (successes and refusals) with
ids and version numbers only. The caller names the actor: the CLI passes `Actor.system("cli")`.
"""

from __future__ import annotations

import uuid
from typing import Any

from .actors import Actor
from .crypto import keyring
from .errors import JianguanError, KekAlreadyRetired, KekIsCurrent, KekStillInUse, KeysMissing
from .keys import check_key_file_permissions


def _record(action: str, actor: Actor, *, outcome: str = "success", **kw: Any) -> None:
    from jianguan.audit.ledger import record

    record(action, actor=actor, outcome=outcome, **kw)


def _database_holds_encrypted_data() -> bool:
    from django.apps import apps
    from django.db import DatabaseError

    from .fields import EncryptedField

    for model in apps.get_models():
        if any(isinstance(f, EncryptedField) for f in model._meta.concrete_fields):
            try:
                if model._base_manager.exists():
                    return True
            except DatabaseError:  # not migrated yet: nothing stored
                return False
    return False


def init_keys(*, actor: Actor) -> list[str]:
    """Create the key file and the key store of a new installation; what was created.

    Refuses when either is missing but data encrypted under it exists (a lost or unmounted key
    volume): new keys would hide the loss and make every stored value unreadable (D-02, ENC-07).
    """
    ring = keyring()
    provider, store = ring.provider, ring.store
    created: list[str] = []
    has_data = _database_holds_encrypted_data()
    if not provider.exists():
        if store.path.exists() or has_data:
            raise KeysMissing(
                f"the key file {provider.path} is missing but the key store or the database holds "
                "data encrypted under it: restore the key file from its backup"
            )
        provider.create()
        created.append(str(provider.path))
    if not store.path.exists():
        if has_data:
            raise KeysMissing(
                f"the key store {store.path} is missing but the database holds encrypted data: "
                "restore the key store from its backup"
            )
        store.allow_create = True
        try:
            store.version_counts()  # opens, and so creates, the store
        finally:
            store.allow_create = False
        created.append(str(store.path))
    if created:
        _record("keys.init", actor, resource_type="key_store", resource_id=str(len(created)))
    return created


def status() -> dict[str, Any]:
    ring = keyring()
    provider = ring.provider
    return {
        "key_file": str(provider.path),
        "key_store": str(ring.store.path),
        "deletion_log": str(ring.store.deletion_log_path),
        "kek_current": provider.current_version(),
        "kek_min": provider.min_version(),
        "kek_versions": provider.versions(),
        "wrapped_by_version": ring.store.version_counts(),
        "deletions": ring.store.deletion_count(),
        "pending_deletions": ring.store.pending_deletions(),
        "problems": check_key_file_permissions(provider.path),
    }


def rotate(*, actor: Actor) -> int:
    """New KEK version; new data keys are wrapped with it, old ones still unwrap (ENC-04)."""
    ring = keyring()
    version = ring.provider.rotate()
    _record("keys.rotate", actor, resource_type="kek", resource_id=str(version))
    return version


def rewrap(*, actor: Actor) -> int:
    """Re-wrap every data key under the current KEK version; return how many moved."""
    ring = keyring()
    current = ring.provider.current_version()
    try:
        count = ring.rewrap_below(current)
    except JianguanError:
        _record(
            "keys.rewrap", actor, outcome="failure", resource_type="kek", resource_id=str(current)
        )
        raise
    _record("keys.rewrap", actor, resource_type="kek", resource_id=str(current))
    return count


def retire_below(version: int, *, actor: Actor) -> None:
    """Delete KEK versions below `version`; refused while data keys still depend on them."""
    ring = keyring()
    provider = ring.provider
    try:
        if version > provider.current_version():
            raise KekIsCurrent()
        if version <= provider.min_version():
            raise KekAlreadyRetired(f"KEK versions below {version} are already retired")
        still = sorted(v for v in ring.store.version_counts() if v < version)
        if still:
            raise KekStillInUse(
                f"data keys are still wrapped by KEK version(s) {still}: "
                "run `jianguan keys rewrap` first"
            )
        provider.retire_below(version)
    except JianguanError:
        _record(
            "keys.retire", actor, outcome="failure", resource_type="kek", resource_id=str(version)
        )
        raise
    ring.forget()
    _record("keys.retire", actor, resource_type="kek", resource_id=str(version))


def replay_deletions(*, actor: Actor) -> int:
    """Delete again every data key named in the deletion log (after a restore, D-02)."""
    ring = keyring()
    count = ring.store.replay_deletions()
    ring.forget()
    _record("keys.replay_deletions", actor, resource_type="deletion_log")
    return count


def erase_scope(
    scope_id: uuid.UUID,
    reason: str,
    *,
    actor: Actor,
    customer_id: uuid.UUID | None = None,
    institution_id: uuid.UUID | None = None,
) -> None:
    """Crypto-shred a scope: its data key is destroyed and logged; its fields read as SHREDDED.

    `reason` goes to the deletion log beside the key store, not to the ledger, and must name a
    request or case number, not a person (D-05).
    """
    keyring().destroy(scope_id, reason)
    _record(
        "keys.erase",
        actor,
        resource_type="data_key",
        resource_id=str(scope_id),
        customer_id=customer_id,
        institution_id=institution_id,
    )
