"""Who a deadline's reminders go to.

- Reminders and start notices go to whoever must act: the assigned user
  and/or every active user with the assigned role (within the assigned
  organisation, for a party's signatories; a role-wide deadline of no
  organisation only reaches office staff).
- Escalations go to the supervisors (``User.supervisor_id``) of those
  users: the head of legal is modelled as the legal officers' supervisor
  (and is told as supervisor even when also one of the assignees).
  When none of them has an active supervisor, the escalation goes to the
  active admins, so an overdue deadline never escalates into the void.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from omd_gov.auth.models import OFFICE_ROLES, Role, User
from omd_gov.deadlines.models import Deadline


def assignees(session: Session, deadline: Deadline) -> list[User]:
    found: dict[int, User] = {}
    if deadline.assignee_id is not None:
        user = session.get(User, deadline.assignee_id)
        if user is not None and user.active:
            found[user.id] = user
    if deadline.assignee_role:
        statement = select(User).where(User.role == deadline.assignee_role, User.active.is_(True))
        if deadline.assignee_organization_id is not None:
            statement = statement.where(User.organization_id == deadline.assignee_organization_id)
        else:  # a role-wide deadline of no organisation is the office's, never a partner's
            statement = statement.where(User.role.in_(sorted(r.value for r in OFFICE_ROLES)))
        for user in session.execute(statement.order_by(User.id)).scalars():
            found.setdefault(user.id, user)
    return list(found.values())


def escalation_targets(session: Session, deadline: Deadline) -> list[User]:
    base = assignees(session, deadline)
    supervisor_ids = {u.supervisor_id for u in base if u.supervisor_id}
    supervisors: list[User] = []
    if supervisor_ids:
        supervisors = list(
            session.execute(
                select(User)
                .where(User.id.in_(supervisor_ids), User.active.is_(True))
                .order_by(User.id)
            ).scalars()
        )
    if supervisors:
        return supervisors
    return list(
        session.execute(
            select(User).where(User.role == Role.ADMIN, User.active.is_(True)).order_by(User.id)
        ).scalars()
    )
