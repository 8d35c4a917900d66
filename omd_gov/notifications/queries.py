"""Read-side queries: a user's notifications, the failed deliveries and the
webhooks (admins), and the deliveries nobody finished (the sweep)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select, text
from sqlalchemy.orm import Session

from omd_gov.auth.models import User
from omd_gov.db import Keyset, Page, PageRequest
from omd_gov.errors import NotFound
from omd_gov.notifications.models import Delivery, DeliveryFailure, Notification, Webhook

# A literal predicate, so PostgreSQL matches the partial index in every plan.
UNFINISHED = "deliveries.status IN ('pending', 'sending', 'failed')"


# Newest first, served by (user_id, id).
NEWEST_FIRST: Keyset[Notification] = Keyset(
    "notifications", (Notification.id,), key=lambda item: (item.id,), descending=True
)


def list_notifications(
    session: Session, user: User, unread: bool | None, page: PageRequest
) -> Page[Notification]:
    """One page of the user's notifications, newest first (``unread``: only
    the unread ones, or only the read ones), and where the next one starts."""
    statement = select(Notification).where(Notification.user_id == user.id)
    if unread is not None:
        is_unread = Notification.read_at.is_(None)
        statement = statement.where(is_unread if unread else ~is_unread)
    statement = page.apply(statement, NEWEST_FIRST)
    return page.split(session.execute(statement).scalars().all(), NEWEST_FIRST)


def unread_count(session: Session, user: User) -> int:
    return session.execute(
        select(func.count()).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ).scalar_one()


def list_failures(session: Session, unresolved: bool, limit: int) -> Sequence[DeliveryFailure]:
    """Deliveries that failed after all retries, newest first."""
    statement = select(DeliveryFailure)
    if unresolved:
        statement = statement.where(DeliveryFailure.resolved_at.is_(None))
    return (
        session.execute(statement.order_by(DeliveryFailure.id.desc()).limit(limit)).scalars().all()
    )


def list_webhooks(session: Session) -> Sequence[Webhook]:
    return session.execute(select(Webhook).order_by(Webhook.id)).scalars().all()


def delivery_log(
    session: Session, webhook_id: int, status: str | None, before: int | None, limit: int
) -> Sequence[Delivery]:
    """An endpoint's deliveries, newest first (``before``: older than that id);
    "not found" for a webhook that never existed."""
    if session.get(Webhook, webhook_id) is None:
        raise NotFound(f"webhook {webhook_id} not found")
    statement = select(Delivery).where(Delivery.webhook_id == webhook_id)
    if status is not None:
        statement = statement.where(Delivery.status == status)
    if before is not None:
        statement = statement.where(Delivery.id < before)
    return session.execute(statement.order_by(Delivery.id.desc()).limit(limit)).scalars().all()


def unfinished_due(now: Any, limit: Any) -> Select[int]:
    """Deliveries nobody is working on any more (lost task, expired lease,
    next round due). The partial index keeps this proportional to them."""
    return (
        select(Delivery.id)
        .where(text(UNFINISHED), Delivery.due_at <= now)
        .order_by(Delivery.due_at)
        .limit(limit)
    )
