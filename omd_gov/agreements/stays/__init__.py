"""Agreements' stays in each state (``models.AgreementStay``): written by each
state change in its own unit of work (``follow``), rebuilt from the audit
trail for agreements that have none (``backfill``, run by ``omd-gov init``).
What the analytics page reads instead of the trail itself."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, exists, func, insert, or_, select, update
from sqlalchemy.orm import Session

from omd_gov.agreements.models import Agreement, AgreementStay
from omd_gov.audit.models import AuditEvent
from omd_gov.db import UtcDateTime


def follow(session: Session, event: AuditEvent) -> None:
    """Close the open stay and open the next, if ``event`` changes the state
    (``create`` enters draft from nothing; signing -> signing is no change).
    Two statements sent at once, without flushing the pending event: every
    stay is written this way, so none is ever pending when the next closes."""
    if event.to_state is None or event.from_state == event.to_state:
        return
    with session.no_autoflush:
        if event.from_state is not None:
            still_there = AgreementStay.left_at.is_(None)
            session.execute(
                update(AgreementStay)
                .where(AgreementStay.agreement_id == event.agreement_id, still_there)
                .values(left_at=event.occurred_at)
            )
        session.execute(
            insert(AgreementStay).values(
                agreement_id=event.agreement_id,
                state=event.to_state,
                entered_at=event.occurred_at,
                entered_seq=event.seq,
            )
        )


def moves(agreement_ids: Sequence[int]) -> Any:
    """The stays of these agreements, read from the trail: every state change,
    until the agreement's next one (SQL ``LEAD`` in chain order)."""
    moved = and_(
        AuditEvent.agreement_id.in_(agreement_ids),
        AuditEvent.to_state.is_not(None),
        or_(AuditEvent.from_state.is_(None), AuditEvent.from_state != AuditEvent.to_state),
    )
    left = func.lead(AuditEvent.occurred_at, type_=UtcDateTime()).over(
        partition_by=AuditEvent.agreement_id, order_by=AuditEvent.seq
    )
    return select(
        AuditEvent.agreement_id, AuditEvent.to_state, AuditEvent.occurred_at, left, AuditEvent.seq
    ).where(moved)


def unfilled(session: Session, after: int, limit: int) -> list[int]:
    """The next ``limit`` agreements (by id, after ``after``) without stays."""
    has_stays = exists().where(AgreementStay.agreement_id == Agreement.id)
    statement = (
        select(Agreement.id).where(Agreement.id > after, ~has_stays).order_by(Agreement.id)
    ).limit(limit)
    return list(session.scalars(statement))


def backfill(session: Session, agreement_ids: Sequence[int]) -> int:
    """Write these agreements' stays from their audit events; how many."""
    columns = ["agreement_id", "state", "entered_at", "left_at", "entered_seq"]
    statement = insert(AgreementStay).from_select(columns, moves(agreement_ids).subquery().select())
    # Counted from RETURNING: psycopg answers no row count for INSERT ... SELECT here.
    return len(session.execute(statement.returning(AgreementStay.id)).all())
