"""Office actions on single deadlines: move, reassign, mark completed.

Each command is one unit of work (it opens the transaction itself).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from omd_gov.agreements.models import Party
from omd_gov.audit.chain import append_event
from omd_gov.auth.actors import Actor
from omd_gov.auth.models import Role, User
from omd_gov.db import transaction
from omd_gov.deadlines.models import Deadline
from omd_gov.deadlines.services import Context, close_deadline, context, move_deadline
from omd_gov.errors import Conflict, Forbidden, NotFound, Unprocessable

# Deadlines closed by a person rather than by a lifecycle transition, and the
# roles whose job that is (admins may act in any office role).
COMPLETED_BY = {
    "publication": (Role.TRANSPARENCY_OFFICER,),
    "periodic_review": (Role.LEGAL_OFFICER, Role.DATA_OFFICER),
}


def _load_open(session: Session, deadline_id: int) -> Deadline:
    deadline = session.get(Deadline, deadline_id, with_for_update=True)
    if deadline is None:
        raise NotFound(f"deadline {deadline_id} not found")
    if not deadline.is_open:
        raise Conflict(f"deadline {deadline_id} is closed ({deadline.close_reason})")
    return deadline


def _may_be_assigned(session: Session, deadline: Deadline, user: User | None) -> bool:
    """Office staff, or a signatory of one of the agreement's parties: anyone
    else would be told about (and could read) an agreement that is not theirs."""
    if user is None or not user.active:
        return False
    if user.is_office:
        return True
    return user.role == Role.SIGNATORY and bool(
        session.execute(
            select(
                exists().where(
                    Party.agreement_id == deadline.agreement_id,
                    Party.organization_id == user.organization_id,
                )
            )
        ).scalar()
    )


def _check_change(
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
    if assignee_id is not None and not _may_be_assigned(session, deadline, assignee):
        message = "must be an active office user or a signatory of one of the agreement's parties"
        errors.append({"field": "assignee_id", "message": message})
    if errors:
        raise Unprocessable("the deadline cannot be changed so", errors)


def change(
    session: Session,
    actor: Actor,
    deadline_id: int,
    *,
    due_on: date | None = None,
    assignee_id: int | None = None,
    comment: str = "",
) -> Deadline:
    """Move the due date and/or assign one user; the (new) assignees are
    told, and the reminders follow the new revision."""
    with transaction(session):
        ctx = context(session)
        deadline = _load_open(session, deadline_id)
        assignee = session.get(User, assignee_id) if assignee_id is not None else None
        _check_change(session, ctx, deadline, due_on, assignee_id, assignee)
        changes: dict[str, object] = {}
        if assignee is not None:
            changes["assignee_id"] = {"from": deadline.assignee_id, "to": assignee.id}
            deadline.assignee_id, deadline.assignee_role = assignee.id, None
            deadline.assignee_organization_id = None
        if due_on is not None:
            changes["due_on"] = {"from": deadline.due_on.isoformat(), "to": due_on.isoformat()}
        move_deadline(session, ctx, deadline, due_on or deadline.due_on)
        _audit(
            session,
            actor,
            deadline,
            "change_deadline",
            changes | {"revision": deadline.revision},
            comment,
        )
    return deadline


def complete(session: Session, actor: Actor, deadline_id: int, comment: str = "") -> Deadline:
    """Mark a publication or periodic-review deadline done, by a role that owns it."""
    with transaction(session):
        ctx = context(session)
        deadline = _load_open(session, deadline_id)
        _check_completable(deadline, actor)
        close_deadline(session, ctx, deadline, "completed")
        _audit(
            session,
            actor,
            deadline,
            "complete_deadline",
            {"status": {"from": "open", "to": "closed"}},
            comment,
        )
    return deadline


def _audit(
    session: Session,
    actor: Actor,
    deadline: Deadline,
    action: str,
    changes: dict[str, object],
    comment: str,
) -> None:
    append_event(
        session,
        actor,
        entity_type="deadline",
        entity_id=deadline.id,
        agreement_id=deadline.agreement_id,
        action=action,
        changes=changes,
        comment=comment,
    )


def _check_completable(deadline: Deadline, actor: Actor) -> None:
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
