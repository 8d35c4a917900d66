"""Opening, moving and closing deadline rows and their scheduled reminders.

Domain steps: they join the caller's unit of work (a transition, an office
change in ``services``, a reminder's claim) and never commit. Opening or
moving a deadline writes its whole schedule as reminder rows; the rows due
at once are enqueued after the commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from functools import cached_property
from typing import Any

from flask import current_app
from sqlalchemy import false, insert, select, update
from sqlalchemy.orm import Session, aliased

from omd_gov.agreements.models import Agreement
from omd_gov.audit.chain import Subject, record
from omd_gov.auth.actors import Actor
from omd_gov.db import utcnow
from omd_gov.deadlines.calendar import (
    BusinessCalendar,
    OfficeClock,
    calendar_with,
    office_calendar,
    office_clock,
    office_today,
)
from omd_gov.deadlines.models import Deadline, DeadlinePolicy, MunicipalHoliday, Reminder
from omd_gov.deadlines.policy import Policy, load_policies, policies_from
from omd_gov.deadlines.schedule import actions, add_months
from omd_gov.tasking.celery_app import enqueue_after_commit

SEND_REMINDER_TASK = "omd.deadlines.send_reminder"


class Context:
    """Everything scheduling needs, read at most once per transaction (the
    policy and the calendar only when used: most reminder claims need neither)."""

    def __init__(self, session: Session, config: Mapping[str, Any]):
        self.session, self.config = session, config
        self.clock: OfficeClock = office_clock(config)
        self.now: datetime = utcnow()

    @cached_property
    def policies(self) -> Mapping[str, Policy]:
        return load_policies(self.session)

    @cached_property
    def cal(self) -> BusinessCalendar:
        return office_calendar(self.session, self.config)

    @property
    def today(self) -> date:
        return office_today(self.config, self.now)

    def use(self, policy_rows: Iterable[DeadlinePolicy], days: Iterable[MunicipalHoliday]) -> None:
        """Take the policy and the municipal days from rows already read."""
        # Filled in place of the cached properties above.
        self.__dict__.update(
            policies=policies_from(policy_rows), cal=calendar_with(self.config, days)
        )


def context(session: Session, config: Mapping[str, Any] | None = None) -> Context:
    return Context(session, config if config is not None else current_app.config)


def of_agreement(session: Session, ctx: Context, agreement_id: int) -> list[Deadline]:
    """Every deadline of the agreement, oldest first, with the policy and the
    municipal days put into ``ctx``: a transition's one read. The three small
    tables come side by side (a join that never matches), one round trip."""
    mine = select(Deadline).where(Deadline.agreement_id == agreement_id).subquery()
    rows = session.execute(
        select(aliased(Deadline, mine), DeadlinePolicy, MunicipalHoliday)
        .select_from(mine)
        .join(DeadlinePolicy, false(), full=True)
        .join(MunicipalHoliday, false(), full=True)
    ).all()
    ctx.use((row[1] for row in rows if row[1]), (row[2] for row in rows if row[2]))
    return sorted((row[0] for row in rows if row[0]), key=lambda deadline: deadline.id)


def _schedule(session: Session, ctx: Context, deadline: Deadline) -> None:
    """Write the deadline's reminder rows (one INSERT); enqueue (after commit)
    those due now."""
    rows = [
        {"deadline_id": deadline.id, "kind": a.kind, "step": a.step, "scheduled_for": a.at}
        for a in actions(deadline, ctx.policies[deadline.kind], ctx.cal, ctx.clock)
    ]
    if not rows:
        return
    written = session.execute(insert(Reminder).returning(Reminder.id, Reminder.scheduled_for), rows)
    expires = ctx.config["OMD_SWEEP_SECONDS"]
    for reminder_id, scheduled_for in sorted(written.all()):
        if scheduled_for <= ctx.now:
            enqueue_after_commit(session, SEND_REMINDER_TASK, reminder_id, expires=expires)


def _cancel_reminders(session: Session, deadline: Deadline) -> None:
    session.execute(
        update(Reminder)
        .where(Reminder.deadline_id == deadline.id, Reminder.status == "scheduled")
        .values(status="cancelled")
        .execution_options(synchronize_session=False)
    )


def open_deadlines(session: Session, agreement_id: int, kinds: Iterable[str]) -> list[Deadline]:
    return list(
        session.execute(
            select(Deadline)
            .where(
                Deadline.agreement_id == agreement_id,
                Deadline.kind.in_(tuple(kinds)),
                Deadline.status == "open",
            )
            .order_by(Deadline.id)
        ).scalars()
    )


def open_deadline(
    session: Session,
    ctx: Context,
    agreement_id: int,
    kind: str,
    due_on: date,
    starts_on: date | None = None,
    *,
    known: Iterable[Deadline] | None = None,
    **assignment: Any,
) -> Deadline:
    """Open a deadline (or move the open one of the same kind and party).
    ``known``: the agreement's deadlines, when the caller has read them."""
    party_id = assignment.get("party_id")
    for existing in open_deadlines(session, agreement_id, (kind,)) if known is None else known:
        if existing.is_open and existing.kind == kind and existing.party_id == party_id:
            return move_deadline(session, ctx, existing, due_on)
    row = {"agreement_id": agreement_id, "kind": kind, "starts_on": starts_on or ctx.today,
           "due_on": due_on, "status": "open", "revision": 1, "opened_at": ctx.now,
           "created_at": ctx.now, **assignment}  # fmt: skip
    deadline = session.scalars(insert(Deadline).returning(Deadline), [row]).one()
    _schedule(session, ctx, deadline)
    return deadline


