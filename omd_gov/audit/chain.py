"""Appending to and verifying the audit hash chain.

Each event's hash covers its own content and the previous event's hash, so
changing, removing or reordering any event breaks every later link.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from types import EllipsisType
from typing import Any, Protocol

from sqlalchemy import event, insert, select
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, scoped_session

from omd_gov.audit import tree
from omd_gov.audit.encoding import event_hash, leaf_of
from omd_gov.audit.models import (
    GENESIS_HASH,
    AuditChainHead,
    AuditCheckpoint,
    AuditEvent,
    AuditTreeNode,
)
from omd_gov.auth.actors import Actor
from omd_gov.db import utcnow


class Audited(Protocol):
    """Anything the trail can name: a row with ``audit_entity`` (its kind, e.g.
    "agreement") and ``id``. Rows that belong to an agreement also have an
    ``agreement_id``; an agreement's own events default their from/to state to
    its current state."""

    @property
    def audit_entity(self) -> str: ...

    @property
    def id(self) -> int: ...


@dataclass(frozen=True)
class Subject:
    """An audited thing that is not a row of its own (e.g. a policy entry)."""

    audit_entity: str
    id: int
    agreement_id: int | None = None


def record(
    session: Session,
    actor: Actor,
    subject: Audited,
    action: str,
    *,
    changes: dict[str, Any] | None = None,
    comment: str = "",
    from_state: str | None | EllipsisType = ...,
    to_state: str | None | EllipsisType = ...,
) -> AuditEvent:
    """The one way to audit: append an event about ``subject`` to the current
    transaction, so it commits with the change it describes or not at all.
    Left out (``...``), from/to state are the subject's current ``state``, if any."""
    is_agreement = subject.audit_entity == "agreement"
    state = getattr(subject, "state", None) if is_agreement else None
    return _append(
        session,
        actor,
        entity_type=subject.audit_entity,
        entity_id=subject.id,
        agreement_id=subject.id if is_agreement else getattr(subject, "agreement_id", None),
        action=action,
        changes=changes or {},
        comment=comment,
        from_state=state if from_state is ... else from_state,
        to_state=state if to_state is ... else to_state,
    )


def _append(session: Session, actor: Actor, **fields: Any) -> AuditEvent:
    tip = _tip(session)
    head = tip.head
    audit_event = AuditEvent(
        seq=head.seq + 1,
        occurred_at=utcnow(),
        actor_id=actor.user_id,
        actor_label=actor.label,
        acting_role=actor.role,
        source=actor.source,
        prev_hash=head.hash,
        **fields,
    )
    leaf = leaf_of(audit_event)
    audit_event.hash = hashlib.sha256(leaf).hexdigest()
    head.seq, head.hash = audit_event.seq, audit_event.hash
    tree.append_leaf(session, head, leaf)
    tip.unwritten.append(audit_event)
    return audit_event


@dataclass
class _Tip:
    """A transaction's hold on the chain: it reads and locks the head once,
    and inserts its events together (one statement) when it commits, or
    before anything in it reads events."""

    transaction: SessionTransaction
    head: AuditChainHead
    unwritten: list[AuditEvent] = field(default_factory=list)


_TIP = "omd_audit_tip"


def _tip(session: Session) -> _Tip:
    if isinstance(session, scoped_session):
        session = session()  # the request's own Session behind the proxy
    tip: _Tip | None = session.info.get(_TIP)
    if tip is not None and tip.transaction is session.get_transaction():
        return tip  # the head is locked by this transaction: nobody else moved it
    head = session.execute(
        select(AuditChainHead)
        .where(AuditChainHead.id == 1)
        .with_for_update()
        .execution_options(populate_existing=True)  # never a stale copy of the tip
    ).scalar_one_or_none()
    if head is None:
        head = AuditChainHead(id=1, seq=0, hash=GENESIS_HASH)
        session.add(head)
    transaction = session.get_transaction()
    assert transaction is not None  # the SELECT began one
    tip = session.info[_TIP] = _Tip(transaction, head)
    return tip


