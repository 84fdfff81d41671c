"""RFC 9162 hashing, proofs and verifiers: SR §2.3 reference values and the shared test vectors."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from jianguan.audit import merkle

# Copied from ../shared/data/merkle (transparency-dev/merkle testdata, Apache-2.0, LICENSE beside).
VECTORS = Path(__file__).resolve().parents[1] / "data" / "merkle"
INPUTS = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
LEAVES = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
    "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
]
LEVEL1 = [
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
]
LEVEL2 = [
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
]


def reference_tree() -> merkle.Tree:
    return merkle.Tree([merkle.leaf_hash(d) for d in INPUTS])


def test_empty_tree_root_is_hash_of_nothing() -> None:
    assert merkle.EMPTY_ROOT.hex() == ROOTS[0]
    assert merkle.root([]).hex() == ROOTS[0]


def test_leaf_hash_known_answers() -> None:
    assert merkle.leaf_hash(b"").hex() == (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )
    assert merkle.leaf_hash(b"L123456").hex() == (
        "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    )


def test_node_hash_known_answer() -> None:
    assert merkle.node_hash(b"N123", b"N456").hex() == (
        "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )


@pytest.mark.parametrize("n", range(9))
def test_root_of_reference_inputs(n: int) -> None:
    leaves = [merkle.leaf_hash(d) for d in INPUTS[:n]]
    assert merkle.root(leaves).hex() == ROOTS[n]
    assert reference_tree().root(n).hex() == ROOTS[n]


def test_reference_levels() -> None:
    tree = reference_tree()
    split = [
        [level[i : i + 32].hex() for i in range(0, len(level), 32)] for level in tree.levels[:3]
    ]
    assert split == [LEAVES, LEVEL1, LEVEL2]


def test_compact_range_gives_every_reference_root() -> None:
    compact = merkle.CompactRange()
    assert compact.root().hex() == ROOTS[0]
    for n, data in enumerate(INPUTS, start=1):
        compact.append(merkle.leaf_hash(data))
        assert compact.root().hex() == ROOTS[n]


def test_inclusion_proof_of_leaf_0_in_size_8_is_the_published_one() -> None:
    proof = reference_tree().inclusion_proof(0, 8)
    assert [p.hex() for p in proof] == [LEAVES[1], LEVEL1[1], LEVEL2[1]]


def test_consistency_proof_2_to_5_is_the_published_one() -> None:
    proof = reference_tree().consistency_proof(2, 5)
    assert [p.hex() for p in proof] == [LEVEL1[1], LEAVES[4]]


def test_consistency_proof_1_to_8_is_the_published_one() -> None:
    proof = reference_tree().consistency_proof(1, 8)
    assert [p.hex() for p in proof] == [LEAVES[1], LEVEL1[1], LEVEL2[1]]


def test_flipping_one_bit_of_a_proof_element_fails_inclusion() -> None:
    tree = reference_tree()
    proof = tree.inclusion_proof(0, 8)
    proof[1] = bytes([proof[1][0] ^ 1]) + proof[1][1:]
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(0, 8, tree.leaf(0), proof, tree.root())


def _synthetic(n: int) -> merkle.Tree:
    return merkle.Tree([hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(n)])


@pytest.mark.parametrize("size", range(1, 34))
def test_every_generated_inclusion_proof_verifies(size: int) -> None:
    tree = _synthetic(33)
    for index in range(size):
        proof = tree.inclusion_proof(index, size)
        merkle.verify_inclusion(index, size, tree.leaf(index), proof, tree.root(size))


@pytest.mark.parametrize("size2", range(1, 34))
def test_every_generated_consistency_proof_verifies(size2: int) -> None:
    tree = _synthetic(33)
    for size1 in range(1, size2 + 1):
        proof = tree.consistency_proof(size1, size2)
        merkle.verify_consistency(size1, size2, proof, tree.root(size1), tree.root(size2))


def test_bottom_up_root_equals_the_rfc_recursive_definition() -> None:
    def mth(leaves: list[bytes]) -> bytes:
        if len(leaves) == 1:
            return leaves[0]
        k = 1 << ((len(leaves) - 1).bit_length() - 1)
        return merkle.node_hash(mth(leaves[:k]), mth(leaves[k:]))

    leaves = [hashlib.sha256(bytes([i])).digest() for i in range(100)]
    for n in (1, 2, 3, 5, 31, 64, 65, 100):
        assert merkle.root(leaves[:n]) == mth(leaves[:n])


# -- the shared vectors (LG-02): every JSON file, read directly --------------------------------


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value) if value else b""


def _vector_files(kind: str) -> list[Path]:
    return sorted((VECTORS / kind).rglob("*.json"))


def _id(path: Path) -> str:
    return str(path.relative_to(VECTORS))


def test_vector_directory_holds_all_files() -> None:
    assert len(_vector_files("inclusion")) + len(_vector_files("consistency")) == 196


@pytest.mark.parametrize("path", _vector_files("inclusion"), ids=_id)
def test_inclusion_vector(path: Path) -> None:
    v: dict[str, Any] = json.loads(path.read_text())
    args = (
        v["leafIdx"],
        v["treeSize"],
        _b64(v["leafHash"]),
        [_b64(p) for p in v["proof"] or []],
        _b64(v["root"]),
    )
    if v["wantErr"]:
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(*args)
    else:
        merkle.verify_inclusion(*args)


@pytest.mark.parametrize("path", _vector_files("consistency"), ids=_id)
def test_consistency_vector(path: Path) -> None:
    v: dict[str, Any] = json.loads(path.read_text())
    args = (
        v["size1"],
        v["size2"],
        [_b64(p) for p in v["proof"] or []],
        _b64(v["root1"]),
        _b64(v["root2"]),
    )
    if v["wantErr"]:
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(*args)
    else:
        merkle.verify_consistency(*args)


# -- hostile proofs (LG-07) and out-of-range requests (LG-08) ---------------------------------


@pytest.fixture
def tree13() -> merkle.Tree:
    return _synthetic(13)


def test_inclusion_with_swapped_siblings_is_rejected(tree13: merkle.Tree) -> None:
    proof = tree13.inclusion_proof(5)
    proof[0], proof[1] = proof[1], proof[0]
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(5, 13, tree13.leaf(5), proof, tree13.root())


def test_inclusion_with_extra_trailing_hash_is_rejected(tree13: merkle.Tree) -> None:
    proof = [*tree13.inclusion_proof(5), tree13.root()]
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(5, 13, tree13.leaf(5), proof, tree13.root())


@pytest.mark.parametrize("size", [12, 14])
def test_inclusion_with_tree_size_off_by_one_is_rejected(tree13: merkle.Tree, size: int) -> None:
    # The last leaf: its path has another shape in a tree one larger or smaller. (For leaves
    # whose path shape is the same, the size is bound by the signed head, which signs both.)
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(
            12, size, tree13.leaf(12), tree13.inclusion_proof(12), tree13.root()
        )


@pytest.mark.parametrize("index", [4, 6])
def test_inclusion_with_leaf_index_off_by_one_is_rejected(tree13: merkle.Tree, index: int) -> None:
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(index, 13, tree13.leaf(5), tree13.inclusion_proof(5), tree13.root())


def test_inclusion_with_short_hash_element_is_rejected(tree13: merkle.Tree) -> None:
    proof = tree13.inclusion_proof(5)
    proof[2] = proof[2][:31]
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(5, 13, tree13.leaf(5), proof, tree13.root())


def test_inclusion_of_a_node_hash_posing_as_a_leaf_is_rejected(tree13: merkle.Tree) -> None:
    # The interior node over leaves 4 and 5, offered as a leaf one level up.
    node = merkle.node_hash(tree13.leaf(4), tree13.leaf(5))
    proof = tree13.inclusion_proof(5)[1:]
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(2, 13, node, proof, tree13.root())


def test_consistency_with_truncated_proof_is_rejected(tree13: merkle.Tree) -> None:
    proof = tree13.consistency_proof(6, 13)[:-1]
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(6, 13, proof, tree13.root(6), tree13.root(13))


def test_consistency_with_size_off_by_one_is_rejected(tree13: merkle.Tree) -> None:
    proof = tree13.consistency_proof(6, 13)
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(7, 13, proof, tree13.root(6), tree13.root(13))


def test_consistency_with_swapped_roots_is_rejected(tree13: merkle.Tree) -> None:
    proof = tree13.consistency_proof(6, 13)
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(6, 13, proof, tree13.root(13), tree13.root(6))


@pytest.mark.parametrize(("index", "size"), [(13, 13), (20, 13), (-1, 13), (0, 0), (3, 14)])
def test_inclusion_proof_out_of_range_raises(tree13: merkle.Tree, index: int, size: int) -> None:
    with pytest.raises(merkle.MerkleError):
        tree13.inclusion_proof(index, size)


@pytest.mark.parametrize(("size1", "size2"), [(0, 5), (6, 5), (3, 14), (-1, 4)])
def test_consistency_proof_out_of_range_raises(tree13: merkle.Tree, size1: int, size2: int) -> None:
    with pytest.raises(merkle.MerkleError):
        tree13.consistency_proof(size1, size2)


def test_root_of_a_size_beyond_the_tree_raises(tree13: merkle.Tree) -> None:
    with pytest.raises(merkle.MerkleError):
        tree13.root(14)
