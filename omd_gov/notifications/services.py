"""Notify users (in-app rows plus e-mail and webhook deliveries, all in the
caller's transaction) and move deliveries through their states.

A delivery is sent by whoever wins a compare-and-set on its row (pending,
an expired lease, or a failed one whose next round is due -> sending), so
duplicated or racing tasks never send it twice; a worker that dies while
sending leaves a lease that the sweep takes back once it has expired.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, or_, select, text, update
from sqlalchemy.orm import Session

from omd_gov.auth.models import User
from omd_gov.db import call_after_commit, transaction, utcnow
from omd_gov.errors import NotFound
from omd_gov.notifications import mailer, webhooks
from omd_gov.notifications.messages import render
from omd_gov.notifications.models import Delivery, DeliveryFailure, Notification, Webhook
from omd_gov.notifications.redact import redact
from omd_gov.tasking.celery_app import enqueue

DELIVER_TASK = "omd.notifications.deliver"
MAX_ROUND_GAP = timedelta(days=1)
UNFINISHED = "deliveries.status IN ('pending', 'sending', 'failed')"


@dataclass(frozen=True)
class Message:
    topic: str
    params: dict[str, Any]
    link: str = ""
    agreement_id: int | None = None
    deadline_id: int | None = None
    reminder_id: int | None = None


def notify(
    session: Session,
    now: datetime,
    lease: timedelta,
    users: Iterable[User],
    message: Message,
    webhook_event: tuple[str, dict[str, Any], Iterable[int]] | None = None,
) -> list[int]:
    """Create one in-app notification per user (in their language), an e-mail
    delivery for each, and a signed-webhook delivery per organisation in
    ``webhook_event = (event_key, payload, organization_ids)``. The deliveries
    are enqueued after the commit; returns their ids."""
    deliveries: list[Delivery] = []
    for user in users:
        rendered = render(message.topic, message.params | {"link": message.link}, user.language)
        notification = Notification(
            user_id=user.id,
            agreement_id=message.agreement_id,
            deadline_id=message.deadline_id,
            reminder_id=message.reminder_id,
            topic=message.topic,
            language=user.language,
            subject=rendered.subject,
            body=rendered.body,
            link=message.link,
            params=message.params,
            created_at=now,
        )
        session.add(notification)
        session.flush()
        deliveries.append(_delivery("email", f"email:{notification.id}", now + lease))
        deliveries[-1].notification_id = notification.id
    if webhook_event is not None:
        deliveries += _webhook_deliveries(session, now + lease, *webhook_event)
    session.add_all(deliveries)
    session.flush()
    ids = [delivery.id for delivery in deliveries]
    call_after_commit(session, lambda: enqueue_deliveries(ids))
    return ids


def _webhook_deliveries(
    session: Session, due_at: datetime, key: str, payload: dict[str, Any], orgs: Iterable[int]
) -> list[Delivery]:
    """One signed-webhook delivery per active webhook of these organisations."""
    hooks = session.execute(
        select(Webhook).where(Webhook.organization_id.in_(set(orgs)), Webhook.active.is_(True))
    ).scalars()
    out = []
    for hook in hooks:
        delivery = _delivery("webhook", f"webhook:{hook.id}:{key}", due_at)
        delivery.webhook_id, delivery.payload = hook.id, payload
        out.append(delivery)
    return out


def _delivery(channel: str, key: str, due_at: datetime) -> Delivery:
    return Delivery(channel=channel, dedupe_key=key, status="pending", due_at=due_at)


def mark_read(session: Session, user_id: int, notification_id: int) -> Notification:
    """Mark one of the user's own notifications read (anyone else's is "not found")."""
    with transaction(session):
        notification = session.get(Notification, notification_id)
        if notification is None or notification.user_id != user_id:
            raise NotFound(f"notification {notification_id} not found")
        if notification.read_at is None:
            notification.read_at = utcnow()
    return notification


def mark_all_read(session: Session, user_id: int) -> None:
    with transaction(session):
        session.execute(
            update(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
            .values(read_at=utcnow())
        )


def enqueue_deliveries(ids: Iterable[int], expires: float | None = None) -> None:
    for delivery_id in ids:
        enqueue(DELIVER_TASK, delivery_id, expires=expires)


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
    """Send one delivery on its channel (raises TransientError / PermanentError)."""
    delivery = session.get(Delivery, delivery_id)
    assert delivery is not None
    if delivery.channel == "email":
        notification = delivery.notification
        assert notification is not None
        user = session.get(User, notification.user_id)
        assert user is not None
        reference = str(notification.params.get("reference", ""))
        email = mailer.build_message(notification, user.name, user.email, config, reference)
        session.rollback()  # never hold a transaction open across network I/O
        settings = mailer.parse_smtp_url(config["OMD_SMTP_URL"], config["OMD_SMTP_TIMEOUT"])
        mailer.send(email, settings)
    else:
        hook = delivery.webhook
        assert hook is not None
        url, secret, payload = hook.url, hook.secret, dict(delivery.payload)
        session.rollback()
        webhooks.post(url, secret, payload, delivery_id, config["OMD_WEBHOOK_TIMEOUT"])


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


def unfinished_due(now: Any, limit: Any) -> Select[int]:
    """Deliveries nobody is working on any more (lost task, expired lease,
    next round due). The partial index keeps this proportional to them."""
    return (
        select(Delivery.id)
        # A literal predicate, so PostgreSQL matches the partial index in every plan.
        .where(text(UNFINISHED), Delivery.due_at <= now)
        .order_by(Delivery.due_at)
        .limit(limit)
    )
