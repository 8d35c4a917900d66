"""The deadlines' use cases: each one is a unit of work (it opens the
transaction, and commits it with its audit event, or nothing).

- the office moves, reassigns or completes a deadline;
- a team member claims a deadline from the team's queue (for themselves or a teammate);
- admins edit the municipal calendar and the policy;
- a user issues or revokes their calendar-feed token;
- the worker claims a due reminder and acts on it.

The steps they call (``scheduling``, ``rules``, ``reminders``, ``policy``)
never commit. Deadlines that follow a transition join the transition's own
unit of work instead (``hooks``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from omd_gov.audit.chain import Subject, record
from omd_gov.auth.actors import Actor
from omd_gov.auth.models import Role, User
from omd_gov.auth.tokens import hash_token
from omd_gov.db import transaction
from omd_gov.deadlines import queries, reminders, rules
from omd_gov.deadlines.ics import new_feed_token
from omd_gov.deadlines.models import (
    DEADLINE_KINDS,
    CalendarFeedToken,
    Deadline,
    MunicipalHoliday,
)
from omd_gov.deadlines.policy import Policy, policy_changes, store_policy
from omd_gov.deadlines.scheduling import close_deadline, context, move_deadline
from omd_gov.errors import Conflict, Forbidden, NotFound, Unprocessable


def change_deadline(
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
        deadline = rules.load_open(session, deadline_id)
        assignee = session.get(User, assignee_id) if assignee_id is not None else None
        rules.check_change(session, ctx, deadline, due_on, assignee_id, assignee)
        changes: dict[str, object] = {}
        if assignee is not None:
            changes["assignee_id"] = {"from": deadline.assignee_id, "to": assignee.id}
            deadline.assignee_id, deadline.assignee_role = assignee.id, None
            deadline.assignee_organization_id = None
        if due_on is not None:
            changes["due_on"] = {"from": deadline.due_on.isoformat(), "to": due_on.isoformat()}
        move_deadline(session, ctx, deadline, due_on or deadline.due_on)
        changes["revision"] = deadline.revision
        record(session, actor, deadline, "change_deadline", changes=changes, comment=comment)
    return deadline


def claim_deadline(
    session: Session, actor: Actor, deadline_id: int, *, for_user_id: int | None = None
) -> Deadline:
    """Take an unclaimed deadline from its team's queue (its role's), for
    oneself or for a teammate: it becomes theirs by name, and the reminders
    from now on go to them alone. Claiming what is already one's own is a no-op."""
    me = actor.require_user()
    with transaction(session):
        deadline = rules.load_open(session, deadline_id)
        _check_claim(session, deadline, me)
        if deadline.assignee_id == (for_user_id or me.id):
            return deadline
        if deadline.assignee_id is not None:
            holder = session.get(User, deadline.assignee_id)
            name = holder.name if holder is not None else f"user {deadline.assignee_id}"
            raise Conflict(f"this deadline is already assigned to {name}")
        taker = _teammate(session, deadline, me, for_user_id)
        changes: dict[str, object] = {
            "assignee_id": {"from": None, "to": taker.id},
            "assignee_role": {"from": deadline.assignee_role, "to": None},
        }
        deadline.assignee_id, deadline.assignee_role = taker.id, None
        deadline.assignee_organization_id = None
        record(session, actor, deadline, "claim_deadline", changes=changes)
    return deadline


def _teammate(session: Session, deadline: Deadline, me: User, user_id: int | None) -> User:
    """Who takes the deadline: the claimer, or an active member of the team."""
    if user_id in (None, me.id):
        return me
    taker = session.get(User, user_id)
    if taker is None or not taker.active or not queries.in_queue_of(session, deadline.id, taker):
        message = f"must be an active user of the team ({deadline.assignee_role})"
        errors = [{"field": "assignee_id", "message": message}]
        raise Unprocessable("the deadline cannot be assigned so", errors)
    return taker


