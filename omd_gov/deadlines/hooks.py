"""Deadlines follow the agreement lifecycle.

:func:`register` (called by the app factory) subscribes
:func:`deadlines_follow_lifecycle` to every transition: it opens, moves and
closes deadline rows (and their reminder rows) inside the transition's unit
of work, so a transition, its audit event and its deadlines commit together
or not at all. It also adds the deadlines to an agreement's detail view.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from omd_gov.agreements import hooks
from omd_gov.agreements.hooks import TransitionStep
from omd_gov.agreements.lifecycle import State, Trigger
from omd_gov.auth.models import Role
from omd_gov.deadlines.models import Deadline
from omd_gov.deadlines.queries import agreement_deadlines
from omd_gov.deadlines.schedule import due_date
from omd_gov.deadlines.scheduling import (
    Context,
    close_deadline,
    context,
    next_review,
    open_deadline,
    open_deadlines,
    record_deadline_changes,
)

# The deadlines that belong to a state: leaving the state closes them.
STATE_KINDS: dict[State, tuple[str, ...]] = {
    State.LEGAL_REVIEW: ("legal_review",),
    State.CHANGES_REQUESTED: ("changes",),
    State.SIGNING: ("signature",),
    State.ACTIVE: ("publication", "expiry", "periodic_review"),
}


def register() -> None:
    hooks.after_transition(deadlines_follow_lifecycle)
    hooks.extend_detail("deadlines", agreement_deadlines)


def deadlines_follow_lifecycle(session: Session, step: TransitionStep) -> None:
    ctx = context(session)
    closed = _close_for(session, ctx, step)
    opened = _open_for(session, ctx, step)
    if closed or opened:
        record_deadline_changes(session, step.actor, step.agreement.id, opened, closed)


def _close_for(session: Session, ctx: Context, step: TransitionStep) -> list[Deadline]:
    agreement = step.agreement
    closing: list[Deadline] = []
    if step.from_state != step.to_state:
        closing += open_deadlines(session, agreement.id, STATE_KINDS.get(step.from_state, ()))
    elif step.trigger == Trigger.SIGN:
        signed = {signature.party_id for signature in agreement.live_signatures}
        closing += [
            deadline
            for deadline in open_deadlines(session, agreement.id, ("signature",))
            if deadline.party_id in signed
        ]
    for deadline in closing:
        close_deadline(session, ctx, deadline, str(step.trigger))
    return closing


def _open_for(session: Session, ctx: Context, step: TransitionStep) -> list[Deadline]:
    """The deadlines that entering ``step.to_state`` opens."""
    if step.from_state == step.to_state:
        return []
    agreement = step.agreement

    def open_(kind: str, due: date | None = None, **assignment: Any) -> Deadline:
        due = due or due_date(ctx.policies[kind], ctx.cal, ctx.today)
        return open_deadline(session, ctx, agreement.id, kind, due, **assignment)

    if step.to_state == State.LEGAL_REVIEW:
        return [open_("legal_review", assignee_role=Role.LEGAL_OFFICER.value)]
    if step.to_state == State.CHANGES_REQUESTED:
        return [open_("changes", assignee_id=agreement.owner_id)]
    if step.to_state == State.SIGNING:
        return [
            open_("signature", party_id=party.id, assignee_role=Role.SIGNATORY.value,
                  assignee_organization_id=party.organization_id)
            for party in agreement.signing_parties
        ]  # fmt: skip
    if step.to_state != State.ACTIVE:
        return []
    owner_and_legal = {"assignee_id": agreement.owner_id, "assignee_role": Role.LEGAL_OFFICER.value}
    opened = [open_("publication", assignee_role=Role.TRANSPARENCY_OFFICER.value)]
    if agreement.end_date is not None:
        opened.append(open_("expiry", agreement.end_date, **owner_and_legal))
    review = next_review(ctx, agreement, ctx.today)
    if review is not None:
        opened.append(open_("periodic_review", review, **owner_and_legal))
    return opened
