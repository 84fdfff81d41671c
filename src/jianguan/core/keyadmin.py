"""Key operations behind `jianguan keys …` and the key status page (D-04).

Every operation that changes keys is appended to the audit ledger (successes and refusals) with
ids and version numbers only. The caller names the actor: the CLI passes `Actor.system("cli")`.
"""

from __future__ import annotations

import uuid
from typing import Any

from .actors import Actor
from .crypto import keyring
from .errors import JianguanError, KekAlreadyRetired, KekIsCurrent, KekStillInUse
from .keys import check_key_file_permissions


def _record(action: str, actor: Actor, *, outcome: str = "success", **kw: Any) -> None:
    from jianguan.audit.ledger import record

    record(action, actor=actor, outcome=outcome, **kw)


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