_COLUMNS = [column.key for column in AuditEvent.__table__.columns if column.key != "id"]


def write_pending(session: Session) -> None:
    """Insert the events recorded in this transaction and not yet written."""
    tip: _Tip | None = session.info.get(_TIP)
    if tip is None or not tip.unwritten:
        return
    rows = [{key: getattr(item, key) for key in _COLUMNS} for item in tip.unwritten]
    tip.unwritten = []
    session.execute(insert(AuditEvent), rows, execution_options={"render_nulls": True})


@event.listens_for(Session, "before_commit")
def _write_before_commit(session: Session) -> None:
    write_pending(session)


@event.listens_for(Session, "do_orm_execute")
def _write_before_reading(state: ORMExecuteState) -> None:
    if state.is_select and any(mapper.class_ is AuditEvent for mapper in state.all_mappers):
        write_pending(state.session)


@event.listens_for(Session, "after_transaction_end")
def _release(session: Session, transaction: SessionTransaction) -> None:
    tip: _Tip | None = session.info.get(_TIP)
    if tip is not None and tip.transaction is transaction:
        del session.info[_TIP]  # committed (written) or rolled back (dropped)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events_checked: int
    broken_at_seq: int | None = None
    event_id: int | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items()}


def verify_chain(
    session: Session,
    after: tuple[int, str] = (0, GENESIS_HASH),
    each: Callable[[AuditEvent], str | None] | None = None,
    batch: int = 1000,
) -> ChainReport:
    """Walk the chain in seq order after event ``after`` (its seq and trusted
    hash), streaming rows, and report the first break. ``each`` may check more
    of every event (e.g. its Merkle leaf) and return a problem."""
    (last_seq, expected_prev), checked = after, 0
    expected_seq = last_seq + 1
    rows = session.execute(
        select(AuditEvent)
        .where(AuditEvent.seq > last_seq)
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=batch)
    ).scalars()
    for row in rows:
        problem = _link_problem(row, expected_seq, expected_prev)
        if problem is None and each is not None:
            problem = each(row)
        if problem:
            return ChainReport(False, checked, row.seq, row.id, problem)
        expected_prev, expected_seq, checked = row.hash, row.seq + 1, checked + 1
    problem = _tail_problem(session, expected_seq - 1, expected_prev)
    if problem:
        return ChainReport(False, checked, expected_seq, None, problem)
    return ChainReport(True, checked)


def _tail_problem(session: Session, walked: int, last_hash: str) -> str | None:
    """The head names the last event. Events appended while the walk ran are
    not a break (the head moved on and they exist); missing ones are."""
    head = session.get(AuditChainHead, 1, populate_existing=True)
    if head is None or (head.seq, head.hash) == (walked, last_hash):
        return None
    appended = session.execute(select(AuditEvent.id).where(AuditEvent.seq > walked).limit(1))
    if head.seq > walked and appended.first() is not None:
        return None
    return "events after the last one are missing"


def _link_problem(row: AuditEvent, expected_seq: int, expected_prev: str) -> str | None:
    if row.seq != expected_seq:
        return f"expected event #{expected_seq}, found #{row.seq} (an event is missing)"
    if row.prev_hash != expected_prev:
        return "prev_hash does not match the previous event's hash"
    if event_hash(row) != row.hash:
        return "content does not match its hash (the event was altered)"
    return None


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
@event.listens_for(AuditTreeNode, "before_update")
@event.listens_for(AuditTreeNode, "before_delete")
@event.listens_for(AuditCheckpoint, "before_update")
@event.listens_for(AuditCheckpoint, "before_delete")
def _refuse_mutation(_mapper: Any, _connection: Any, target: Any) -> None:
    raise PermissionError(f"{target.__tablename__} is append-only")
