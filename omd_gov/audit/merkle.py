"""Building RFC 6962 Merkle proofs from stored subtree hashes.

The database stores the hash of every *complete* subtree: node ``(level,
index)`` is the perfect subtree of ``2**level`` leaves starting at leaf
``index * 2**level`` (leaves are level 0). Every hash in an RFC 6962 proof is
the root of a leaf range, and every such range is a few aligned perfect
subtrees, so a proof costs O(log n) stored hashes and no recomputation over
the leaves. Hashing itself lives in ``verifier.py``, so that the office and an
outside verifier share one implementation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from omd_gov.audit.verifier import EMPTY_ROOT, leaf_hash, node_hash

Node = tuple[int, int]
Range = tuple[int, int]

__all__ = [
    "EMPTY_ROOT",
    "CompactRange",
    "Node",
    "Range",
    "blocks",
    "consistency_ranges",
    "fold",
    "inclusion_ranges",
    "leaf_hash",
    "needed_nodes",
    "proof_hashes",
]


def blocks(lo: int, hi: int) -> list[Node]:
    """The aligned perfect subtrees covering leaves [lo, hi), largest first.

    This is RFC 6962's split (k = the largest power of two below n), so
    ``fold`` of their hashes is MTH(D[lo:hi]). Only ranges whose start is
    aligned to the first block occur in RFC proofs; others raise ValueError."""
    if not 0 <= lo <= hi:
        raise ValueError(f"bad leaf range [{lo}, {hi})")
    n = hi - lo
    if n and lo % (1 << (n.bit_length() - 1)):
        raise ValueError(f"leaf range [{lo}, {hi}) is not aligned to its largest subtree")
    nodes, start = [], lo
    for level in range(n.bit_length() - 1, -1, -1):
        if n >> level & 1:
            nodes.append((level, start >> level))
            start += 1 << level
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """The root over ``blocks`` hashes: combined right to left, as MTH nests them."""
    if not hashes:
        return EMPTY_ROOT
    root = hashes[-1]
    for left in reversed(hashes[:-1]):
        root = node_hash(left, root)
    return root


def _split(n: int) -> int:
    """The largest power of two strictly below ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The leaf ranges whose roots form PATH(index, D[0:size]), bottom-up."""
    if not 0 <= index < size:
        raise ValueError(f"index {index} is outside a tree of {size} leaves")
    lo, hi, top_down = 0, size, []
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            top_down.append((lo + k, hi))
            hi = lo + k
        else:
            top_down.append((lo, lo + k))
            lo += k
    return top_down[::-1]


def consistency_ranges(old: int, new: int) -> list[Range]:
    """The leaf ranges whose roots form PROOF(old, D[0:new]) (RFC 6962 §2.1.2)."""
    if not 0 <= old <= new:
        raise ValueError(f"no consistency proof from {old} to {new} leaves")
    if old in (0, new):
        return []
    lo, hi, m, complete, top_down = 0, new, old, True, []
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            top_down.append((lo + k, hi))
            hi = lo + k
        else:
            top_down.append((lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    first = [] if complete else [(lo, hi)]
    return first + top_down[::-1]


def needed_nodes(ranges: Iterable[Range]) -> list[Node]:
    """Every stored node a proof over ``ranges`` reads, for one batched query."""
    return sorted({node for lo, hi in ranges for node in blocks(lo, hi)})


def proof_hashes(ranges: Iterable[Range], stored: Mapping[Node, bytes]) -> list[bytes]:
    """The proof's hashes from stored node hashes (KeyError if one is missing)."""
    return [fold([stored[node] for node in blocks(lo, hi)]) for lo, hi in ranges]


class CompactRange:
    """The right edge of the tree: the hashes of ``blocks(0, size)``.

    It is all that appending needs, so it can live in one row (the chain head)
    and an append costs O(log n) hashes and no reads."""

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        nodes = blocks(0, size)
        if len(hashes) != len(nodes) or any(len(h) != 32 for h in hashes):
            raise ValueError(f"a tree of {size} leaves needs {len(nodes)} 32-byte hashes")
        self.size = size
        self.edge: list[tuple[Node, bytes]] = list(zip(nodes, hashes, strict=True))

    def append(self, leaf: bytes) -> list[tuple[Node, bytes]]:
        """Add a leaf *hash*; returns it and every node it completes, to store."""
        added = [((0, self.size), leaf)]
        self.edge.append(added[0])
        while len(self.edge) > 1 and self.edge[-2][0][0] == self.edge[-1][0][0]:
            (left, left_hash), (_, right_hash) = self.edge[-2], self.edge[-1]
            parent = ((left[0] + 1, left[1] >> 1), node_hash(left_hash, right_hash))
            self.edge[-2:] = [parent]
            added.append(parent)
        self.size += 1
        return added

    def root(self) -> bytes:
        return fold([h for _, h in self.edge])

    def hashes(self) -> list[bytes]:
        return [h for _, h in self.edge]

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form for the chain head row."""
        return {"size": self.size, "hashes": [h.hex() for h in self.hashes()]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CompactRange:
        return cls(int(data["size"]), [bytes.fromhex(h) for h in data["hashes"]])
