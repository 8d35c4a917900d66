"""Verifying the audit log against its signed checkpoints.

An incremental run starts from the last checkpoint that a successful run
verified (size m): it checks that checkpoint's signature, that the stored
tree's nodes for [0, m) fold to its root, and that event m, re-encoded from
the database, is included in it. Then it walks only the events after m: their
chain links and hashes, their leaves appended to the tree's right edge, each
later checkpoint's signature and root on the way, and the consistency proof
from m to the newest checkpoint. Its cost is O(new events + log n).

A full run starts from the first event. An attacker who rewrites an old event
and recomputes every later chain hash (and even the stored tree) changes
event m's content or the tree's root: no signed checkpoint matches any more.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omd_gov.audit import tree
from omd_gov.audit.chain import verify_chain
from omd_gov.audit.encoding import leaf_of
from omd_gov.audit.merkle import CompactRange
from omd_gov.audit.models import GENESIS_HASH, AuditCheckpoint, AuditEvent
from omd_gov.audit.verifier import (
    InvalidCheckpoint,
    leaf_hash,
    open_checkpoint,
    verify_consistency,
    verify_inclusion,
)


@dataclass
class Outcome:
    ok: bool
    from_size: int
    to_size: int = 0
    events_checked: int = 0
    checkpoints_checked: int = 0
    checkpoint_id: int | None = None  # the newest checkpoint verified
    broken_at_seq: int | None = None
    event_id: int | None = None
    reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = {key: value for key, value in self.__dict__.items() if key != "extra"}
        return data | self.extra


class Broken(Exception):
    def __init__(self, reason: str, seq: int | None = None, event_id: int | None = None):
        super().__init__(reason)
        self.reason, self.seq, self.event_id = reason, seq, event_id


def verify(session: Session, vkey: str | None, anchor: AuditCheckpoint | None) -> Outcome:
    """Verify from ``anchor`` (a checkpoint verified before) or from the start."""
    outcome = Outcome(ok=False, from_size=anchor.size if anchor else 0)
    try:
        edge, after = _start(session, vkey, anchor)
        pending = _later_checkpoints(session, outcome.from_size)
        report = verify_chain(session, after, _each(edge, pending, vkey, outcome))
        outcome.events_checked = report.events_checked
        if not report.ok:
            raise Broken(
                report.reason or "the chain is broken", report.broken_at_seq, report.event_id
            )
        outcome.to_size = edge.size
        _check_stored_tree(session, edge)
        _check_consistency(session, vkey, anchor, outcome)
    except Broken as broken:
        outcome.reason, outcome.broken_at_seq = broken.reason, broken.seq
        outcome.event_id = broken.event_id
        return outcome
    outcome.ok = True
    return outcome


def _open(checkpoint: AuditCheckpoint, vkey: str | None) -> bytes:
    """The checkpoint's root, once its signature holds (fail closed: a
    checkpoint whose signature cannot be checked proves nothing)."""
    if vkey is None:
        raise Broken(f"checkpoint {checkpoint.id}: no verifier key to check its signature")
    try:
        opened = open_checkpoint(checkpoint.note, vkey)
    except InvalidCheckpoint as error:
        raise Broken(f"checkpoint {checkpoint.id} (size {checkpoint.size}): {error}") from None
    if (opened.size, opened.root) != (checkpoint.size, checkpoint.root_hash):
        raise Broken(f"checkpoint {checkpoint.id}: its note and its row disagree")
    return opened.root


def _start(
    session: Session, vkey: str | None, anchor: AuditCheckpoint | None
) -> tuple[CompactRange, tuple[int, str]]:
    if anchor is None or anchor.size == 0:
        return CompactRange(), (0, GENESIS_HASH)
    root = _open(anchor, vkey)
    size = anchor.size
    edge = tree.edge_at(session, size)
    if edge.root() != root:
        raise Broken(f"the stored tree no longer folds to checkpoint {anchor.id}'s root")
    last = session.execute(select(AuditEvent).where(AuditEvent.seq == size)).scalar_one_or_none()
    if last is None:
        raise Broken(f"event #{size}, covered by checkpoint {anchor.id}, is missing", size)
    proof = tree.inclusion_proof(session, size - 1, size)
    if not verify_inclusion(leaf_hash(leaf_of(last)), size - 1, size, proof, root):
        raise Broken(
            f"event #{size} is not the one checkpoint {anchor.id} signed (history was rewritten)",
            size,
            last.id,
        )
    return edge, (size, last.hash)


def _later_checkpoints(session: Session, after: int) -> list[AuditCheckpoint]:
    statement = select(AuditCheckpoint).where(AuditCheckpoint.size > after)
    return list(
        session.execute(statement.order_by(AuditCheckpoint.size, AuditCheckpoint.id)).scalars()
    )


def _each(
    edge: CompactRange, pending: list[AuditCheckpoint], vkey: str | None, outcome: Outcome
) -> Any:
    """Per event: extend the tree, and compare with each checkpoint reached."""

    def check(event: AuditEvent) -> str | None:
        edge.append(leaf_hash(leaf_of(event)))
        while pending and pending[0].size == edge.size:
            checkpoint = pending.pop(0)
            try:
                root = _open(checkpoint, vkey)
            except Broken as broken:
                return broken.reason
            if edge.root() != root:
                return f"the events do not match signed checkpoint {checkpoint.id}"
            outcome.checkpoints_checked += 1
            outcome.checkpoint_id = checkpoint.id
        return None

    return check


def _check_stored_tree(session: Session, edge: CompactRange) -> None:
    if edge.size and tree.root(session, edge.size) != edge.root():
        raise Broken("the stored Merkle tree does not match the events")


def _check_consistency(
    session: Session, vkey: str | None, anchor: AuditCheckpoint | None, outcome: Outcome
) -> None:
    """The newest checkpoint extends the anchor's tree (RFC 9162 proof)."""
    if anchor is None or outcome.checkpoint_id is None:
        return
    newest = session.get(AuditCheckpoint, outcome.checkpoint_id)
    assert newest is not None
    proof = tree.consistency_proof(session, anchor.size, newest.size)
    if not verify_consistency(
        anchor.size, newest.size, _open(anchor, vkey), _open(newest, vkey), proof
    ):
        raise Broken(f"checkpoint {newest.id} is not consistent with checkpoint {anchor.id}")