def _check_claim(session: Session, deadline: Deadline, me: User) -> None:
    """Only the deadline's team claims from its queue (admins: any office
    queue). Outside the office, a deadline that is not the user's own or
    their team's is "not found" (they may not know that it exists)."""
    mine = deadline.assignee_id == me.id
    if not me.is_office and not mine and not queries.in_queue_of(session, deadline.id, me):
        raise NotFound(f"deadline {deadline.id} not found")
    if mine or deadline.assignee_id is not None:
        return  # already someone's: a no-op or a conflict, said by the caller
    if me.role == Role.ADMIN and deadline.assignee_organization_id is None:
        return
    if not queries.in_queue_of(session, deadline.id, me):
        team = deadline.assignee_role or "its assignee"
        raise Forbidden(f"only the deadline's team ({team}) may claim it", required_roles=[team])


def complete_deadline(
    session: Session, actor: Actor, deadline_id: int, comment: str = ""
) -> Deadline:
    """Mark a publication or periodic-review deadline done, by a role that owns it."""
    with transaction(session):
        ctx = context(session)
        deadline = rules.load_open(session, deadline_id)
        rules.check_completable(deadline, actor)
        close_deadline(session, ctx, deadline, "completed")
        changes = {"status": {"from": "open", "to": "closed"}}
        record(session, actor, deadline, "complete_deadline", changes=changes, comment=comment)
    return deadline


def add_holiday(
    session: Session, actor: Actor, day: date, name: str, kind: str
) -> MunicipalHoliday:
    """Existing deadlines keep their due dates (they were announced); the new
    day counts for deadlines opened or moved from now on."""
    with transaction(session):
        if session.execute(select(MunicipalHoliday.id).where(MunicipalHoliday.day == day)).first():
            raise Conflict(f"{day.isoformat()} is already a municipal holiday or closure")
        row = MunicipalHoliday(day=day, name=name, kind=kind, created_by_id=actor.user_id)
        session.add(row)
        session.flush()
        changes = {
            "date": {"from": None, "to": day.isoformat()},
            "name": {"from": None, "to": name},
            "kind": {"from": None, "to": kind},
        }
        record(session, actor, row, "create", changes=changes)
    return row


def delete_holiday(session: Session, actor: Actor, holiday_id: int) -> None:
    with transaction(session):
        row = session.get(MunicipalHoliday, holiday_id, with_for_update=True)
        if row is None:
            raise NotFound(f"municipal holiday {holiday_id} not found")
        changes = {
            "date": {"from": row.day.isoformat(), "to": None},
            "name": {"from": row.name, "to": None},
        }
        record(session, actor, row, "delete", changes=changes)
        session.delete(row)


def update_policy(session: Session, actor: Actor, kind: str, changes: dict[str, Any]) -> Policy:
    """Store an admin's change of one kind's policy, audited. It applies to
    deadlines opened from now on; open deadlines keep their schedule."""
    with transaction(session):
        before, after = store_policy(session, kind, changes, actor.user_id)
        # A policy is no row of its own: it is named by its kind's position.
        subject = Subject("deadline_policy", DEADLINE_KINDS.index(kind) + 1)
        record(session, actor, subject, "update_policy", changes=policy_changes(before, after))
    return after


def issue_calendar_token(session: Session, actor: Actor) -> str:
    """A new feed secret for the acting user (replacing any previous one)."""
    user = actor.require_user()
    token = new_feed_token()
    with transaction(session):
        row = session.get(CalendarFeedToken, user.id, with_for_update=True)
        if row is None:
            row = CalendarFeedToken(user_id=user.id)
            session.add(row)
        row.token_hash = hash_token(token)
        record(session, actor, user, "issue_calendar_token")
    return token


def revoke_calendar_token(session: Session, actor: Actor) -> bool:
    user = actor.require_user()
    with transaction(session):
        result = session.execute(
            delete(CalendarFeedToken).where(CalendarFeedToken.user_id == user.id)
        )
        revoked = bool(result.rowcount)  # type: ignore[attr-defined]
        if revoked:
            record(session, actor, user, "revoke_calendar_token")
    return revoked


def send_reminder(session: Session, reminder_id: int) -> str:
    """Claim one due reminder and act on it (notify, or fire the expiry),
    exactly once; returns what happened (for logs and tests)."""
    ctx = context(session)
    with transaction(session):
        claimed = reminders.claim(session, ctx, reminder_id)
        if isinstance(claimed, str):
            return claimed  # not owed, not yet due, or refused (and marked so)
        return reminders.act(session, ctx, *claimed)
