"""Audit log use cases, each one unit of work: build the Merkle tree over
events written before it existed, publish a signed checkpoint, and verify
the log (incrementally in a request, fully in the worker)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omd_gov.audit import tree, verification
from omd_gov.audit.checkpoints import NoSigningKey, office_key
from omd_gov.audit.models import AuditChainHead, AuditCheckpoint, AuditVerification
from omd_gov.audit.queries import last_verified_checkpoint, latest_checkpoint
from omd_gov.db import end_read, transaction, utcnow
from omd_gov.errors import Conflict, NotFound
from omd_gov.tasking.celery_app import enqueue_after_commit

log = logging.getLogger(__name__)
VERIFY_TASK = "omd.audit.verify_full"
# Without a verified checkpoint to start from, a request walks the chain only
# while it is this short; a longer one is verified by the worker.
SYNC_FULL_WALK_LIMIT = 10_000


def _locked_head(session: Session) -> AuditChainHead | None:
    statement = select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()
    return session.execute(statement).scalar_one_or_none()


def catch_up_tree(session: Session) -> int:
    """Add the leaves of events the tree does not hold yet (``omd-gov init``)."""
    with transaction(session):
        head = _locked_head(session)
        if head is None:
            return 0
        return tree.catch_up(session, head, tree.head_edge(head), upto=head.seq)


def publish_checkpoint(session: Session, config: Mapping[str, Any]) -> AuditCheckpoint:
    """Sign the tree's current size and root; the newest one again when
    nothing was appended since."""
    key = office_key(config)
    with transaction(session):
        edge = tree.head_edge(_locked_head(session))
        latest = latest_checkpoint(session)
        if latest is not None and latest.size == edge.size:
            return latest
        checkpoint = AuditCheckpoint(
            size=edge.size,
            root_hash=edge.root(),
            key_id=key.key_id,
            note=key.sign(edge.size, edge.root()),
            created_at=utcnow(),
        )
        session.add(checkpoint)
        session.flush()
        return checkpoint


def publish_periodic_checkpoint(session: Session, config: Mapping[str, Any]) -> int | None:
    """Beat's checkpoint: logged, never raised, when no key is configured."""
    try:
        return publish_checkpoint(session, config).size
    except NoSigningKey as error:
        log.warning("no checkpoint published: %s", error.detail)
        return None


def office_vkey(config: Mapping[str, Any]) -> str | None:
    try:
        return office_key(config).vkey
    except NoSigningKey:
        return None


def verify_incrementally(session: Session, config: Mapping[str, Any]) -> AuditVerification:
    """From the last checkpoint a successful run verified to the head. With
    none yet, only a short log is walked here; a long one needs a full run."""
    anchor = last_verified_checkpoint(session)
    if anchor is None:
        size = tree.head_edge(session.get(AuditChainHead, 1)).size
        if size > SYNC_FULL_WALK_LIMIT:
            raise Conflict(
                f"no verified checkpoint yet and {size} events: start a full verification "
                "(POST /api/v1/audit/verifications) and verify incrementally after it",
                events=size,
            )
    return _run(session, config, anchor, full=False)


def verify_fully(session: Session, config: Mapping[str, Any]) -> AuditVerification:
    """Every event, from the first (the CLI's --full; the API's job runs it too)."""
    return _run(session, config, None, full=True)


def request_full_verification(session: Session) -> AuditVerification:
    """Queue a full walk for the worker (never inside a request)."""
    with transaction(session):
        run = AuditVerification(full=True, status="queued", requested_at=utcnow(), report={})
        session.add(run)
        session.flush()
        enqueue_after_commit(session, VERIFY_TASK, run.id)
        return run


def run_full_verification(session: Session, config: Mapping[str, Any], run_id: int) -> bool:
    """The worker's job: walk every event; record the outcome on the run."""
    with transaction(session):
        run = session.get(AuditVerification, run_id)
        if run is None:
            raise NotFound(f"verification {run_id} not found")
        if run.status == "done":
            return bool(run.ok)  # a redelivered message: done already
        run.status = "running"
    outcome = verification.verify(session, office_vkey(config), None)
    end_read(session, "recording the verification")
    with transaction(session):
        run = session.get(AuditVerification, run_id)
        assert run is not None
        _record(run, outcome)
    return outcome.ok


def _run(
    session: Session,
    config: Mapping[str, Any],
    anchor: AuditCheckpoint | None,
    *,
    full: bool,
) -> AuditVerification:
    started = utcnow()
    outcome = verification.verify(session, office_vkey(config), anchor)
    end_read(session, "recording the verification")
    with transaction(session):
        run = AuditVerification(full=full, status="running", requested_at=started, report={})
        session.add(run)
        _record(run, outcome)
        session.flush()
        return run


def _record(run: AuditVerification, outcome: verification.Outcome) -> None:
    run.status, run.ok, run.finished_at = "done", outcome.ok, utcnow()
    run.from_size, run.to_size = outcome.from_size, outcome.to_size
    # Only a successful run that reached a checkpoint anchors the next one.
    run.checkpoint_id = outcome.checkpoint_id if outcome.ok else None
    run.report = outcome.as_dict()
