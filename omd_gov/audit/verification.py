"""Verifying the audit log against its signed checkpoints.

An incremental run starts from the last checkpoint that a successful run
verified (size m): it checks that checkpoint's signature, that the stored
tree's nodes for [0, m) fold to its root, and that event m, re-encoded from
the database, is included in it. Then it walks only the events after m: their
chain links and hashes, their leaves appended to the tree's right edge, each
later checkpoint's signature and root on the way, and the consistency proof
from m to the newest checkpoint. Its cost is O(new events + log n).

A full run starts from the first event. Every signed checkpoint counts: the
rows in the database, and the last note the signer wrote next to its key
(outside the database), so deleting checkpoint rows or the events they cover
is a break. What an incremental run cannot see is an old event (before m)
edited without touching the chain: its own proof fails, and a full run
(scheduled in beat) finds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omd_gov.audit import tree
from omd_gov.audit.chain import verify_chain
from omd_gov.audit.encoding import event_hash, leaf_of
from omd_gov.audit.merkle import CompactRange
from omd_gov.audit.models import GENESIS_HASH, AuditCheckpoint, AuditEvent
from omd_gov.audit.verifier import (
    Checkpoint,
    InvalidCheckpoint,
    leaf_hash,
    open_checkpoint,
    verify_consistency,
    verify_inclusion,
)
from omd_gov.errors import ServiceError


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


@dataclass(frozen=True)
class Signed:
    """A signed checkpoint to check the events against: a stored row, or the
    note the signer keeps beside its key (``checkpoint_id`` None)."""

    size: int
    note: str
    label: str
    checkpoint_id: int | None = None
    row_root: bytes | None = None

    @classmethod
    def of(cls, row: AuditCheckpoint) -> Signed:
        return cls(row.size, row.note, f"checkpoint {row.id}", row.id, row.root_hash)

    def root(self, vkeys: list[str]) -> bytes:
        """The root, once the signature by one of ``vkeys`` holds (fail closed)."""
        opened = _open_note(self.note, vkeys, self.label)
        if opened.size != self.size or self.row_root not in (None, opened.root):
            raise Broken(f"{self.label}: its note and its row disagree")
        return opened.root


def _open_note(note: str, vkeys: list[str], label: str) -> Checkpoint:
    if not vkeys:
        raise Broken(f"{label}: no verifier key to check its signature")
    problems = []
    for vkey in vkeys:
        try:
            return open_checkpoint(note, vkey)
        except InvalidCheckpoint as error:
            problems.append(str(error))
    raise Broken(f"{label}: {'; '.join(problems)}")


def verify(
    session: Session,
    vkeys: list[str],
    anchor: AuditCheckpoint | None,
    signer_note: Signed | None = None,
) -> Outcome:
    """Verify from ``anchor`` (a checkpoint verified before) or from the start."""
    outcome = Outcome(ok=False, from_size=anchor.size if anchor else 0)
    start = Signed.of(anchor) if anchor else None
    try:
        edge, after = _start(session, vkeys, start)
        pending = _later(session, outcome.from_size, signer_note)
        report = verify_chain(session, after, _each(edge, pending, vkeys, outcome))
        outcome.events_checked = report.events_checked
        if not report.ok:
            raise Broken(
                report.reason or "the chain is broken", report.broken_at_seq, report.event_id
            )
        if pending:
            raise Broken(f"{pending[0].label} signed {pending[0].size} events; {edge.size} exist")
        outcome.to_size = edge.size
        _check_stored_tree(session, edge)
        _check_consistency(session, vkeys, start, outcome)
    except Broken as broken:
        outcome.reason, outcome.broken_at_seq = broken.reason, broken.seq
        outcome.event_id = broken.event_id
        return outcome
    except ServiceError as error:  # e.g. a stored tree node is missing
        outcome.reason = error.detail
        return outcome
    outcome.ok = True
    return outcome


def _start(
    session: Session, vkeys: list[str], anchor: Signed | None
) -> tuple[CompactRange, tuple[int, str]]:
    if anchor is None or anchor.size == 0:
        return CompactRange(), (0, GENESIS_HASH)
    root, size = anchor.root(vkeys), anchor.size
    edge = tree.edge_at(session, size)
    if edge.root() != root:
        raise Broken(f"the stored tree no longer folds to {anchor.label}'s root")
    last = session.execute(select(AuditEvent).where(AuditEvent.seq == size)).scalar_one_or_none()
    if last is None:
        raise Broken(f"event #{size}, covered by {anchor.label}, is missing", size)
    proof = tree.inclusion_proof(session, size - 1, size)
    if not verify_inclusion(leaf_hash(leaf_of(last)), size - 1, size, proof, root):
        raise Broken(
            f"event #{size} is not the one {anchor.label} signed (history was rewritten)",
            size,
            last.id,
        )
    return edge, (size, event_hash(last))


def _later(session: Session, after: int, signer_note: Signed | None) -> list[Signed]:
    """The checkpoints beyond ``after``, smallest first."""
    statement = select(AuditCheckpoint).where(AuditCheckpoint.size > after)
    rows = session.execute(statement.order_by(AuditCheckpoint.size, AuditCheckpoint.id))
    pending = [Signed.of(row) for row in rows.scalars()]
    if signer_note is not None and signer_note.size < 0:
        raise Broken(f"{signer_note.label} is not a checkpoint note")
    known = {signed.note for signed in pending}  # the signer's copy is usually a row too
    if signer_note is not None and signer_note.size > after and signer_note.note not in known:
        pending.append(signer_note)
    return sorted(pending, key=lambda signed: signed.size)


def _each(edge: CompactRange, pending: list[Signed], vkeys: list[str], outcome: Outcome) -> Any:
    """Per event: extend the tree, and compare with each checkpoint reached."""

    def check(event: AuditEvent) -> str | None:
        edge.append(leaf_hash(leaf_of(event)))
        while pending and pending[0].size == edge.size:
            signed = pending.pop(0)
            try:
                root = signed.root(vkeys)
            except Broken as broken:
                return broken.reason
            if edge.root() != root:
                return f"the events do not match the signed {signed.label}"
            outcome.checkpoints_checked += 1
            outcome.checkpoint_id = signed.checkpoint_id or outcome.checkpoint_id
        return None

    return check


def _check_stored_tree(session: Session, edge: CompactRange) -> None:
    if edge.size and tree.root(session, edge.size) != edge.root():
        raise Broken("the stored Merkle tree does not match the events")


def _check_consistency(
    session: Session, vkeys: list[str], anchor: Signed | None, outcome: Outcome
) -> None:
    """The newest checkpoint extends the anchor's tree (RFC 9162 proof)."""
    if anchor is None or outcome.checkpoint_id is None:
        return
    row = session.get(AuditCheckpoint, outcome.checkpoint_id)
    assert row is not None
    newest = Signed.of(row)
    proof = tree.consistency_proof(session, anchor.size, newest.size)
    if not verify_consistency(
        anchor.size, newest.size, anchor.root(vkeys), newest.root(vkeys), proof
    ):
        raise Broken(f"{newest.label} is not consistent with {anchor.label}")
