"""Key material kept outside the database (D-02, ENC-07).

The key file (JSON, mode 0600) holds the key-encryption keys (KEKs) by version, the audit MAC key,
the Ed25519 key that signs ledger tree heads and the blind-index root key. `KeyProvider` is the
interface a KMS or HSM backend will implement later; `FileKeyProvider` is the default.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from .errors import DecryptionFailed, KekIsCurrent, KeyRetired, KeysMissing
from .sitesecret import create_private, write_private

KEK_ID = "keyfile-kek"


@dataclass(frozen=True)
class WrappedKey:
    kek_id: str
    kek_version: int
    blob: bytes  # nonce ‖ AES-256-GCM(KEK, DEK)


class KeyProvider(Protocol):
    def wrap(self, dek: bytes, context: bytes) -> WrappedKey: ...
    def unwrap(self, wrapped: WrappedKey, context: bytes) -> bytes: ...
    def current_version(self) -> int: ...
    def min_version(self) -> int: ...
    def versions(self) -> list[int]: ...
    def rotate(self) -> int: ...
    def retire_below(self, version: int) -> None: ...
    def audit_mac_key(self) -> bytes: ...
    def head_signing_key(self) -> Ed25519PrivateKey: ...
    def blind_index_root(self) -> bytes: ...


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text)


class FileKeyProvider:
    """Keys in one JSON file outside the database, created on first use with mode 0600."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._data: dict[str, object] | None = None
        self._stamp: tuple[int, int, int] | None = None

    # -- file handling -------------------------------------------------------------------------
    def exists(self) -> bool:
        return self.path.exists()

    def create(self) -> bool:
        """Create the key file if missing; return True if this call created it."""
        if self.path.exists():
            return False
        data = {
            "format": 1,
            "kek_id": KEK_ID,
            "keks": {"1": _b64(secrets.token_bytes(32))},
            "kek_current": 1,
            "kek_min": 1,
            "audit_mac_key": _b64(secrets.token_bytes(32)),
            "head_signing_key": _b64(secrets.token_bytes(32)),
            "blind_index_root": _b64(secrets.token_bytes(32)),
        }
        return create_private(self.path, json.dumps(data, indent=1).encode())

    def _file_stamp(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _load(self) -> dict[str, object]:
        # `jianguan keys rotate/retire` run in another process replace the file (new inode), and
        # every server process must see it at once: a stale copy would keep wrapping new data keys
        # with the old KEK, fail on keys re-wrapped by the new one, and keep using retired KEKs
        # (ENC-04). One stat per call is cheap next to the unwrap it precedes.
        stamp = self._file_stamp()
        if self._data is None or stamp != self._stamp:
            if stamp is None:
                if not auto_create_keys():
                    # A missing key file is never silently replaced: new keys would make every
                    # stored value unreadable and the ledger look tampered with.
                    raise KeysMissing(
                        f"the key file {self.path} is missing: restore it from its backup, or run "
                        "`jianguan keys init` on a new installation"
                    )
                self.create()
                stamp = self._file_stamp()
            self._data = json.loads(self.path.read_text())
            self._stamp = stamp
        return self._data

    def _save(self, data: dict[str, object]) -> None:
        write_private(self.path, json.dumps(data, indent=1).encode())
        self._data = data
        self._stamp = self._file_stamp()

    def reload(self) -> None:
        self._data = None

    def _keks(self) -> dict[str, str]:
        keks = self._load()["keks"]
        assert isinstance(keks, dict)
        return keks

    # -- KEKs ------------------------------------------------------------------------------------
    def current_version(self) -> int:
        return int(str(self._load()["kek_current"]))

    def min_version(self) -> int:
        return int(str(self._load()["kek_min"]))

    def versions(self) -> list[int]:
        return sorted(int(v) for v in self._keks())

    def _kek(self, version: int) -> bytes:
        if version < self.min_version():
            raise KeyRetired(f"KEK version {version} is retired (minimum {self.min_version()})")
        try:
            return _unb64(self._keks()[str(version)])
        except KeyError as exc:
            raise KeyRetired(f"KEK version {version} is not in the key file") from exc

    def wrap(self, dek: bytes, context: bytes) -> WrappedKey:
        version = self.current_version()
        nonce = secrets.token_bytes(12)
        blob = nonce + AESGCM(self._kek(version)).encrypt(nonce, dek, context)
        return WrappedKey(KEK_ID, version, blob)

    def unwrap(self, wrapped: WrappedKey, context: bytes) -> bytes:
        kek = self._kek(wrapped.kek_version)
        try:
            return AESGCM(kek).decrypt(wrapped.blob[:12], wrapped.blob[12:], context)
        except Exception as exc:  # InvalidTag: wrong KEK, wrong context or a tampered blob
            raise DecryptionFailed("data key does not unwrap") from exc

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One writer of the key file at a time, across threads and processes."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock_path = self.path.with_name(self.path.name + ".lock")
        with self._lock, open(os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600), "rb") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def rotate(self) -> int:
        with self._exclusive():
            self.reload()
            data = dict(self._load())
            keks = dict(self._keks())
            new = max(int(v) for v in keks) + 1
            keks[str(new)] = _b64(secrets.token_bytes(32))
            data["keks"] = keks
            data["kek_current"] = new
            self._save(data)
            return new

    def retire_below(self, version: int) -> None:
        with self._exclusive():
            self.reload()
            data = dict(self._load())
            if version > int(str(data["kek_current"])):
                raise KekIsCurrent()
            # The retired KEKs are deleted from the file, so a retired version fails loudly.
            data["keks"] = {v: k for v, k in self._keks().items() if int(v) >= version}
            data["kek_min"] = max(version, int(str(data["kek_min"])))
            self._save(data)

    # -- other keys -------------------------------------------------------------------------------
    def _key(self, name: str) -> bytes:
        # These keys never change during the key file's life (rotation replaces KEKs only), so
        # they need no freshness check: the blind index and the ledger ask for them on every call.
        data = self._data if self._data is not None else self._load()
        return _unb64(str(data[name]))

    def audit_mac_key(self) -> bytes:
        return self._key("audit_mac_key")

    def head_signing_key(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self._key("head_signing_key"))

    def blind_index_root(self) -> bytes:
        return self._key("blind_index_root")


def auto_create_keys() -> bool:
    """Tests create keys on first use; every other run needs `jianguan keys init` once."""
    from django.conf import settings

    return bool(getattr(settings, "JIANGUAN_KEYS_AUTO_CREATE", False))


_provider: FileKeyProvider | None = None
_provider_lock = threading.Lock()
_provider_setting: object = None


def key_provider() -> FileKeyProvider:
    """The process-wide key provider named by settings.JIANGUAN_KEY_FILE."""
    global _provider, _provider_setting
    configured = settings.JIANGUAN_KEY_FILE
    provider = _provider
    # Fast path on every field read: the same setting object means the same provider.
    if provider is not None and configured is _provider_setting:
        return provider
    path = Path(configured)
    with _provider_lock:
        if _provider is None or _provider.path != path:
            _provider = FileKeyProvider(path)
        _provider_setting = configured
        return _provider


def check_key_file_permissions(path: Path) -> list[str]:
    """Problems with the key file's permissions, for `jianguan keys status` and the system check."""
    if not path.exists():
        return []
    mode = os.stat(path).st_mode & 0o777
    return [f"{path} has mode {mode:o}; it must be 600"] if mode & 0o077 else []
