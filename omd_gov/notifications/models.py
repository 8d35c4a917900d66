"""In-app notifications, their outbound deliveries (email, webhook) and the
record of deliveries that failed."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from omd_gov.db import Base, UtcDateTime, utcnow

CHANNELS = ("email", "webhook")
# pending: nobody is sending; sending: leased by one worker until lease_until;
# sent; failed: retries exhausted, the sweep tries again at due_at;
# rejected: a permanent refusal (e.g. SMTP 5xx), kept for the admins.
DELIVERY_STATUSES = ("pending", "sending", "sent", "failed", "rejected")


class Notification(Base):
    """A message to one user, in their language. It is the in-app channel
    itself; e-mail deliveries are rendered from it."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"))
    deadline_id: Mapped[int | None] = mapped_column(ForeignKey("deadlines.id"))
    reminder_id: Mapped[int | None] = mapped_column(ForeignKey("reminders.id"))
    topic: Mapped[str] = mapped_column(String(60))  # e.g. "legal_review.reminder"
    language: Mapped[str] = mapped_column(String(2))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(500), default="")
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_notifications_user_id_id", "user_id", "id"),)


class Webhook(Base):
    """An endpoint: an organisation's (at most one), or office-wide (no
    organisation: the City OS), with the event types it wants
    (``events.EVENT_TYPES``). Events are signed the Standard Webhooks way
    with ``secret`` (kept retrievable because signing needs it; the API shows
    it once)."""

    __tablename__ = "webhooks"
    audit_entity: ClassVar[str] = "webhook"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique: one per organisation; any number of office-wide ones (NULL).
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), unique=True)
    url: Mapped[str] = mapped_column(String(500))
    event_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    secret: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Delivery(Base):
    """One outbound message on one channel. ``dedupe_key`` is unique, so the
    same notification is never queued twice for a channel; the status moves
    by compare-and-set, so only one worker sends it at a time."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id"))
    webhook_id: Mapped[int | None] = mapped_column(ForeignKey("webhooks.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    rounds: Mapped[int] = mapped_column(default=0)  # times all retries were exhausted
    # When the sweep must look at it if it is still unfinished (lease end,
    # lost retry, next round after a failure).
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    lease_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    notification: Mapped[Notification | None] = relationship()
    webhook: Mapped[Webhook | None] = relationship()

    __table_args__ = (
        # The sweep's healing query reads only unfinished deliveries.
        Index(
            "ix_deliveries_unfinished_due_at",
            "due_at",
            sqlite_where=text("status IN ('pending', 'sending', 'failed')"),
            postgresql_where=text("status IN ('pending', 'sending', 'failed')"),
        ),
        # An endpoint's delivery log, newest first.
        Index("ix_deliveries_webhook_id_id", "webhook_id", "id"),
    )


class DeliveryFailure(Base):
    """A delivery that failed after all its retries (or was refused for good).
    Visible to admins; ``resolved_at`` is set when a later round delivers it."""

    __tablename__ = "delivery_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(String(500))
    attempts: Mapped[int]
    permanent: Mapped[bool] = mapped_column(default=False)
    error: Mapped[str] = mapped_column(Text)
    failed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class WebhookCursor(Base):
    """One row: the audit trail's last event (``seq``) already turned into
    lifecycle webhook deliveries. The trail is the lifecycle events' outbox:
    a transition or publication commits its audit event, and the fan-out
    task turns the events after the cursor into deliveries."""

    __tablename__ = "webhook_cursor"

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_seq: Mapped[int] = mapped_column(default=0)
