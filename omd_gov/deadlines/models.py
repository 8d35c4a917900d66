"""Deadlines on the office's business-day calendar, their scheduled reminders,
the admin-edited calendar and policy, and per-user calendar-feed tokens."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from omd_gov.db import Base, UtcDateTime, utcnow

DEADLINE_KINDS = (
    "legal_review",
    "changes",
    "signature",
    "publication",
    "expiry",
    "periodic_review",
)
DEADLINE_STATUSES = ("open", "closed")
# A reminder row is "scheduled" until exactly one task claims it (or it is skipped,
# because a later reminder of the same kind is already due, or cancelled with its deadline).
REMINDER_STATUSES = ("scheduled", "claimed", "skipped", "cancelled")
REMINDER_KINDS = ("start", "reminder", "escalation", "notice", "expire")


class Deadline(Base):
    """A dated obligation on an agreement. Rows are created, moved and closed
    in the same transaction as the transition that causes them."""

    __tablename__ = "deadlines"
    audit_entity: ClassVar[str] = "deadline"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    kind: Mapped[str] = mapped_column(String(30))
    # For per-signatory deadlines: the signing party this deadline belongs to
    # (NULL once that party is removed from the agreement, e.g. after a decline).
    party_id: Mapped[int | None] = mapped_column(
        ForeignKey("agreement_parties.id", ondelete="SET NULL")
    )
    # Whoever must act: this user and/or everyone with this role (in this organisation).
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assignee_role: Mapped[str | None] = mapped_column(String(30))
    assignee_organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open")
    # The trigger (approve, sign, withdraw...) or action (completed, moved) that closed it.
    close_reason: Mapped[str | None] = mapped_column(String(40))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Bumped when the deadline is moved: reminder steps carry it, so a moved
    # deadline reminds again for its new dates (and the iCal SEQUENCE follows).
    revision: Mapped[int] = mapped_column(default=1)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    reminders: Mapped[list[Reminder]] = relationship(
        back_populates="deadline", order_by="Reminder.scheduled_for"
    )

    __table_args__ = (
        Index("ix_deadlines_agreement_id_kind", "agreement_id", "kind"),
        Index("ix_deadlines_assignee_id_due_on", "assignee_id", "due_on"),
        # Lists of open deadlines, soonest first (due_on, id): the first page
        # reads its rows straight from one of these, however many fall due on
        # one day. Every open one; one person's; a role's unclaimed queue.
        Index(
            "ix_deadlines_open_due_on",
            "due_on",
            "id",
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index(
            "ix_deadlines_open_assignee",
            "assignee_id",
            "due_on",
            "id",
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index(
            "ix_deadlines_open_queue",
            "assignee_role",
            "due_on",
            "id",
            sqlite_where=text("status = 'open' AND assignee_id IS NULL"),
            postgresql_where=text("status = 'open' AND assignee_id IS NULL"),
        ),
    )

    @property
    def is_open(self) -> bool:
        return self.status == "open"


class Reminder(Base):
    """One scheduled notice (or the expiry action) of a deadline. The row is
    unique per (deadline, kind, step); a task must claim it (scheduled ->
    claimed, compare-and-set) before anything is sent, so duplicated sweeps,
    retried tasks and racing workers produce exactly one notification."""

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    deadline_id: Mapped[int] = mapped_column(ForeignKey("deadlines.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    step: Mapped[str] = mapped_column(String(40))
    scheduled_for: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(10), default="scheduled")
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    deadline: Mapped[Deadline] = relationship(back_populates="reminders")

    __table_args__ = (
        UniqueConstraint("deadline_id", "kind", "step"),
        # The sweep's query: its cost follows the rows that are due, not the table size.
        Index(
            "ix_reminders_due",
            "scheduled_for",
            sqlite_where=text("status = 'scheduled'"),
            postgresql_where=text("status = 'scheduled'"),
        ),
    )


class MunicipalHoliday(Base):
    """An extra non-business day on top of the national/regional calendar:
    a municipal holiday or an office closure (admin-edited)."""

    __tablename__ = "municipal_holidays"
    audit_entity: ClassVar[str] = "municipal_holiday"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10), default="holiday")  # holiday | closure
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class DeadlinePolicy(Base):
    """Admin-edited policy for one deadline kind. A missing row means the
    built-in default (see ``omd_gov.deadlines.policy.DEFAULTS``)."""

    __tablename__ = "deadline_policies"

    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    due_business_days: Mapped[int | None]
    remind_before_business_days: Mapped[list[int]] = mapped_column(JSON, default=list)
    remind_every_business_days: Mapped[int | None]
    escalate_after_business_days: Mapped[int | None]
    notice_days_before: Mapped[list[int]] = mapped_column(JSON, default=list)
    notify_on_start: Mapped[bool] = mapped_column(default=True)
    review_every_months: Mapped[int | None]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    def as_dict(self) -> dict[str, Any]:
        return {
            "due_business_days": self.due_business_days,
            "remind_before_business_days": list(self.remind_before_business_days or []),
            "remind_every_business_days": self.remind_every_business_days,
            "escalate_after_business_days": self.escalate_after_business_days,
            "notice_days_before": list(self.notice_days_before or []),
            "notify_on_start": self.notify_on_start,
            "review_every_months": self.review_every_months,
        }


class CalendarFeedToken(Base):
    """A user's iCalendar feed secret; only its sha256 is stored."""

    __tablename__ = "calendar_feed_tokens"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
