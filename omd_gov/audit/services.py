"""Audit log use cases, each one unit of work: build the Merkle tree over
events written before it existed, publish a signed checkpoint, and verify
the log (incrementally in a request, fully in the worker)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omd_gov.audit import checkpoints, tree, verification
from omd_gov.audit.checkpoints import NoSigningKey, office_key, verifier_keys
from omd_gov.audit.merkle import CompactRange
from omd_gov.audit.models import AuditChainHead, AuditCheckpoint, AuditVerification
from omd_gov.audit.queries import last_verified_checkpoint, latest_checkpoint
from omd_gov.audit.tree import TreeBehind
from omd_gov.audit.verifier import open_checkpoint, verify_consistency
from omd_gov.db import call_after_commit, end_read, transaction, utcnow
from omd_gov.errors import Conflict, NotFound, ServiceError
from omd_gov.tasking.celery_app import enqueue_after_commit

log = logging.getLogger(__name__)
VERIFY_TASK = "omd.audit.verify_full"
# Without a verified checkpoint to start from, a request walks the chain only
# while it is this short; a longer one is verified by the worker.
SYNC_FULL_WALK_LIMIT = 10_000
CATCH_UP_BATCH = 10_000


def _locked_head(session: Session) -> AuditChainHead | None:
    statement = select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()
    return session.execute(statement.execution_options(populate_existing=True)).scalar()


def catch_up_tree(session: Session) -> int:
    """Add the leaves of events the tree does not hold yet (``omd-gov init``),
    committing every ``CATCH_UP_BATCH`` events so memory stays flat."""
    added = 0
    while True:
        with transaction(session):
            head = _locked_head(session)
            edge = tree.head_edge(head)
            if head is None or edge.size >= head.seq:
                return added
            upto = min(head.seq, edge.size + CATCH_UP_BATCH)
            added += tree.catch_up(session, head, edge, upto=upto)
        session.expunge_all()  # the batch's rows are committed: let them go


def _current_edge(session: Session) -> CompactRange:
    """The tree of every event, or 503 while ``omd-gov init`` has not built it."""
    head = _locked_head(session)
    edge = tree.head_edge(head)
    if head is not None and edge.size != head.seq:
        raise TreeBehind(f"the audit tree holds {edge.size} of {head.seq} events: run omd-gov init")
    return edge


def publish_checkpoint(session: Session, config: Mapping[str, Any]) -> AuditCheckpoint:
    """Sign the tree's current size and root, only if it extends the last note
    this signer signed; the newest checkpoint again when nothing was appended."""
    key = office_key(config)
    with transaction(session):
        edge = _current_edge(session)
        latest = latest_checkpoint(session)
        if latest is not None and latest.size == edge.size and latest.root_hash == edge.root():
            return latest
        _refuse_a_rewrite(session, config, key.vkey, edge)
        note = key.sign(edge.size, edge.root())
        checkpoint = AuditCheckpoint(
            size=edge.size, root_hash=edge.root(), key_id=key.key_id, note=note,
            created_at=utcnow(),
        )  # fmt: skip
        session.add(checkpoint)
        session.flush()
        call_after_commit(session, lambda: checkpoints.write_signer_note(config, note))
        return checkpoint


def _refuse_a_rewrite(
    session: Session, config: Mapping[str, Any], vkey: str, edge: CompactRange
) -> None:
    """Never sign a tree that is not an extension of the last signed one."""
    note = checkpoints.read_signer_note(config)
    if note is None:
        return
    last = open_checkpoint(note, vkey)
    proof = tree.consistency_proof(session, last.size, edge.size) if last.size <= edge.size else []
    if last.size > edge.size or not verify_consistency(
        last.size, edge.size, last.root, edge.root(), proof
    ):
        raise Conflict(
            f"refusing to sign: the log ({edge.size} events) does not extend the last "
            f"checkpoint this office signed ({last.size} events); history was rewritten "
            "or truncated: run omd-gov audit verify --full"
        )


def publish_periodic_checkpoint(session: Session, config: Mapping[str, Any]) -> int | None:
    """Beat's checkpoint: logged, never raised, when it cannot be signed."""
    try:
        return publish_checkpoint(session, config).size
    except ServiceError as error:
        log.error("no checkpoint published: %s", error.detail)
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
        head = session.get(AuditChainHead, 1)
        events = head.seq if head is not None else 0
        if events > SYNC_FULL_WALK_LIMIT:
            raise Conflict(
                f"no verified checkpoint yet and {events} events: run a full verification "
                "(omd-gov audit verify --full, or POST /api/v1/audit/verifications) first",
                events=events,
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
        run = session.get(AuditVerification, run_id, with_for_update=True)
        if run is None:
            raise NotFound(f"verification {run_id} not found")
        if run.status == "done":
            return bool(run.ok)  # a redelivered message: done already
        run.status = "running"
    outcome = _outcome(session, config, None)
    end_read(session, "recording the verification")
    with transaction(session):
        run = session.get(AuditVerification, run_id)
        assert run is not None
        _record(run, outcome)
    return outcome.ok


def schedule_full_verification(session: Session) -> int:
    """Beat's periodic full run: an incremental run cannot see an old event
    edited without touching the chain; a full one can."""
    return request_full_verification(session).id


def _outcome(
    session: Session, config: Mapping[str, Any], anchor: AuditCheckpoint | None
) -> verification.Outcome:
    note = checkpoints.read_signer_note(config)
    signer = (
        verification.Signed(_size(note), note, "the signer's last checkpoint") if note else None
    )
    return verification.verify(session, verifier_keys(config), anchor, signer)


def _size(note: str) -> int:
    """The size line of a checkpoint note (its signature is checked later)."""
    lines = note.split("\n")
    return int(lines[1]) if len(lines) > 1 and lines[1].isdigit() else -1  # -1: malformed


def _run(
    session: Session,
    config: Mapping[str, Any],
    anchor: AuditCheckpoint | None,
    *,
    full: bool,
) -> AuditVerification:
    started = utcnow()
    outcome = _outcome(session, config, anchor)
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
