"""Lifecycle events for the city's other systems: every transition (the
system's expiries and supersessions too), publication and unpublication.

The audit trail is their outbox. A transition or a publication appends its
audit event in its own unit of work, and asks for the fan-out task after the
commit (:func:`announce_after_commit`, no SQL of its own); the task turns the
trail's events after :class:`WebhookCursor` into webhook deliveries, in one
unit of work, and from there the reminders' delivery machinery (lease,
retries with backoff and jitter, failures, the sweep) sends them. A lost
task costs nothing: beat runs the fan-out too. Events carry no personal
data: the agreement's id, reference and states, the trigger and the acting
role, never a name, an e-mail or a comment.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omd_gov.agreements.hooks import TransitionStep
from omd_gov.agreements.lifecycle import Trigger
from omd_gov.agreements.models import Agreement, Party
from omd_gov.audit.models import AuditEvent
from omd_gov.notifications.events import (
    LIFECYCLE_TYPES,
    PUBLICATION_ACTIONS,
    TRANSITIONED,
    cloudevent,
    source_of,
)
from omd_gov.notifications.models import Delivery, Webhook, WebhookCursor
from omd_gov.notifications.outbox import DELIVER_TASK, webhook_delivery
from omd_gov.tasking.celery_app import enqueue_after_commit

FAN_OUT_TASK = "omd.notifications.fan_out"
TRIGGERS = frozenset(Trigger)


def announce_after_commit(session: Session) -> None:
    """Have the fan-out run once the caller's unit of work has committed."""
    enqueue_after_commit(session, FAN_OUT_TASK)


def announce_transition(session: Session, step: TransitionStep) -> None:
    """The after-transition hook (registered by the app factory)."""
    announce_after_commit(session)


def event_type(action: str) -> str | None:
    if action in TRIGGERS:
        return TRANSITIONED
    return PUBLICATION_ACTIONS.get(action)


def fan_out(session: Session, now: datetime, config: Mapping[str, Any], limit: int) -> int:
    """Turn up to ``limit`` audit events after the cursor into deliveries and
    move the cursor past them; returns how many events were read (``limit``:
    there may be more)."""
    cursor = session.get(WebhookCursor, 1, with_for_update=True)
    if cursor is None:  # a database whose cursor row was never written (emptied)
        cursor = WebhookCursor(id=1, audit_seq=0)
        session.add(cursor)
    rows = session.execute(
        select(
            AuditEvent.seq,
            AuditEvent.hash,
            AuditEvent.occurred_at,
            AuditEvent.entity_type,
            AuditEvent.action,
            AuditEvent.agreement_id,
            AuditEvent.from_state,
            AuditEvent.to_state,
            AuditEvent.acting_role,
        )  # fmt: skip
        .where(AuditEvent.seq > cursor.audit_seq)
        .order_by(AuditEvent.seq)
        .limit(limit)
    ).all()
    if not rows:
        return 0
    cursor.audit_seq = rows[-1].seq
    news = [row for row in rows if row.entity_type == "agreement" and event_type(row.action)]
    hooks = _lifecycle_hooks(session) if news else []
    if hooks:
        lease = timedelta(seconds=config["OMD_DELIVERY_LEASE_SECONDS"])
        source = source_of(config["OMD_PUBLIC_URL"])
        deliveries = _deliveries(session, news, hooks, source, now + lease)
        session.add_all(deliveries)
        session.flush()
        for delivery in deliveries:
            enqueue_after_commit(session, DELIVER_TASK, delivery.id)
    return len(rows)


def _lifecycle_hooks(session: Session) -> list[Webhook]:
    active = session.execute(select(Webhook).where(Webhook.active.is_(True))).scalars()
    return [hook for hook in active if set(hook.event_types) & set(LIFECYCLE_TYPES)]


def _deliveries(
    session: Session, news: Sequence[Any], hooks: list[Webhook], source: str, due: datetime
) -> list[Delivery]:
    ids = {row.agreement_id for row in news}
    references: dict[int, str] = {
        agreement_id: reference
        for agreement_id, reference in session.execute(
            select(Agreement.id, Agreement.reference).where(Agreement.id.in_(ids))
        )
    }
    parties: dict[int, set[int]] = defaultdict(set)
    for agreement_id, organization_id in session.execute(
        select(Party.agreement_id, Party.organization_id).where(Party.agreement_id.in_(ids))
    ):
        parties[agreement_id].add(organization_id)
    out = []
    for row in news:
        event = _event(row, references[row.agreement_id], source)
        for hook in hooks:
            wanted = event["type"] in hook.event_types and hook.created_at <= row.occurred_at
            concerned = hook.organization_id in (None, *parties[row.agreement_id])
            if wanted and concerned:
                out.append(webhook_delivery(hook, f"webhook:{hook.id}:audit:{row.seq}", event, due))
    return out


def _event(row: Any, reference: str, source: str) -> dict[str, Any]:
    kind = event_type(row.action)
    assert kind is not None
    data: dict[str, Any] = {
        "agreement": {"id": row.agreement_id, "reference": reference, "state": row.to_state}
    }
    if kind == TRANSITIONED:
        data |= {
            "trigger": row.action,
            "from_state": row.from_state,
            "to_state": row.to_state,
            "acting_role": row.acting_role,
        }
    # id: the audit event's hash (unique, and the same event in the trail);
    # sequence (the CloudEvents extension): its place in the trail, zero-padded
    # so that it orders as a string, for receivers that get events out of order.
    sequence = f"{row.seq:020d}"
    return cloudevent(row.hash, source, kind, reference, row.occurred_at, data, sequence=sequence)
