"""Deadlines follow the agreement lifecycle.

A transition hook (registered by ``create_app``) opens, moves and closes deadline rows (and their
scheduled reminder rows) inside the transition's transaction, so a
transition, its audit event and its deadlines commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from functools import cached_property
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from omd_gov.agreements.hooks import TransitionStep
from omd_gov.agreements.models import Agreement
from omd_gov.audit.chain import append_event
from omd_gov.auth.actors import Actor
from omd_gov.auth.models import Role
from omd_gov.db import call_after_commit, utcnow
from omd_gov.deadlines.calendar import (
    BusinessCalendar,
    OfficeClock,
    office_calendar,
    office_clock,
    office_today,
)
from omd_gov.deadlines.models import Deadline, Reminder
from omd_gov.deadlines.policy import Policy, load_policies
from omd_gov.deadlines.schedule import actions, add_months, due_date
from omd_gov.tasking.celery_app import enqueue

SEND_REMINDER_TASK = "omd.deadlines.send_reminder"
# The deadlines that belong to a state: leaving the state closes them.
STATE_KINDS = {
    "legal_review": ("legal_review",),
    "changes_requested": ("changes",),
    "signing": ("signature",),
    "active": ("publication", "expiry", "periodic_review"),
}


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


def context(session: Session, config: Mapping[str, Any] | None = None) -> Context:
    return Context(session, config if config is not None else current_app.config)


def enqueue_reminders(ids: Iterable[int], expires: float | None) -> None:
    for reminder_id in ids:
        enqueue(SEND_REMINDER_TASK, reminder_id, expires=expires)


def _schedule(session: Session, ctx: Context, deadline: Deadline) -> None:
    """Write the deadline's reminder rows; enqueue (after commit) those due now."""
    rows = [
        Reminder(deadline_id=deadline.id, kind=a.kind, step=a.step, scheduled_for=a.at)
        for a in actions(deadline, ctx.policies[deadline.kind], ctx.cal, ctx.clock)
    ]
    session.add_all(rows)
    session.flush()
    due = [row.id for row in rows if row.scheduled_for <= ctx.now]
    if due:
        expires = ctx.config["OMD_SWEEP_SECONDS"]
        call_after_commit(session, lambda: enqueue_reminders(due, expires))


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
    **assignment: Any,
) -> Deadline:
    """Open a deadline (or move the open one of the same kind and party)."""
    for existing in open_deadlines(session, agreement_id, (kind,)):
        if existing.party_id == assignment.get("party_id"):
            return move_deadline(session, ctx, existing, due_on)
    deadline = Deadline(
        agreement_id=agreement_id,
        kind=kind,
        starts_on=starts_on or ctx.today,
        due_on=due_on,
        status="open",
        revision=1,
        opened_at=ctx.now,
        created_at=ctx.now,
        **assignment,
    )
    session.add(deadline)
    session.flush()
    _schedule(session, ctx, deadline)
    return deadline


def move_deadline(session: Session, ctx: Context, deadline: Deadline, due_on: date) -> Deadline:
    """New due date (or assignee): the old reminders are cancelled and a new
    revision is scheduled, so the assignees hear about the change."""
    _cancel_reminders(session, deadline)
    deadline.due_on = due_on
    deadline.revision += 1
    deadline.opened_at = ctx.now
    session.flush()
    _schedule(session, ctx, deadline)
    return deadline


def close_deadline(session: Session, ctx: Context, deadline: Deadline, reason: str) -> None:
    deadline.status = "closed"
    deadline.close_reason = reason[:40]
    deadline.closed_at = ctx.now
    _cancel_reminders(session, deadline)


def _close_for(session: Session, ctx: Context, step: TransitionStep) -> list[Deadline]:
    agreement = step.agreement
    closing: list[Deadline] = []
    if step.from_state != step.to_state:
        closing += open_deadlines(session, agreement.id, STATE_KINDS.get(step.from_state, ()))
    elif step.trigger == "sign":
        signed = {signature.party_id for signature in agreement.live_signatures}
        closing += [
            deadline
            for deadline in open_deadlines(session, agreement.id, ("signature",))
            if deadline.party_id in signed
        ]
    for deadline in closing:
        close_deadline(session, ctx, deadline, step.trigger)
    return closing


def _open_for(session: Session, ctx: Context, step: TransitionStep) -> list[Deadline]:
    """The deadlines that entering ``step.to_state`` opens."""
    if step.from_state == step.to_state:
        return []
    agreement = step.agreement

    def open_(kind: str, due: date | None = None, **assignment: Any) -> Deadline:
        due = due or due_date(ctx.policies[kind], ctx.cal, ctx.today)
        return open_deadline(session, ctx, agreement.id, kind, due, **assignment)

    if step.to_state == "legal_review":
        return [open_("legal_review", assignee_role=Role.LEGAL_OFFICER.value)]
    if step.to_state == "changes_requested":
        return [open_("changes", assignee_id=agreement.owner_id)]
    if step.to_state == "signing":
        return [
            open_("signature", party_id=party.id, assignee_role=Role.SIGNATORY.value,
                  assignee_organization_id=party.organization_id)
            for party in agreement.signing_parties
        ]  # fmt: skip
    if step.to_state != "active":
        return []
    owner_and_legal = {"assignee_id": agreement.owner_id, "assignee_role": Role.LEGAL_OFFICER.value}
    opened = [open_("publication", assignee_role=Role.TRANSPARENCY_OFFICER.value)]
    if agreement.end_date is not None:
        opened.append(open_("expiry", agreement.end_date, **owner_and_legal))
    review = next_review(ctx, agreement, ctx.today)
    if review is not None:
        opened.append(open_("periodic_review", review, **owner_and_legal))
    return opened


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


def deadlines_follow_lifecycle(session: Session, step: TransitionStep) -> None:
    ctx = context(session)
    closed = _close_for(session, ctx, step)
    opened = _open_for(session, ctx, step)
    if closed or opened:
        audit_deadline_change(session, step.actor, step.agreement.id, opened, closed)


def audit_deadline_change(
    session: Session,
    actor: Actor,
    agreement_id: int,
    opened: list[Deadline],
    closed: list[Deadline],
    comment: str = "",
) -> None:
    append_event(
        session,
        actor,
        entity_type="agreement",
        entity_id=agreement_id,
        agreement_id=agreement_id,
        action="deadlines",
        changes={
            "opened": [_describe(d) for d in opened],
            "closed": [_describe(d) | {"reason": d.close_reason} for d in closed],
        },
        comment=comment,
    )
