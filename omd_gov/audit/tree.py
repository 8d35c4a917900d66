"""The Merkle tree over the audit events, as stored rows: the hash of every
complete subtree (``AuditTreeNode``), and the tree's right edge in the chain
head. These are domain steps: they join the caller's unit of work.

Appending a leaf writes the nodes it completes (two rows on average, at most
log2 n + 1) and reads none. A root or a proof of any size reads O(log n)
stored nodes in one query.
"""

from __future__ import annotations

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from omd_gov.audit.encoding import leaf_of
from omd_gov.audit.merkle import (
    CompactRange,
    Node,
    blocks,
    consistency_ranges,
    needed_nodes,
    proof_hashes,
)
from omd_gov.audit.merkle import inclusion_ranges as path_ranges
from omd_gov.audit.models import AuditChainHead, AuditEvent, AuditTreeNode
from omd_gov.audit.verifier import leaf_hash
from omd_gov.errors import ServiceError, Unprocessable

# A request catches up at most this many missing leaves; more is init's job.
CATCH_UP_IN_REQUEST = 1000


class TreeBehind(ServiceError):
    status, title, slug = 503, "Audit tree not built", "audit-tree-behind"


def append_leaf(session: Session, head: AuditChainHead, leaf: bytes) -> None:
    """Add the newest event's leaf (``head.seq`` is already that event's seq)."""
    edge = head_edge(head)
    missing = head.seq - 1 - edge.size
    if missing < 0:
        raise TreeBehind(f"the audit tree holds {edge.size} leaves, the chain {head.seq - 1}")
    if missing > CATCH_UP_IN_REQUEST:
        raise TreeBehind(f"the audit tree lacks {missing} events: run omd-gov init")
    if missing:
        catch_up(session, head, edge, upto=head.seq - 1)
    _store(session, edge.append(leaf_hash(leaf)))
    head.tree = edge.to_json()


def catch_up(session: Session, head: AuditChainHead, edge: CompactRange, upto: int) -> int:
    """Add the leaves of events ``edge.size + 1 .. upto`` (events written
    before the tree existed); return how many were added."""
    start = edge.size
    statement = (
        select(AuditEvent)
        .where(AuditEvent.seq > edge.size, AuditEvent.seq <= upto)
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=1000)
    )
    for event in session.execute(statement).scalars():
        _store(session, edge.append(leaf_hash(leaf_of(event))))
    head.tree = edge.to_json()
    return edge.size - start


def _store(session: Session, nodes: list[tuple[Node, bytes]]) -> None:
    session.add_all(AuditTreeNode(level=level, index=index, hash=h) for (level, index), h in nodes)


def head_edge(head: AuditChainHead | None) -> CompactRange:
    """The tree's right edge as the chain head keeps it (empty before the first event)."""
    if head is None or not head.tree:
        return CompactRange()
    return CompactRange.from_json(head.tree)


def root(session: Session, tree_size: int) -> bytes:
    (hashes,) = _resolve(session, [(0, tree_size)])
    return hashes


def edge_at(session: Session, tree_size: int) -> CompactRange:
    """The right edge of the stored tree of ``tree_size`` leaves."""
    ranges = [(index << level, (index + 1) << level) for level, index in blocks(0, tree_size)]
    return CompactRange(tree_size, _resolve(session, ranges))


def inclusion_proof(session: Session, index: int, tree_size: int) -> list[bytes]:
    return _resolve(session, path_ranges(index, tree_size))


def consistency_proof(session: Session, old: int, new: int) -> list[bytes]:
    return _resolve(session, consistency_ranges(old, new))


def _resolve(session: Session, ranges: list[tuple[int, int]]) -> list[bytes]:
    """The Merkle tree hash of each leaf range, from stored nodes in one read."""
    keys = needed_nodes(ranges)
    stored: dict[Node, bytes] = {}
    if keys:
        rows = session.execute(
            select(AuditTreeNode).where(tuple_(AuditTreeNode.level, AuditTreeNode.index).in_(keys))
        ).scalars()
        stored = {(row.level, row.index): row.hash for row in rows}
    missing = [node for node in keys if node not in stored]
    if missing:
        raise Unprocessable(f"the tree has no node {missing[0]}: run omd-gov init")
    return proof_hashes(ranges, stored)
