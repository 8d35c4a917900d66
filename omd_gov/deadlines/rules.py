"""What the office may do to a deadline by hand: who may be assigned one,
which changes are allowed, and which roles complete which kinds.

Checks called inside the units of work of ``services``; they raise the
API's errors and never write.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from omd_gov.agreements.models import Agreement
from omd_gov.agreements.queries import party_of
from omd_gov.auth.actors import Actor
from omd_gov.auth.models import Role, User
from omd_gov.deadlines.models import Deadline
from omd_gov.deadlines.scheduling import Context
from omd_gov.errors import Conflict, Forbidden, NotFound, Unprocessable

# Deadlines closed by a person rather than by a lifecycle transition, and the
# roles whose job that is (admins may act in any office role).
COMPLETED_BY = {
    "publication": (Role.TRANSPARENCY_OFFICER,),
    "periodic_review": (Role.LEGAL_OFFICER, Role.DATA_OFFICER),
}


def load_open(session: Session, deadline_id: int) -> Deadline:
    """The open deadline, locked for the change."""
    deadline = session.get(Deadline, deadline_id, with_for_update=True)
    if deadline is None:
        raise NotFound(f"deadline {deadline_id} not found")
    if not deadline.is_open:
        raise Conflict(f"deadline {deadline_id} is closed ({deadline.close_reason})")
    return deadline


def may_be_assigned(session: Session, deadline: Deadline, user: User | None) -> bool:
    """Office staff, or a signatory of one of the agreement's parties: anyone
    else would be told about (and could read) an agreement that is not theirs."""
    if user is None or not user.active:
        return False
    if user.is_office:
        return True
    return user.role == Role.SIGNATORY and (
        session.execute(
            select(Agreement.id).where(
                Agreement.id == deadline.agreement_id,
                party_of(user.organization_id, Agreement.id),
            )
        ).first()
        is not None
    )


def check_change(
    session: Session,
    ctx: Context,
    deadline: Deadline,
    due_on: date | None,
    assignee_id: int | None,
    assignee: User | None,
) -> None:
    errors = []
    if due_on is not None and due_on < ctx.today:
        errors.append({"field": "due_on", "message": "must be today or later"})
    if due_on is not None and deadline.kind == "expiry":
        # Its expire step fires on the agreement's end date: amend that instead.
        errors.append({"field": "due_on", "message": "an expiry follows the end date"})
    if assignee_id is not None and not may_be_assigned(session, deadline, assignee):
        message = "must be an active office user or a signatory of one of the agreement's parties"
        errors.append({"field": "assignee_id", "message": message})
    if errors:
        raise Unprocessable("the deadline cannot be changed so", errors)


def check_completable(deadline: Deadline, actor: Actor) -> None:
    if deadline.kind not in COMPLETED_BY:
        raise Conflict(
            f"a {deadline.kind} deadline closes with the agreement's lifecycle, not by hand",
            completable_kinds=list(COMPLETED_BY),
        )
    roles = {role.value for role in COMPLETED_BY[deadline.kind]} | {Role.ADMIN.value}
    if actor.role not in roles:
        raise Forbidden(
            f"a {deadline.kind} deadline is completed by: {', '.join(sorted(roles))}",
            required_roles=sorted(roles),
        )
