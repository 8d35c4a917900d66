"""Notifying users: the in-app rows plus their e-mail and webhook deliveries.

A domain step of the caller's unit of work (e.g. a reminder's claim): the
rows commit with it or not at all, and the deliveries are published to the
worker only after that commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from omd_gov.auth.models import User
from omd_gov.db import call_after_commit, utcnow
from omd_gov.notifications.events import PREFIX, cloudevent, source_of
from omd_gov.notifications.messages import render
from omd_gov.notifications.models import Delivery, Notification, Webhook
from omd_gov.observability.metrics import REMINDERS_SENT
from omd_gov.tasking.celery_app import enqueue_after_commit

DELIVER_TASK = "omd.notifications.deliver"


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
    ``webhook_event = (event_key, payload, organization_ids)`` whose endpoint
    wants it (the payload, a ``deadline.<kind>`` event, becomes a CloudEvent's
    data). The deliveries are enqueued after the commit; returns their ids."""
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
    in_app = len(deliveries)  # one in-app notification per e-mail delivery so far
    call_after_commit(session, lambda: REMINDERS_SENT.labels(channel="in_app").inc(in_app))
    if webhook_event is not None:
        deliveries += _webhook_deliveries(session, now + lease, *webhook_event)
    session.add_all(deliveries)
    session.flush()
    for delivery in deliveries:
        enqueue_after_commit(session, DELIVER_TASK, delivery.id)
    return [delivery.id for delivery in deliveries]


def _webhook_deliveries(
    session: Session, due_at: datetime, key: str, payload: dict[str, Any], orgs: Iterable[int]
) -> list[Delivery]:
    """One signed-webhook delivery per active webhook of these organisations
    that subscribed to the event's type."""
    event = _as_cloudevent(key, payload)
    hooks = session.execute(
        select(Webhook).where(Webhook.organization_id.in_(set(orgs)), Webhook.active.is_(True))
    ).scalars()
    return [
        webhook_delivery(hook, f"webhook:{hook.id}:{key}", event, due_at)
        for hook in hooks
        if event["type"] in hook.event_types
    ]


def _as_cloudevent(key: str, payload: dict[str, Any]) -> dict[str, Any]:
    reference = str(payload.get("agreement", {}).get("reference", ""))
    source = source_of(current_app.config["OMD_PUBLIC_URL"])
    time = payload.get("occurred_at") or utcnow()
    return cloudevent(key, source, PREFIX + str(payload["type"]), reference, time, payload)


def webhook_delivery(hook: Webhook, key: str, event: dict[str, Any], due_at: datetime) -> Delivery:
    delivery = _delivery("webhook", key, due_at)
    delivery.webhook_id, delivery.payload = hook.id, event
    return delivery


def _delivery(channel: str, key: str, due_at: datetime) -> Delivery:
    return Delivery(channel=channel, dedupe_key=key, status="pending", due_at=due_at)
