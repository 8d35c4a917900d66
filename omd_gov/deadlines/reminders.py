"""Claiming a due reminder and acting on it, exactly once.

Domain steps of ``services.send_reminder``'s unit of work: the task that
wins the compare-and-set ``scheduled -> claimed`` on the reminder row
creates the notifications and deliveries (or fires the expiry) in the same
transaction. Losers, duplicates and late retries find the row claimed and
do nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from omd_gov.agreements.lifecycle import State, Trigger
from omd_gov.agreements.models import Agreement
from omd_gov.agreements.transitions import fire_system
from omd_gov.auth.actors import Actor
from omd_gov.db import as_utc
from omd_gov.deadlines import recipients
from omd_gov.deadlines.models import Deadline, Reminder
from omd_gov.deadlines.scheduling import (
    Context,
    close_deadline,
    next_review,
    open_deadline,
    record_deadline_changes,
)
from omd_gov.notifications.outbox import Message, notify

# Kinds where only the latest due reminder is worth sending after an outage.
LATEST_ONLY = ("reminder", "notice")


def claim(session: Session, ctx: Context, reminder_id: int) -> tuple[Deadline, Reminder] | str:
    """Claim the reminder: its deadline and itself, or why it is not owed
    (for logs and tests).

    Rows are locked in the order transitions lock them (agreement, deadline,
    reminder), so a claim and a transition on the same agreement queue up
    instead of deadlocking."""
    ids = session.execute(
        select(Deadline.agreement_id, Deadline.id)
        .join(Reminder, Reminder.deadline_id == Deadline.id)
        .where(Reminder.id == reminder_id)
    ).first()
    if ids is None:
        return "not-owed"
    session.execute(select(Agreement.id).where(Agreement.id == ids[0]).with_for_update())
    deadline = session.execute(
        select(Deadline).where(Deadline.id == ids[1]).with_for_update()
    ).scalar_one()
    reminder = session.execute(
        select(Reminder).where(Reminder.id == reminder_id).with_for_update()
    ).scalar_one()
    if reminder.status != "scheduled":
        return "not-owed"
    if as_utc(reminder.scheduled_for) > ctx.now:
        return "not-yet-due"
    outcome = _refuse(session, ctx, deadline, reminder)
    if outcome:
        reminder.status = outcome
        return outcome
    won = session.execute(
        update(Reminder)
        .where(Reminder.id == reminder.id, Reminder.status == "scheduled")
        .values(status="claimed", claimed_at=ctx.now)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        return "not-owed"
    _skip_earlier(session, reminder)
    return deadline, reminder


def _refuse(session: Session, ctx: Context, deadline: Deadline, reminder: Reminder) -> str:
    """Why this reminder must not be sent ("" when it must)."""
    if not deadline.is_open:
        return "cancelled"
    if reminder.kind in LATEST_ONLY and _later_one_due(session, reminder, ctx):
        return "skipped"  # a later reminder of the same kind is due too: send only that one
    return ""


def _later_one_due(session: Session, reminder: Reminder, ctx: Context) -> bool:
    return bool(
        session.execute(
            select(
                exists().where(
                    Reminder.deadline_id == reminder.deadline_id,
                    Reminder.kind == reminder.kind,
                    Reminder.status == "scheduled",
                    Reminder.scheduled_for > reminder.scheduled_for,
                    Reminder.scheduled_for <= ctx.now,
                )
            )
        ).scalar()
    )


def _skip_earlier(session: Session, reminder: Reminder) -> None:
    session.execute(
        update(Reminder)
        .where(
            Reminder.deadline_id == reminder.deadline_id,
            Reminder.kind == reminder.kind,
            Reminder.status == "scheduled",
            Reminder.scheduled_for < reminder.scheduled_for,
        )
        .values(status="skipped")
        .execution_options(synchronize_session=False)
    )


def act(session: Session, ctx: Context, deadline: Deadline, reminder: Reminder) -> str:
    """Send the claimed reminder to whom it concerns, or fire the expiry."""
    agreement = session.get(Agreement, deadline.agreement_id)
    assert agreement is not None
    if reminder.kind == "expire":
        return _expire(session, ctx, agreement)
    users = (
        recipients.escalation_targets(session, deadline)
        if reminder.kind == "escalation"
        else recipients.assignees(session, deadline)
    )
    message = Message(
        topic=f"{deadline.kind}.{reminder.kind}",
        params=_params(session, ctx, agreement, deadline, reminder),
        link=f"{ctx.config['OMD_PUBLIC_URL'].rstrip('/')}/agreements/{agreement.id}",
        agreement_id=agreement.id,
        deadline_id=deadline.id,
        reminder_id=reminder.id,
    )
    event = {
        "type": f"deadline.{reminder.kind}",
        "occurred_at": ctx.now.isoformat(),
        "agreement": {"id": agreement.id, "reference": agreement.reference},
        "deadline": {"id": deadline.id, "kind": deadline.kind, "due_on": str(deadline.due_on)},
        "reminder": {"id": reminder.id, "kind": reminder.kind, "step": reminder.step},
        "recipients": [user.email for user in users],
    }
    organizations = {user.organization_id for user in users if user.organization_id}
    lease = timedelta(seconds=ctx.config["OMD_DELIVERY_LEASE_SECONDS"])
    notify(
        session, ctx.now, lease, users, message, (f"reminder:{reminder.id}", event, organizations)
    )
    if deadline.kind == "periodic_review" and not _scheduled_left(session, deadline):
        _roll_over_review(session, ctx, agreement, deadline)
    return f"sent:{len(users)}"


def _params(
    session: Session, ctx: Context, agreement: Agreement, deadline: Deadline, reminder: Reminder
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "reference": agreement.reference,
        "title": agreement.title,
        "due_on": deadline.due_on.isoformat(),
        "days": (deadline.due_on - ctx.today).days,
        "step": reminder.step,
    }
    if reminder.kind == "escalation":
        params["assignees"] = (
            ", ".join(user.name for user in recipients.assignees(session, deadline)) or "-"
        )
    return params


def _scheduled_left(session: Session, deadline: Deadline) -> bool:
    return bool(
        session.execute(
            select(
                exists().where(Reminder.deadline_id == deadline.id, Reminder.status == "scheduled")
            )
        ).scalar()
    )


def _roll_over_review(
    session: Session, ctx: Context, agreement: Agreement, deadline: Deadline
) -> None:
    """A periodic review recurs: once its notices are out, the next period opens."""
    close_deadline(session, ctx, deadline, "review_due")
    opened = []
    review = next_review(ctx, agreement, deadline.due_on)
    if review is not None and agreement.state == State.ACTIVE:
        opened.append(
            open_deadline(
                session,
                ctx,
                agreement.id,
                "periodic_review",
                review,
                starts_on=deadline.due_on,
                assignee_id=deadline.assignee_id,
                assignee_role=deadline.assignee_role,
            )
        )
    record_deadline_changes(session, Actor.system("worker"), agreement.id, opened, [deadline])


def _expire(session: Session, ctx: Context, agreement: Agreement) -> str:
    session.refresh(agreement, with_for_update=True)
    end = agreement.end_date
    if agreement.state != State.ACTIVE or end is None or end >= ctx.today:
        return "not-expired"
    fire_system(session, agreement, Trigger.EXPIRE, f"The end date {end.isoformat()} has passed.")
    return "expired"
