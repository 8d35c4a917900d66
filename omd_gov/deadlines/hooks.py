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

from sqlalchemy import event
from sqlalchemy.orm import Session

from omd_gov.agreements import hooks
from omd_gov.agreements.hooks import TransitionStep
from omd_gov.agreements.lifecycle import State, Trigger
from omd_gov.agreements.models import Agreement
from omd_gov.auth.models import Role, User
from omd_gov.deadlines.models import Deadline
from omd_gov.deadlines.queries import agreement_deadlines
from omd_gov.deadlines.schedule import due_date
from omd_gov.deadlines.scheduling import (
    Context,
    close_deadline,
    context,
    next_review,
    of_agreement,
    open_deadline,
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
    hooks.extend_detail("deadlines", _detail)


def deadlines_follow_lifecycle(session: Session, step: TransitionStep) -> None:
    # No autoflush: the transition's audit head and rows are written once, at commit.
    with session.no_autoflush:
        ctx = context(session)
        known = of_agreement(session, ctx, step.agreement.id)
        closed = _close_for(session, ctx, step, known)
        opened = _open_for(session, ctx, step, known)
        if closed or opened:
            record_deadline_changes(session, step.actor, step.agreement.id, opened, closed)
    kept = session.info.setdefault(_KEPT, {})
    kept[step.agreement.id] = known + [d for d in opened if d not in known]


# The agreement's deadlines as its transition left them, for the answer built
# right after the commit; forgotten when the session begins its next
# transaction or rolls back.
_KEPT = "omd_deadlines_after_transition"


@event.listens_for(Session, "after_begin")
@event.listens_for(Session, "after_rollback")
def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(_KEPT, None)


def _detail(session: Session, user: User, agreement: Agreement) -> list[Any]:
    known = session.info.get(_KEPT, {}).get(agreement.id)
    return agreement_deadlines(session, user, agreement, known)


def _close_for(
    session: Session, ctx: Context, step: TransitionStep, known: list[Deadline]
) -> list[Deadline]:
    agreement = step.agreement
    kinds: tuple[str, ...] = ()
    if step.from_state != step.to_state:
        kinds = STATE_KINDS.get(step.from_state, ())
    elif step.trigger == Trigger.SIGN:
        kinds = ("signature",)
    closing = [deadline for deadline in known if deadline.is_open and deadline.kind in kinds]
    if step.from_state == step.to_state:  # a signature closes its own party's deadline only
        signed = {signature.party_id for signature in agreement.live_signatures}
        closing = [deadline for deadline in closing if deadline.party_id in signed]
    for deadline in closing:
        close_deadline(session, ctx, deadline, str(step.trigger))
    return closing


def _open_for(
    session: Session, ctx: Context, step: TransitionStep, known: list[Deadline]
) -> list[Deadline]:
    """The deadlines that entering ``step.to_state`` opens."""
    if step.from_state == step.to_state:
        return []
    agreement = step.agreement

    def open_(kind: str, due: date | None = None, **assignment: Any) -> Deadline:
        due = due or due_date(ctx.policies[kind], ctx.cal, ctx.today)
        return open_deadline(session, ctx, agreement.id, kind, due, known=known, **assignment)

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
