"""Office actions on single deadlines: move, reassign, mark completed."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from omd_gov.audit.chain import Actor, append_event
from omd_gov.auth.models import User
from omd_gov.deadlines.models import Deadline
from omd_gov.deadlines.services import Context, close_deadline, move_deadline
from omd_gov.errors import Conflict, NotFound, Unprocessable

# Deadlines closed by a person rather than by a lifecycle transition.
COMPLETABLE = ("publication", "periodic_review")


def _load_open(session: Session, deadline_id: int) -> Deadline:
    deadline = session.get(Deadline, deadline_id, with_for_update=True)
    if deadline is None:
        raise NotFound(f"deadline {deadline_id} not found")
    if not deadline.is_open:
        raise Conflict(f"deadline {deadline_id} is closed ({deadline.close_reason})")
    return deadline


def change(
    session: Session,
    ctx: Context,
    actor: Actor,
    deadline_id: int,
    *,
    due_on: date | None = None,
    assignee_id: int | None = None,
    comment: str = "",
) -> Deadline:
    """Move the due date and/or assign one user; the (new) assignees are
    told, and the reminders follow the new revision."""
    deadline = _load_open(session, deadline_id)
    errors = []
    if due_on is not None and due_on < ctx.today:
        errors.append({"field": "due_on", "message": "must be today or later"})
    assignee = session.get(User, assignee_id) if assignee_id is not None else None
    if assignee_id is not None and (assignee is None or not assignee.active):
        errors.append({"field": "assignee_id", "message": "no such active user"})
    if errors:
        raise Unprocessable("the deadline cannot be changed so", errors)
    changes: dict[str, object] = {}
    if assignee is not None:
        changes["assignee_id"] = {"from": deadline.assignee_id, "to": assignee.id}
        deadline.assignee_id, deadline.assignee_role = assignee.id, None
        deadline.assignee_organization_id = None
    if due_on is not None:
        changes["due_on"] = {"from": deadline.due_on.isoformat(), "to": due_on.isoformat()}
    move_deadline(session, ctx, deadline, due_on or deadline.due_on)
    append_event(
        session,
        actor,
        entity_type="deadline",
        entity_id=deadline.id,
        agreement_id=deadline.agreement_id,
        action="change_deadline",
        changes=changes | {"revision": deadline.revision},
        comment=comment,
    )
    return deadline


def complete(
    session: Session, ctx: Context, actor: Actor, deadline_id: int, comment: str = ""
) -> Deadline:
    deadline = _load_open(session, deadline_id)
    if deadline.kind not in COMPLETABLE:
        raise Conflict(
            f"a {deadline.kind} deadline closes with the agreement's lifecycle, not by hand",
            completable_kinds=list(COMPLETABLE),
        )
    close_deadline(session, ctx, deadline, "completed")
    append_event(
        session,
        actor,
        entity_type="deadline",
        entity_id=deadline.id,
        agreement_id=deadline.agreement_id,
        action="complete_deadline",
        changes={"status": {"from": "open", "to": "closed"}},
        comment=comment,
    )
    return deadline
