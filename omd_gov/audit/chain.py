"""Appending to and verifying the audit hash chain.

Each event's hash covers its own content and the previous event's hash, so
changing, removing or reordering any event breaks every later link.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from types import EllipsisType
from typing import Any, Protocol

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from omd_gov.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from omd_gov.auth.actors import Actor
from omd_gov.db import as_utc, utcnow

HASHED_FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_label",
    "acting_role",
    "source",
    "entity_type",
    "entity_id",
    "agreement_id",
    "action",
    "from_state",
    "to_state",
    "changes",
    "comment",
    "prev_hash",
)


def canonical_json(value: Any) -> str:
    """The one canonical serialisation used for hashing."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _iso_utc(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(audit_event: AuditEvent) -> str:
    content = {name: getattr(audit_event, name) for name in HASHED_FIELDS}
    content["occurred_at"] = _iso_utc(audit_event.occurred_at)
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()


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
    head = session.execute(
        select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditChainHead(id=1, seq=0, hash=GENESIS_HASH)
        session.add(head)
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
    audit_event.hash = event_hash(audit_event)
    head.seq, head.hash = audit_event.seq, audit_event.hash
    session.add(audit_event)
    return audit_event


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events_checked: int
    broken_at_seq: int | None = None
    event_id: int | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items()}


def verify_chain(session: Session, batch: int = 1000) -> ChainReport:
    """Walk the chain in seq order, streaming rows, and report the first break."""
    expected_prev, expected_seq, checked = GENESIS_HASH, 1, 0
    rows = session.execute(
        select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=batch)
    ).scalars()
    for row in rows:
        problem = None
        if row.seq != expected_seq:
            problem = f"expected event #{expected_seq}, found #{row.seq} (an event is missing)"
        elif row.prev_hash != expected_prev:
            problem = "prev_hash does not match the previous event's hash"
        elif event_hash(row) != row.hash:
            problem = "content does not match its hash (the event was altered)"
        if problem:
            return ChainReport(False, checked, row.seq, row.id, problem)
        expected_prev, expected_seq, checked = row.hash, row.seq + 1, checked + 1
    head = session.get(AuditChainHead, 1)
    if head is not None and (head.seq, head.hash) != (expected_seq - 1, expected_prev):
        return ChainReport(
            False, checked, expected_seq, None, "events after the last one are missing"
        )
    return ChainReport(True, checked)


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_mutation(_mapper: Any, _connection: Any, target: AuditEvent) -> None:
    raise PermissionError(f"audit event {target.id} is append-only")