def move_deadline(session: Session, ctx: Context, deadline: Deadline, due_on: date) -> Deadline:
    """New due date (or assignee): the old reminders are cancelled and a new
    revision is scheduled, so the assignees hear about the change."""
    _cancel_reminders(session, deadline)
    deadline.due_on = due_on
    deadline.revision += 1
    deadline.opened_at = ctx.now
    _schedule(session, ctx, deadline)
    return deadline


def complete_open(session: Session, agreement_id: int, kind: str, reason: str) -> list[Deadline]:
    """Close the agreement's open deadlines of ``kind`` as done by another
    feature's action (publishing closes "publication"); the caller audits."""
    ctx = context(session)
    found = open_deadlines(session, agreement_id, (kind,))
    for deadline in found:
        close_deadline(session, ctx, deadline, reason)
    return found


def close_deadline(session: Session, ctx: Context, deadline: Deadline, reason: str) -> None:
    deadline.status = "closed"
    deadline.close_reason = reason[:40]
    deadline.closed_at = ctx.now
    _cancel_reminders(session, deadline)


def next_review(ctx: Context, agreement: Agreement, after: date) -> date | None:
    """The next periodic review, or None when the agreement ends first."""
    months = ctx.policies["periodic_review"].review_every_months or agreement.review_interval_months
    due = add_months(after, months)
    return None if agreement.end_date is not None and due > agreement.end_date else due


def _describe(deadline: Deadline) -> dict[str, Any]:
    return {
        "id": deadline.id,
        "kind": deadline.kind,
        "due_on": deadline.due_on.isoformat(),
        "party_id": deadline.party_id,
        "status": deadline.status,
    }


def record_deadline_changes(
    session: Session,
    actor: Actor,
    agreement_id: int,
    opened: list[Deadline],
    closed: list[Deadline],
    comment: str = "",
) -> None:
    """The agreement's ``deadlines`` audit event: what was opened and closed."""
    record(
        session,
        actor,
        # No agreement row at hand (nor wanted: this event carries no state).
        Subject("agreement", agreement_id, agreement_id),
        "deadlines",
        changes={
            "opened": [_describe(d) for d in opened],
            "closed": [_describe(d) | {"reason": d.close_reason} for d in closed],
        },
        comment=comment,
    )
