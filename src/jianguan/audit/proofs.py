"""Inclusion proofs of single entries against a signed head (`jianguan audit prove`, D-06)."""

from __future__ import annotations

from typing import Any

from . import heads, merkle
from .ledger import canonical, format_id, format_time
from .models import AuditEntry


class ProveError(ValueError):
    """No proof can be given: the entry does not exist or the ledger does not match its head."""


def entry_bytes(entry: AuditEntry) -> bytes:
    """The canonical JSON of a stored entry, as the ledger wrote it (D-05)."""

    return canonical(
        entry.seq,
        format_time(entry.recorded),
        format_id(entry.actor_id),
        entry.role,
        format_id(entry.institution_id),
        entry.action,
        entry.resource_type,
        entry.resource_id,
        format_id(entry.customer_id),
        entry.outcome,
        entry.client_address,
        entry.purpose,
        entry.request_id,
    )


def prove_entry(seq: int, *, using: str = "default") -> dict[str, Any]:
    """Leaf index, tree size, leaf hash, audit path and the signed head they lead to.

    The proof is against the latest signed head if it covers the entry, else against a head
    written now, so the tree size of every proof is one a head was signed for.
    """
    in_range = 0 < seq < 2**62
    entry = AuditEntry.objects.using(using).filter(seq=seq).first() if in_range else None
    if entry is None:
        raise ProveError(f"the ledger has no entry {seq}")  # LG-08: an error, never a proof
    head = heads.latest_head()
    if head is None or not isinstance(head.get("tree_size"), int) or head["tree_size"] < seq:
        head = heads.write_head(using=using)
    heads.check_head(head, heads.public_key())
    size = head["tree_size"]
    tree = merkle.Tree(heads.read_leaf_hashes(using=using, upto=size))
    if tree.size != size or tree.root().hex() != head["root_hash"]:
        raise ProveError("the ledger does not match its signed head: run `jianguan audit verify`")
    body = entry_bytes(entry)
    leaf = merkle.leaf_hash(body)
    if leaf != tree.leaf(seq - 1):
        raise ProveError(f"entry {seq} was changed: run `jianguan audit verify`")
    return {
        "entry_seq": seq,
        "entry": body.decode("utf-8"),
        "leaf_index": seq - 1,
        "tree_size": size,
        "leaf_hash": leaf.hex(),
        "audit_path": [h.hex() for h in tree.inclusion_proof(seq - 1, size)],
        "signed_head": head,
    }
