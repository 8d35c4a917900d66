"""Reads of the audit log: checkpoints, verification runs, and the Merkle
proofs an auditor checks against a checkpoint."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omd_gov.audit import tree
from omd_gov.audit.encoding import leaf_of
from omd_gov.audit.models import AuditChainHead, AuditCheckpoint, AuditEvent, AuditVerification
from omd_gov.audit.verifier import leaf_hash
from omd_gov.errors import NotFound, Unprocessable


def latest_checkpoint(session: Session) -> AuditCheckpoint | None:
    statement = select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1)
    return session.execute(statement).scalar_one_or_none()


def checkpoint_of_size(session: Session, size: int) -> AuditCheckpoint | None:
    statement = select(AuditCheckpoint).where(AuditCheckpoint.size == size)
    return session.execute(statement.order_by(AuditCheckpoint.id.desc()).limit(1)).scalar()


def last_verified_checkpoint(session: Session) -> AuditCheckpoint | None:
    """The checkpoint that the newest successful run verified last."""
    statement = (
        select(AuditCheckpoint)
        .join(AuditVerification, AuditVerification.checkpoint_id == AuditCheckpoint.id)
        .where(AuditVerification.ok.is_(True))
        .order_by(AuditVerification.id.desc())
        .limit(1)
    )
    return session.execute(statement).scalar_one_or_none()


def verification_run(session: Session, run_id: int) -> AuditVerification:
    run = session.get(AuditVerification, run_id)
    if run is None:
        raise NotFound(f"verification {run_id} not found")
    return run


def tree_size(session: Session) -> int:
    return tree.head_edge(session.get(AuditChainHead, 1)).size


def _size(session: Session, size: int | None, smallest: int) -> int:
    current = tree_size(session)
    size = current if size is None else size
    if not smallest <= size <= current:
        raise Unprocessable(
            f"size must be from {smallest} to the tree's size, {current}",
            [{"field": "size", "message": f"between {smallest} and {current}"}],
        )
    return size


def inclusion(session: Session, seq: int, size: int | None) -> dict[str, Any]:
    """Event ``seq``'s leaf and its inclusion proof in the tree of ``size``
    events (the current size by default), with that size's checkpoint if any."""
    event = session.execute(select(AuditEvent).where(AuditEvent.seq == seq)).scalar()
    if event is None:
        raise NotFound(f"audit event {seq} not found")
    size = _size(session, size, seq)
    leaf = leaf_of(event)
    checkpoint = checkpoint_of_size(session, size)
    return {
        "seq": seq,
        "index": seq - 1,
        "tree_size": size,
        "leaf": leaf.decode(),
        "leaf_hash": leaf_hash(leaf).hex(),
        "root_hash": tree.root(session, size).hex(),
        "proof": [h.hex() for h in tree.inclusion_proof(session, seq - 1, size)],
        "checkpoint": checkpoint.note if checkpoint else None,
    }


def consistency(session: Session, old: int, new: int | None) -> dict[str, Any]:
    new = _size(session, new, 0)
    if not 0 <= old <= new:
        raise Unprocessable(
            "from must be between 0 and to",
            [{"field": "from", "message": f"between 0 and {new}"}],
        )
    return {
        "from": old,
        "to": new,
        "from_root": tree.root(session, old).hex(),
        "to_root": tree.root(session, new).hex(),
        "proof": [h.hex() for h in tree.consistency_proof(session, old, new)],
    }
