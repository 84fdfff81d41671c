"""RFC 9162 Merkle tree hashing, proofs and proof verification (pure Python, no Django).

Leaf hash H(0x00 ‖ d), node hash H(0x01 ‖ l ‖ r) with SHA-256 (RFC 9162 §2.1.1). The tree of n
leaves splits at the largest power of two below n; building it bottom up and carrying an unpaired
last node to the next level gives the same root, which is what `root` and `Tree` do.

Generators raise `MerkleError` for an index or size outside the tree instead of returning a
proof (LG-08). Verifiers raise `ProofError` with the reason; they return nothing on success, so a
caller cannot forget to look at a boolean (LG-07).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256


class MerkleError(ValueError):
    """A proof or root was asked for an index or size the tree does not have (LG-08)."""


class ProofError(ValueError):
    """A proof does not verify."""


def leaf_hash(data: bytes) -> bytes:
    return _sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha256(NODE_PREFIX + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """The k of RFC 9162 §2.1.1: the largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _next_level(level: bytes) -> bytes:
    """Hash the pairs of a level of concatenated 32-byte hashes; an odd last one is left out."""
    pairs = len(level) // (2 * HASH_SIZE)
    view = memoryview(level)
    out = [
        _sha256(NODE_PREFIX + view[i : i + 2 * HASH_SIZE]).digest()
        for i in range(0, pairs * 2 * HASH_SIZE, 2 * HASH_SIZE)
    ]
    return b"".join(out)


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over the given leaf hashes, bottom up; about a second for a million leaves."""
    if not leaf_hashes:
        return EMPTY_ROOT
    return Tree(leaf_hashes).root()


class Tree:
    """A tree over leaf hashes, keeping every complete level so any subtree hash is cheap.

    Level j holds, concatenated, the hashes of the complete aligned subtrees of 2**j leaves.
    Subtrees that are not complete at the full size (the right edge) are computed on demand from
    complete ones, so roots and proofs for any smaller size come from the same levels.
    """

    def __init__(self, leaf_hashes: bytes | Iterable[bytes]) -> None:
        level = leaf_hashes if isinstance(leaf_hashes, bytes) else b"".join(leaf_hashes)
        if len(level) % HASH_SIZE:
            raise MerkleError("leaf hashes must be 32 bytes each")
        self.levels: list[bytes] = [level]
        while len(level) >= 2 * HASH_SIZE:
            level = _next_level(level)
            self.levels.append(level)

    @property
    def size(self) -> int:
        return len(self.levels[0]) // HASH_SIZE

    def leaf(self, index: int) -> bytes:
        if not 0 <= index < self.size:
            raise MerkleError(f"leaf index {index} outside tree of size {self.size}")
        return self.levels[0][index * HASH_SIZE : (index + 1) * HASH_SIZE]

    def _subtree(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for 0 <= start < end <= size, as RFC 9162 §2.1.1 defines it."""
        width = end - start
        if width & (width - 1) == 0 and start % width == 0:
            depth = width.bit_length() - 1
            index = start >> depth
            level = self.levels[depth]
            return level[index * HASH_SIZE : (index + 1) * HASH_SIZE]
        k = _largest_power_of_two_below(width)
        return node_hash(self._subtree(start, start + k), self._subtree(start + k, end))

    def _check_size(self, size: int) -> None:
        if not 0 <= size <= self.size:
            raise MerkleError(f"tree size {size} outside 0..{self.size}")

    def root(self, size: int | None = None) -> bytes:
        size = self.size if size is None else size
        self._check_size(size)
        return EMPTY_ROOT if size == 0 else self._subtree(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH(index, D[0:size]) of RFC 9162 §2.1.3.1."""
        size = self.size if size is None else size
        self._check_size(size)
        if not 0 <= index < size:
            raise MerkleError(f"leaf index {index} outside tree of size {size}")
        path: list[bytes] = []
        start, end = 0, size
        while end - start > 1:
            k = _largest_power_of_two_below(end - start)
            if index < start + k:
                path.append(self._subtree(start + k, end))
                end = start + k
            else:
                path.append(self._subtree(start, start + k))
                start += k
        path.reverse()  # built from the root down; the proof lists siblings leaf upwards
        return path

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """PROOF(size1, D[0:size2]) of RFC 9162 §2.1.4.1 (0 < size1 <= size2)."""
        size2 = self.size if size2 is None else size2
        self._check_size(size2)
        if not 0 < size1 <= size2:
            raise MerkleError(f"no consistency proof from size {size1} to size {size2}")
        proof: list[bytes] = []
        start, end, m, complete = 0, size2, size1, True  # m counts from start
        while True:
            if m == end - start:
                if not complete:
                    proof.append(self._subtree(start, end))
                break
            k = _largest_power_of_two_below(end - start)
            if m <= k:
                proof.append(self._subtree(start + k, end))
                end = start + k
            else:
                proof.append(self._subtree(start, start + k))
                m -= k
                start += k
                complete = False
        proof.reverse()
        return proof


class CompactRange:
    """Roots of a growing tree from O(log n) state: the complete subtrees along the right edge."""

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[bytes] = []  # subtree roots, largest (leftmost) first

    def append(self, leaf: bytes) -> None:
        node = leaf
        self.size += 1
        n = self.size
        while n & 1 == 0:  # every trailing zero bit of the new size closes a subtree
            node = node_hash(self._stack.pop(), node)
            n >>= 1
        self._stack.append(node)

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        node = self._stack[-1]
        for left in reversed(self._stack[:-1]):
            node = node_hash(left, node)
        return node


def _check_hashes(proof: Sequence[bytes]) -> None:
    for element in proof:
        if len(element) != HASH_SIZE:
            raise ProofError("proof element is not a 32-byte hash")


def root_from_inclusion_proof(
    leaf_index: int, tree_size: int, leaf: bytes, proof: Sequence[bytes]
) -> bytes:
    """The root implied by an inclusion proof, RFC 9162 §2.1.3.2 steps 1–5."""
    if tree_size < 0 or leaf_index < 0 or leaf_index >= tree_size:
        raise ProofError(f"leaf index {leaf_index} outside tree of size {tree_size}")
    if len(leaf) != HASH_SIZE:
        raise ProofError("leaf hash is not 32 bytes")
    _check_hashes(proof)
    fn, sn = leaf_index, tree_size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is longer than the path")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is shorter than the path")
    return r


def verify_inclusion(
    leaf_index: int, tree_size: int, leaf: bytes, proof: Sequence[bytes], root_hash: bytes
) -> None:
    """Raise ProofError unless `proof` shows `leaf` at `leaf_index` in the tree `root_hash`."""
    if root_from_inclusion_proof(leaf_index, tree_size, leaf, proof) != root_hash:
        raise ProofError("inclusion proof does not lead to the root")


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Raise ProofError unless the tree `root2` of size2 extends the tree `root1` of size1.

    RFC 9162 §2.1.4.2, with the edge cases made explicit: equal sizes need an empty proof and
    equal roots; a proof from the empty tree is refused, since it proves nothing.
    """
    if size1 < 0 or size2 < 0:
        raise ProofError("negative tree size")
    if size2 < size1:
        raise ProofError(f"size2 {size2} is smaller than size1 {size1}")
    if size1 == 0:
        raise ProofError("a consistency proof from the empty tree proves nothing")
    if size1 == size2:
        if proof:
            raise ProofError("equal sizes need an empty proof")
        if root1 != root2:
            raise ProofError("equal sizes but different roots")
        return
    if not proof:
        raise ProofError("empty consistency proof")
    _check_hashes(proof)
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # step 2: size1 is a power of two, its root is a node
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:  # step 4
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is longer than the path")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is shorter than the path")
    if fr != root1:
        raise ProofError("consistency proof does not lead to the first root")
    if sr != root2:
        raise ProofError("consistency proof does not lead to the second root")
