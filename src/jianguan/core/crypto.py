"""Field encryption: AES-256-GCM under per-scope data keys, with the row bound in (ENC-02/03/04).

A sealed value is `0x01 ‖ scope id (16 bytes) ‖ nonce (12) ‖ ciphertext ‖ tag (16)`. The scope
names the data key (one per customer, one per institution for staff data, D-02); the key store
row of that data key names the KEK id and version that wrapped it. Associated data is the header
plus `table|column|row id`, so a ciphertext copied to another row, column or scope fails to open.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from .errors import DecryptionFailed, KeyDestroyed
from .keys import FileKeyProvider, key_provider
from .keystore import KeyStore

FORMAT = 1
HEADER_LEN = 1 + 16
NONCE_LEN = 12
CACHE_SECONDS = 60  # an erasure reaches other processes' caches within this time


def _dek_context(scope_id: uuid.UUID) -> bytes:
    return b"jianguan-dek|" + scope_id.bytes


class KeyRing:
    """Unwraps data keys on demand and keeps them in memory only, for a short time."""

    def __init__(self, provider: FileKeyProvider, store: KeyStore) -> None:
        self.provider = provider
        self.store = store
        self._cache: dict[uuid.UUID, tuple[float, AESGCM]] = {}
        self._lock = threading.Lock()

    def forget(self, scope_id: uuid.UUID | None = None) -> None:
        with self._lock:
            if scope_id is None:
                self._cache.clear()
            else:
                self._cache.pop(scope_id, None)

    def aead(self, scope_id: uuid.UUID, *, create: bool) -> AESGCM:
        now = time.monotonic()
        hit = self._cache.get(scope_id)
        if hit is not None and now - hit[0] < CACHE_SECONDS:
            return hit[1]
        wrapped = self.store.get(scope_id)
        if wrapped is not None and str(scope_id) in self.store.logged_deletions():
            # A key store restored from a backup still holds erased keys until replay (PR-04).
            raise KeyDestroyed(f"data key of scope {scope_id} was erased")
        if wrapped is None:
            if self.store.was_destroyed(scope_id):
                raise KeyDestroyed(f"data key of scope {scope_id} was erased")
            if not create:
                # Not an erasure: a tampered header, or a key store that does not belong to this
                # database. Fail loudly instead of reading as a tombstone.
                raise DecryptionFailed(f"no data key for scope {scope_id}")
            dek = secrets.token_bytes(32)
            wrapped = self.store.put_if_absent(
                scope_id, self.provider.wrap(dek, _dek_context(scope_id))
            )
        dek = self.provider.unwrap(wrapped, _dek_context(scope_id))
        aead = AESGCM(dek)
        with self._lock:
            self._cache[scope_id] = (now, aead)
        return aead

    def rewrap_below(self, version: int) -> int:
        """Re-wrap every data key wrapped by a KEK older than `version` under the current KEK."""
        count = 0
        for scope_id, wrapped in self.store.scopes_below(version):
            context = _dek_context(scope_id)
            dek = self.provider.unwrap(wrapped, context)
            self.store.replace(scope_id, self.provider.wrap(dek, context))
            count += 1
        return count

    def destroy(self, scope_id: uuid.UUID, reason: str) -> None:
        self.store.destroy(scope_id, reason)
        self.forget(scope_id)


_ring: KeyRing | None = None
_ring_lock = threading.Lock()
_ring_setting: object = None


def keyring() -> KeyRing:
    """The process-wide key ring for the configured key file and key store."""
    global _ring, _ring_setting
    provider = key_provider()
    configured = settings.JIANGUAN_KEYSTORE
    ring = _ring
    # Fast path on every seal/open: same provider and same setting object, same ring.
    if ring is not None and ring.provider is provider and configured is _ring_setting:
        return ring
    store_path = Path(configured)
    with _ring_lock:
        if _ring is None or _ring.provider is not provider or _ring.store.path != store_path:
            _ring = KeyRing(provider, KeyStore(store_path))
        _ring_setting = configured
        return _ring


def associated_data(header: bytes, table: str, column: str, row_id: object) -> bytes:
    return header + f"|{table}|{column}|{row_id}".encode()


def seal(
    plaintext: bytes, *, scope_id: uuid.UUID, table: str, column: str, row_id: object
) -> bytes:
    header = bytes([FORMAT]) + scope_id.bytes
    nonce = secrets.token_bytes(NONCE_LEN)
    aad = associated_data(header, table, column, row_id)
    body = keyring().aead(scope_id, create=True).encrypt(nonce, plaintext, aad)
    return header + nonce + body


def sealed_scope(sealed: bytes) -> uuid.UUID:
    if len(sealed) < HEADER_LEN + NONCE_LEN + 16 or sealed[0] != FORMAT:
        raise DecryptionFailed("not a sealed value of a known format")
    return uuid.UUID(bytes=bytes(sealed[1:HEADER_LEN]))


def open_sealed(sealed: bytes, *, table: str, column: str, row_id: object) -> bytes:
    scope_id = sealed_scope(sealed)
    header = bytes(sealed[:HEADER_LEN])
    nonce = bytes(sealed[HEADER_LEN : HEADER_LEN + NONCE_LEN])
    aad = associated_data(header, table, column, row_id)
    aead = keyring().aead(scope_id, create=False)
    try:
        return aead.decrypt(nonce, bytes(sealed[HEADER_LEN + NONCE_LEN :]), aad)
    except InvalidTag as exc:
        raise DecryptionFailed(f"{table}.{column} of row {row_id} does not decrypt") from exc
