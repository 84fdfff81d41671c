"""AES-256-GCM: the primitive (SR §2.4 vectors) and our sealed format (ENC-02, ENC-03)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TypedDict

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from jianguan.core.crypto import HEADER_LEN, NONCE_LEN, open_sealed, seal
from jianguan.core.errors import DecryptionFailed

# SR §2.4: NIST CAVP (gcmEncryptExtIV256 / gcmDecrypt256) rows and GCM spec test cases 13-16
# (McGrew & Viega), as recomputed in security-requirements.md. Columns: key, IV, PT, AAD, CT, tag.
TC15_KEY = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"
TC15_IV = "cafebabefacedbaddecaf888"
TC15_PT = (
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255"
)
TC15_CT = (
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad"
)
TC16_AAD = "feedfacedeadbeeffeedfacedeadbeefabaddad2"
VECTORS = [
    pytest.param(
        "b52c505a37d78eda5dd34f20c22540ea1b58963cf8e5bf8ffa85f9f2492505b4",
        "516c33929df5a3284ff463d7",
        "",
        "",
        "",
        "bdc1ac884d332457a1d2664f168c76f0",
        id="CAVP-EncryptExtIV256-count0",
    ),
    pytest.param(
        "31bdadd96698c204aa9ce1448ea94ae1fb4a9a0b3c9d773b51bb1822666b8f22",
        "0d18e06c7c725ac9e362e1ce",
        "2db5168e932556f8089a0622981d017d",
        "",
        "fa4362189661d163fcd6a56d8bf0405a",
        "d636ac1bbedd5cc3ee727dc2ab4a9489",
        id="CAVP-EncryptExtIV256-PT128",
    ),
    pytest.param(
        "54e352ea1d84bfe64a1011096111fbe7668ad2203d902a01458c3bbd85bfce14",
        "df7c3bca00396d0c018495d9",
        "85fc3dfad9b5a8d3258e4fc44571bd3b",
        "7e968d71b50c1f11fd001f3fef49d045",
        "426e0efc693b7be1f3018db7ddbb7e4d",
        "ee8257795be6a1164d7e1d2d6cac77a7",
        id="CAVP-Decrypt256-PT128-AAD128",
    ),
    pytest.param(
        "00" * 32, "00" * 12, "", "", "", "530f8afbc74536b9a963b4f1c4cb738b", id="GCM-TC13"
    ),
    pytest.param(
        "00" * 32,
        "00" * 12,
        "00" * 16,
        "",
        "cea7403d4d606b6e074ec5d3baf39d18",
        "d0d1c8a799996bf0265b98b5d48ab919",
        id="GCM-TC14",
    ),
    pytest.param(
        TC15_KEY, TC15_IV, TC15_PT, "", TC15_CT, "b094dac5d93471bdec1a502270e3cc6c", id="GCM-TC15"
    ),
    pytest.param(
        TC15_KEY,
        TC15_IV,
        TC15_PT[:-8],
        TC16_AAD,
        TC15_CT[:-8],
        "76fc6ece0f4e1768cddf8853bb2d551b",
        id="GCM-TC16",
    ),
]


@pytest.mark.parametrize(("key", "iv", "pt", "aad", "ct", "tag"), VECTORS)
def test_aes_256_gcm_reproduces_the_sr_vectors(
    key: str, iv: str, pt: str, aad: str, ct: str, tag: str
) -> None:
    aead = AESGCM(bytes.fromhex(key))
    sealed = aead.encrypt(bytes.fromhex(iv), bytes.fromhex(pt), bytes.fromhex(aad) or None)
    assert sealed.hex() == ct + tag
    assert aead.decrypt(bytes.fromhex(iv), sealed, bytes.fromhex(aad) or None).hex() == pt


def test_aes_256_gcm_rejects_tc16_with_its_first_ciphertext_byte_flipped() -> None:
    body = bytearray.fromhex(TC15_CT[:-8] + "76fc6ece0f4e1768cddf8853bb2d551b")
    body[0] ^= 0x01
    with pytest.raises(InvalidTag):
        AESGCM(bytes.fromhex(TC15_KEY)).decrypt(
            bytes.fromhex(TC15_IV), bytes(body), bytes.fromhex(TC16_AAD)
        )


# -- our sealed format: 0x01 ‖ scope (16) ‖ nonce (12) ‖ ciphertext ‖ tag (16) --------------------


class Where(TypedDict):
    table: str
    column: str
    row_id: object


SCOPE = uuid.UUID("9b0c5a34-1f7e-4d55-8a3e-2b9c1d0e7f61")
WHERE = Where(table="accounts_user", column="full_name", row_id=uuid.UUID(int=7))


def test_sealing_the_same_value_twice_gives_different_ciphertexts(isolated_keys: Path) -> None:
    first = seal("王小明".encode(), scope_id=SCOPE, **WHERE)
    second = seal("王小明".encode(), scope_id=SCOPE, **WHERE)
    assert first != second
    assert first[HEADER_LEN : HEADER_LEN + NONCE_LEN] != second[HEADER_LEN : HEADER_LEN + NONCE_LEN]


def test_a_sealed_value_uses_a_96_bit_nonce_and_a_128_bit_tag(isolated_keys: Path) -> None:
    plaintext = "王小明".encode()
    sealed = seal(plaintext, scope_id=SCOPE, **WHERE)
    assert len(sealed) == 1 + 16 + 12 + len(plaintext) + 16
    assert sealed[1:HEADER_LEN] == SCOPE.bytes
    assert open_sealed(sealed, **WHERE) == plaintext


@pytest.mark.parametrize(
    "part",
    ["format byte", "scope", "nonce", "ciphertext", "tag"],
)
def test_flipping_any_byte_of_a_sealed_value_raises_decryption_failed(
    isolated_keys: Path, part: str
) -> None:
    plaintext = b"110101199003077777"
    sealed = seal(plaintext, scope_id=SCOPE, **WHERE)
    body_start = HEADER_LEN + NONCE_LEN
    ranges = {
        "format byte": range(0, 1),
        "scope": range(1, HEADER_LEN),
        "nonce": range(HEADER_LEN, body_start),
        "ciphertext": range(body_start, body_start + len(plaintext)),
        "tag": range(body_start + len(plaintext), len(sealed)),
    }
    for index in ranges[part]:
        for bit in (0x01, 0x80):
            tampered = bytearray(sealed)
            tampered[index] ^= bit
            with pytest.raises(DecryptionFailed):
                open_sealed(bytes(tampered), **WHERE)


def test_a_truncated_sealed_value_raises_decryption_failed(isolated_keys: Path) -> None:
    sealed = seal(b"13800138000", scope_id=SCOPE, **WHERE)
    for length in (0, 1, HEADER_LEN, HEADER_LEN + NONCE_LEN + 15, len(sealed) - 1):
        with pytest.raises(DecryptionFailed):
            open_sealed(sealed[:length], **WHERE)


@pytest.mark.parametrize(
    "elsewhere",
    [
        Where(table="records_customer", column="full_name", row_id=uuid.UUID(int=7)),
        Where(table="accounts_user", column="mobile", row_id=uuid.UUID(int=7)),
        Where(table="accounts_user", column="full_name", row_id=uuid.UUID(int=8)),
    ],
    ids=["other table", "other column", "other row"],
)
def test_a_sealed_value_opened_for_another_table_column_or_row_raises(
    isolated_keys: Path, elsewhere: Where
) -> None:
    sealed = seal("王小明".encode(), scope_id=SCOPE, **WHERE)
    with pytest.raises(DecryptionFailed):
        open_sealed(sealed, **elsewhere)


def test_a_sealed_value_moved_to_another_scope_raises(isolated_keys: Path) -> None:
    other = uuid.UUID("0d6f3c2a-8e51-4b7f-9a64-5c3e2d1f0a98")
    seal(b"x", scope_id=other, **WHERE)  # the other scope has a data key of its own
    sealed = bytearray(seal("王小明".encode(), scope_id=SCOPE, **WHERE))
    sealed[1:HEADER_LEN] = other.bytes
    with pytest.raises(DecryptionFailed):
        open_sealed(bytes(sealed), **WHERE)
