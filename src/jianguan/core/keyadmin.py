"""Key operations behind `jianguan keys …` and the key status page (D-04)."""

from __future__ import annotations

from typing import Any

from .crypto import keyring
from .keys import check_key_file_permissions


def status() -> dict[str, Any]:
    ring = keyring()
    provider = ring.provider
    return {
        "key_file": str(provider.path),
        "kek_current": provider.current_version(),
        "kek_min": provider.min_version(),
        "kek_versions": provider.versions(),
        "wrapped_by_version": ring.store.version_counts(),
        "deletions": ring.store.deletion_count(),
        "problems": check_key_file_permissions(provider.path),
    }


def rotate() -> int:
    """New KEK version; new data keys are wrapped with it, old ones still unwrap (ENC-04)."""
    ring = keyring()
    version = ring.provider.rotate()
    ring.forget()
    return version


def rewrap() -> int:
    """Re-wrap every data key under the current KEK version."""
    ring = keyring()
    return ring.rewrap_below(ring.provider.current_version())


def retire_below(version: int) -> None:
    """Delete KEK versions below `version`; refuses while data keys still depend on them."""
    ring = keyring()
    still = {v: n for v, n in ring.store.version_counts().items() if v < version}
    if still:
        raise ValueError(
            f"data keys are still wrapped by KEK version(s) {sorted(still)}: run `jianguan keys rewrap`"
        )
    ring.provider.retire_below(version)
    ring.forget()


def replay_deletions() -> int:
    ring = keyring()
    count = ring.store.replay_deletions()
    ring.forget()
    return count
