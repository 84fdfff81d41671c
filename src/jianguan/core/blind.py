"""Keyed blind indexes for exact lookups of encrypted values (BI-01..04).

Each index has its own key, derived from the blind-index root key by HKDF with the index name and
the institution, so the same value in two columns or two institutions gives different index values
(BI-02). The value is truncated to the number of bits the planner gives for the expected population
so that, on average, at least two rows share an index value (BI-03); lookups therefore post-filter
by decrypting.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import threading
import unicodedata
import uuid

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .keys import key_provider

_cache: dict[tuple[bytes, str, uuid.UUID], bytes] = {}
_lock = threading.Lock()


def plan_bits(expected_rows: int) -> int:
    """Largest bit length for which N / 2**bits ≥ 2 (CipherSweet's planner rule, BI-03)."""
    if expected_rows < 4:
        return 1
    return max(1, math.floor(math.log2(expected_rows / 2)))


def normalise_text(value: str) -> str:
    """NFKC, no whitespace, case-folded: the exact-match form of names, IDs and numbers (D-29)."""
    return "".join(unicodedata.normalize("NFKC", value).split()).casefold()


def index_key(index_name: str, tenant_id: uuid.UUID) -> bytes:
    root = key_provider().blind_index_root()
    cache_key = (root, index_name, tenant_id)
    key = _cache.get(cache_key)
    if key is None:
        key = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=None,
            info=b"jianguan-bidx|" + index_name.encode() + b"|" + tenant_id.bytes,
        ).derive(root)
        with _lock:
            _cache[cache_key] = key
    return key


def blind_index(value: str, *, index_name: str, tenant_id: uuid.UUID, bits: int) -> int:
    digest = hmac.new(
        index_key(index_name, tenant_id), normalise_text(value).encode(), hashlib.sha256
    ).digest()
    return int.from_bytes(digest[:8], "big") >> (64 - bits)
