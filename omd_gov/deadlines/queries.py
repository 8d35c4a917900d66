"""Read-side queries for deadlines, with visibility built in: office staff see
every deadline; a partner's signatory only the deadlines assigned to them,
on agreements of their own organisation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select
from sqlalchemy.orm import Session

from omd_gov.agreements.models import Agreement, Party
from omd_gov.auth.models import User
from omd_gov.deadlines.calendar import office_today
from omd_gov.deadlines.models import Deadline
from omd_gov.deadlines.schemas import DeadlineOut
from omd_gov.errors import NotFound


def assigned_to(user: User) -> ColumnElement[bool]:
    """Deadlines this user must act on: by name, or by role within their
    organisation. A role-wide deadline of no organisation is the office's:
    it never matches a partner's user, whatever their role."""
    organizations = []
    if user.organization_id is not None:
        organizations.append(Deadline.assignee_organization_id == user.organization_id)
    if user.is_office:
        organizations.append(Deadline.assignee_organization_id.is_(None))
    return or_(
        Deadline.assignee_id == user.id,
        and_(Deadline.assignee_role == user.role, or_(false(), *organizations)),
    )


def of_visible_agreement(user: User) -> ColumnElement[bool]:
    """The deadline's agreement is visible to this partner: their organisation
    is one of its parties (as in ``omd_gov.agreements.queries.visible``)."""
    return exists().where(
        Party.agreement_id == Deadline.agreement_id, Party.organization_id == user.organization_id
    )


def readable_by(user: User) -> ColumnElement[bool]:
    """What a partner's user may read: deadlines assigned to them, on
    agreements they can see (a party removed later hides them again)."""
    return and_(assigned_to(user), of_visible_agreement(user))


SelectT = TypeVar("SelectT", bound=Select)


def visible(statement: SelectT, user: User) -> SelectT:
    return statement if user.is_office else statement.where(readable_by(user))


@dataclass(frozen=True)
class DeadlineFilter:
    today: date
    assignee: User | None = None
    due_before: date | None = None
    overdue: bool | None = None
    status: str = "open"  # open | closed | all
    kind: str | None = None
    agreement_id: int | None = None
    page: int = 1
    per_page: int = 50


def _row(deadline: Deadline, reference: str, today: date) -> dict[str, Any]:
    return {
        "id": deadline.id,
        "agreement_id": deadline.agreement_id,
        "agreement_reference": reference,
        "kind": deadline.kind,
        "party_id": deadline.party_id,
        "assignee_id": deadline.assignee_id,
        "assignee_role": deadline.assignee_role,
        "assignee_organization_id": deadline.assignee_organization_id,
        "starts_on": deadline.starts_on,
        "due_on": deadline.due_on,
        "status": deadline.status,
        "close_reason": deadline.close_reason,
        "closed_at": deadline.closed_at,
        "revision": deadline.revision,
        "overdue": deadline.is_open and deadline.due_on < today,
    }


def list_deadlines(
    session: Session, user: User, flt: DeadlineFilter
) -> tuple[list[dict[str, Any]], bool]:
    statement = visible(
        select(Deadline, Agreement.reference).join(
            Agreement, Agreement.id == Deadline.agreement_id
        ),
        user,
    )
    if flt.status != "all":
        statement = statement.where(Deadline.status == flt.status)
    if flt.assignee is not None:
        statement = statement.where(assigned_to(flt.assignee))
    if flt.due_before is not None:
        statement = statement.where(Deadline.due_on < flt.due_before)
    if flt.overdue is not None:
        late = and_(Deadline.status == "open", Deadline.due_on < flt.today)
        statement = statement.where(late if flt.overdue else ~late)
    if flt.kind:
        statement = statement.where(Deadline.kind == flt.kind)
    if flt.agreement_id:
        statement = statement.where(Deadline.agreement_id == flt.agreement_id)
    statement = (
        statement.order_by(Deadline.due_on, Deadline.id)
        .offset((flt.page - 1) * flt.per_page)
        .limit(flt.per_page + 1)
    )
    rows = [_row(d, ref, flt.today) for d, ref in session.execute(statement).all()]
    return rows[: flt.per_page], len(rows) > flt.per_page


def get_deadline(session: Session, user: User, deadline_id: int, today: date) -> dict[str, Any]:
    found = session.execute(
        visible(
            select(Deadline, Agreement.reference)
            .join(Agreement, Agreement.id == Deadline.agreement_id)
            .where(Deadline.id == deadline_id),
            user,
        )
    ).first()
    if found is None:
        raise NotFound(f"deadline {deadline_id} not found")
    deadline, reference = found[0], found[1]
    row = _row(deadline, reference, today)
    row["reminders"] = [
        {"kind": r.kind, "step": r.step, "scheduled_for": r.scheduled_for, "status": r.status}
        for r in deadline.reminders
    ]
    return row


def of_agreement(session: Session, user: User, agreement: Agreement, today: date) -> list[Any]:
    """The deadlines shown with an agreement (open first, then the closed ones)."""
    statement = visible(select(Deadline).where(Deadline.agreement_id == agreement.id), user)
    rows = session.execute(statement.order_by(Deadline.id)).scalars().all()
    out = [_row(d, agreement.reference, today) for d in rows]
    return sorted(out, key=lambda row: (row["status"] != "open", row["due_on"], row["id"]))


def agreement_deadlines(session: Session, user: User, agreement: Agreement) -> list[Any]:
    """The agreement's deadlines, serialised for ``GET /agreements/{id}``."""
    today = office_today(current_app.config)
    return list(DeadlineOut(many=True).dump(of_agreement(session, user, agreement, today)))
