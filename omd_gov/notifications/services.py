"""The notifications' use cases, each one a unit of work: a user reads their
notifications, an admin registers or deactivates a webhook or replays a
failed delivery, the worker turns lifecycle events into deliveries and
moves a delivery through its states.

A delivery is sent by whoever wins a compare-and-set on its row (pending,
an expired lease, or a failed one whose next round is due -> sending), so
duplicated or racing tasks never send it twice; a worker that dies while
sending leaves a lease that the sweep takes back once it has expired.
Creating notifications is a step of the caller's unit of work (``outbox``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from omd_gov.audit.chain import record
from omd_gov.auth.actors import Actor
from omd_gov.auth.models import User
from omd_gov.db import end_read, transaction, utcnow
from omd_gov.errors import Conflict, NotFound, Unprocessable
from omd_gov.notifications import events, lifecycle, mailer, webhooks
from omd_gov.notifications.models import Delivery, DeliveryFailure, Notification, Webhook
from omd_gov.notifications.outbox import DELIVER_TASK
from omd_gov.notifications.redact import redact
from omd_gov.organizations.models import Organization
from omd_gov.tasking.celery_app import enqueue_after_commit

MAX_ROUND_GAP = timedelta(days=1)


def mark_read(session: Session, actor: Actor, notification_id: int) -> Notification:
    """Mark one of the user's own notifications read (anyone else's is "not found")."""
    user_id = actor.require_user().id
    with transaction(session):
        notification = session.get(Notification, notification_id)
        if notification is None or notification.user_id != user_id:
            raise NotFound(f"notification {notification_id} not found")
        if notification.read_at is None:
            notification.read_at = utcnow()
    return notification


def mark_all_read(session: Session, actor: Actor) -> None:
    user_id = actor.require_user().id
    with transaction(session):
        session.execute(
            update(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
            .values(read_at=utcnow())
        )


def create_webhook(
    session: Session,
    actor: Actor,
    organization_id: int | None,
    url: str,
    *,
    demo: bool,
    event_types: list[str] | None = None,
) -> Webhook:
    """Register an endpoint with a new signing secret (the caller shows it
    once): an organisation's (a deactivated one is reused: one row per
    organisation) or, without one, an office-wide endpoint."""
    webhooks.check_webhook_url(url, demo)
    types = _event_types(organization_id, event_types)
    with transaction(session):
        hook = _webhook_row(session, organization_id)
        hook.url, hook.secret, hook.active = url, webhooks.new_secret(), True
        hook.event_types, hook.created_at = types, utcnow()
        session.flush()
        changes = {
            "url": {"from": None, "to": redact(hook.url)},
            "organization_id": {"from": None, "to": hook.organization_id},
            "event_types": {"from": None, "to": types},
        }
        record(session, actor, hook, "create", changes=changes)
    return hook


def _event_types(organization_id: int | None, wanted: list[str] | None) -> list[str]:
    if wanted is None:
        return events.default_types(organization_id)
    refused = events.refused_types(organization_id, wanted)
    if refused or not wanted:
        why = "office-wide endpoints take agreement events only" if organization_id is None else ""
        message = f"not allowed: {', '.join(refused)} {why}".strip() if refused else "empty"
        raise Unprocessable("invalid event types", [{"field": "event_types", "message": message}])
    return sorted(set(wanted), key=events.EVENT_TYPES.index)


def _webhook_row(session: Session, organization_id: int | None) -> Webhook:
    if organization_id is None:
        office = Webhook(organization_id=None)
        session.add(office)
        return office
    if session.get(Organization, organization_id) is None:
        raise NotFound(f"organisation {organization_id} not found")
    hook = session.execute(
        select(Webhook).where(Webhook.organization_id == organization_id)
    ).scalar_one_or_none()
    if hook is not None and hook.active:
        raise Conflict("this organisation already has a webhook; delete it first")
    if hook is None:
        hook = Webhook(organization_id=organization_id)
        session.add(hook)
    return hook


def deactivate_webhook(session: Session, actor: Actor, webhook_id: int) -> None:
    """Deactivate (deliveries keep their history); an inactive one is "not found"."""
    with transaction(session):
        hook = session.get(Webhook, webhook_id)
        if hook is None or not hook.active:
            raise NotFound(f"webhook {webhook_id} not found")
        hook.active = False
        changes = {"active": {"from": True, "to": False}}
        record(session, actor, hook, "deactivate", changes=changes)


def replay(
    session: Session, actor: Actor, webhook_id: int, delivery_id: int, lease: timedelta
) -> Delivery:
    """Send a failed or rejected delivery of an active webhook again, now, as
    it was (same event, same ``webhook-id``), with a fresh set of retries;
    the sweep takes it up after ``lease`` should its task be lost."""
    with transaction(session):
        hook = session.get(Webhook, webhook_id)
        delivery = session.get(Delivery, delivery_id, with_for_update=True)
        if hook is None or not hook.active or delivery is None or delivery.webhook_id != hook.id:
            raise NotFound(f"delivery {delivery_id} of webhook {webhook_id} not found")
        if delivery.status not in ("failed", "rejected"):
            raise Conflict(f"only a failed delivery is replayed; this one is {delivery.status}")
        before = delivery.status
        delivery.status, delivery.due_at = "pending", utcnow() + lease
        delivery.lease_token = None
        changes = {"delivery_id": delivery.id, "status": {"from": before, "to": "pending"}}
        record(session, actor, hook, "replay_delivery", changes=changes)
        enqueue_after_commit(session, DELIVER_TASK, delivery.id)
    return delivery


def fan_out(session: Session, config: Mapping[str, Any], limit: int) -> int:
    """Turn the trail's new lifecycle events into webhook deliveries
    (``lifecycle.fan_out``); returns how many audit events were read."""
    with transaction(session):
        return lifecycle.fan_out(session, utcnow(), config, limit)


def acquire(session: Session, delivery_id: int, now: datetime, lease: timedelta) -> str | None:
    """Compare-and-set the delivery to ``sending`` under a fresh lease token;
    None when someone else holds it or it needs nothing."""
    token = uuid.uuid4().hex
    with transaction(session):
        result = session.execute(
            update(Delivery)
            .where(
                Delivery.id == delivery_id,
                or_(
                    Delivery.status == "pending",
                    and_(Delivery.status.in_(("sending", "failed")), Delivery.due_at <= now),
                ),
            )
            .values(
                status="sending",
                lease_token=token,
                due_at=now + lease,
                attempts=Delivery.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
    return token if result.rowcount == 1 else None  # type: ignore[attr-defined]


def send(session: Session, delivery_id: int, config: Mapping[str, Any]) -> None:
    """Send one delivery on its channel (raises TransientError, PermanentError
    or ConfigurationError). What it needs is read first; the read ends before
    the network I/O, even when it fails."""
    try:
        transmit = _outbound(session, delivery_id, config)
    finally:
        end_read(session, "sending a delivery")
    transmit()


def _outbound(session: Session, delivery_id: int, config: Mapping[str, Any]) -> Callable[[], None]:
    delivery = session.get(Delivery, delivery_id)
    assert delivery is not None
    if delivery.channel == "email":
        notification = delivery.notification
        assert notification is not None
        user = session.get(User, notification.user_id)
        assert user is not None
        reference = str(notification.params.get("reference", ""))
        email = mailer.build_message(notification, user.name, user.email, config, reference)
        settings = mailer.parse_smtp_url(config["OMD_SMTP_URL"], config["OMD_SMTP_TIMEOUT"])
        return lambda: mailer.send(email, settings)
    hook = delivery.webhook
    assert hook is not None
    url, secret, payload = hook.url, hook.secret, dict(delivery.payload)
    timeout = config["OMD_WEBHOOK_TIMEOUT"]
    return lambda: webhooks.post(url, secret, payload, delivery_id, timeout)


def _owned(delivery_id: int, token: str) -> Any:
    return and_(Delivery.id == delivery_id, Delivery.lease_token == token)


def mark_sent(session: Session, delivery_id: int, token: str, now: datetime) -> bool:
    with transaction(session):
        result = session.execute(
            update(Delivery)
            .where(_owned(delivery_id, token))
            .values(status="sent", sent_at=now, due_at=None, lease_token=None)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(DeliveryFailure)
            .where(
                DeliveryFailure.delivery_id == delivery_id, DeliveryFailure.resolved_at.is_(None)
            )
            .values(resolved_at=now)
            .execution_options(synchronize_session=False)
        )
    return result.rowcount == 1  # type: ignore[attr-defined]


def release_for_retry(
    session: Session, delivery_id: int, token: str, error: str, due_at: datetime
) -> None:
    """Give the delivery back (pending) while the task waits for its retry;
    should the retry be lost, the sweep takes it up at ``due_at``."""
    with transaction(session):
        session.execute(
            update(Delivery)
            .where(_owned(delivery_id, token))
            .values(status="pending", due_at=due_at, lease_token=None, last_error=error)
            .execution_options(synchronize_session=False)
        )


def record_failure(
    session: Session,
    delivery_id: int,
    token: str,
    error: str,
    now: datetime,
    *,
    permanent: bool,
    round_gap: timedelta,
) -> None:
    """Retries are exhausted (or the refusal is final): store the failure for
    the admins. A transient failure gets another round from the sweep, with
    the gap doubling each round (up to a day)."""
    with transaction(session):
        delivery = session.get(Delivery, delivery_id, with_for_update=True)
        if delivery is None or delivery.lease_token != token:
            return
        delivery.rounds += 1
        delivery.status = "rejected" if permanent else "failed"
        delivery.last_error, delivery.lease_token = error, None
        delivery.due_at = (
            None if permanent else now + min(MAX_ROUND_GAP, round_gap * 2 ** (delivery.rounds - 1))
        )
        session.add(
            DeliveryFailure(
                delivery_id=delivery.id,
                channel=delivery.channel,
                recipient=_recipient(session, delivery),
                attempts=delivery.attempts,
                permanent=permanent,
                error=error[:2000],
                failed_at=now,
            )
        )


def _recipient(session: Session, delivery: Delivery) -> str:
    if delivery.webhook is not None:
        return redact(delivery.webhook.url)
    notification = delivery.notification
    user = session.get(User, notification.user_id) if notification else None
    return user.email if user else "?"
