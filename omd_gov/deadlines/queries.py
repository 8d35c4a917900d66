"""Read-side queries for deadlines, with visibility built in: office staff see
every deadline; a partner's signatory only the deadlines assigned to them,
on agreements of their own organisation. Also the reads of the policy and
the business calendar that the API shows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    false,
    or_,
    select,
)
from sqlalchemy.orm import Session

from omd_gov.agreements.models import Agreement
from omd_gov.agreements.queries import party_of
from omd_gov.auth.models import User
from omd_gov.db import Keyset, Page, PageRequest
from omd_gov.deadlines.calendar import office_calendar, office_today
from omd_gov.deadlines.models import Deadline, MunicipalHoliday
from omd_gov.deadlines.policy import load_policies
from omd_gov.deadlines.schemas import DeadlineOut
from omd_gov.errors import NotFound


def assigned_to(user: User) -> ColumnElement[bool]:
    """Deadlines this user must act on: by name, or by role within their
    organisation."""
    return or_(Deadline.assignee_id == user.id, in_role_queue(user))


def in_role_queue(user: User) -> ColumnElement[bool]:
    """Deadlines assigned to the user's role within their organisation (their
    team's). A role-wide deadline of no organisation is the office's: it never
    matches a partner's user, whatever their role."""
    organizations = []
    if user.organization_id is not None:
        organizations.append(Deadline.assignee_organization_id == user.organization_id)
    if user.is_office:
        organizations.append(Deadline.assignee_organization_id.is_(None))
    return and_(Deadline.assignee_role == user.role, or_(false(), *organizations))


def assignment_of(user: User, assignment: str) -> ColumnElement[bool]:
    """Deadlines assigned to the user in this way (one of ``ASSIGNMENTS``)."""
    if assignment == "named":
        return Deadline.assignee_id == user.id
    if assignment == "queue":
        return and_(Deadline.assignee_id.is_(None), in_role_queue(user))
    return assigned_to(user)


def readable_by(user: User) -> ColumnElement[bool]:
    """What a partner's user may read: deadlines assigned to them, on
    agreements they can see (a party removed later hides them again)."""
    return and_(assigned_to(user), party_of(user.organization_id, Deadline.agreement_id))


SelectT = TypeVar("SelectT", bound=Select)


def visible(statement: SelectT, user: User) -> SelectT:
    return statement if user.is_office else statement.where(readable_by(user))


def _with_reference() -> Select[Deadline, str]:
    return select(Deadline, Agreement.reference).join(
        Agreement, Agreement.id == Deadline.agreement_id
    )


def assignee_named(session: Session, me: User, value: str | None) -> User | None:
    """``?assignee=``: anyone for office staff; partners may only ask for
    themselves (any other id is "not found", whether or not it exists)."""
    if value is None:
        return None
    if value in ("me", str(me.id)):
        return me
    user = session.get(User, int(value)) if me.is_office else None
    if user is None:
        raise NotFound(f"user {value} not found")
    return user


@dataclass(frozen=True)
class DeadlineFilter:
    today: date
    assignee: User | None = None
    due_before: date | None = None
    overdue: bool | None = None
    status: str = "open"  # open | closed | all
    kind: str | None = None
    agreement_id: int | None = None
    assignment: str = "any"  # with ``assignee``: one of schemas.ASSIGNMENTS


def row_of(deadline: Deadline, reference: str, today: date) -> dict[str, Any]:
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


# Soonest first; open ones are served by the partial index on due_on.
SOONEST_FIRST: Keyset[Row[Deadline, str]] = Keyset(
    "deadlines", (Deadline.due_on, Deadline.id), key=lambda row: (row[0].due_on, row[0].id)
)


def filtered(user: User, flt: DeadlineFilter) -> Select[Deadline, str]:
    """The deadlines this filter lets through, that the user may see, with
    their agreement's reference."""
    statement = visible(_with_reference(), user)
    if flt.status != "all":
        statement = statement.where(Deadline.status == flt.status)
    if flt.assignee is not None:
        statement = statement.where(assignment_of(flt.assignee, flt.assignment))
    if flt.due_before is not None:
        statement = statement.where(Deadline.due_on < flt.due_before)
    if flt.overdue is not None:
        statement = statement.where(late(flt.today) if flt.overdue else ~late(flt.today))
    if flt.kind:
        statement = statement.where(Deadline.kind == flt.kind)
    if flt.agreement_id:
        statement = statement.where(Deadline.agreement_id == flt.agreement_id)
    return statement


def list_deadlines(
    session: Session, user: User, flt: DeadlineFilter, page: PageRequest
) -> Page[dict[str, Any]]:
    """One page of deadlines, soonest first, and where the next one starts."""
    statement = page.apply(filtered(user, flt), SOONEST_FIRST)
    rows = page.split(session.execute(statement).all(), SOONEST_FIRST)
    return Page([row_of(d, ref, flt.today) for d, ref in rows.items], rows.next_cursor)


def late(today: date) -> ColumnElement[bool]:
    """The one rule for "overdue": open and past its due date."""
    return and_(Deadline.status == "open", Deadline.due_on < today)


def agreement_overdue(user: User, today: date) -> ColumnElement[bool]:
    """SQL: the ``Agreement`` the statement selects has an open deadline past
    due that this user may read (a condition for ``AgreementFilter``: a
    partner learns nothing from deadlines hidden from them)."""
    overdue = select(Deadline.id).where(Deadline.agreement_id == Agreement.id, late(today))
    return visible(overdue, user).exists()


def get_deadline(session: Session, user: User, deadline_id: int, today: date) -> dict[str, Any]:
    found = session.execute(
        visible(_with_reference().where(Deadline.id == deadline_id), user)
    ).first()
    if found is None:
        raise NotFound(f"deadline {deadline_id} not found")
    deadline, reference = found[0], found[1]
    row = row_of(deadline, reference, today)
    row["reminders"] = [
        {"kind": r.kind, "step": r.step, "scheduled_for": r.scheduled_for, "status": r.status}
        for r in deadline.reminders
    ]
    return row


def of_agreement(session: Session, user: User, agreement: Agreement, today: date) -> list[Any]:
    """The deadlines shown with an agreement (open first, then the closed ones)."""
    statement = visible(_with_reference().where(Deadline.agreement_id == agreement.id), user)
    return _shown(session.execute(statement.order_by(Deadline.id)).all(), today)


def _shown(rows: Iterable[tuple[Deadline, str]], today: date) -> list[dict[str, Any]]:
    out = [row_of(deadline, reference, today) for deadline, reference in rows]
    return sorted(out, key=lambda row: (row["status"] != "open", row["due_on"], row["id"]))


def agreement_deadlines(
    session: Session, user: User, agreement: Agreement, known: list[Deadline] | None = None
) -> list[Any]:
    """The agreement's deadlines, serialised for ``GET /agreements/{id}``.
    ``known``: all of them, as the transition just committed left them; office
    staff see every one, so they need no read."""
    today = office_today(current_app.config)
    if known is not None and user.is_office:
        shown = _shown(((deadline, agreement.reference) for deadline in known), today)
    else:
        shown = of_agreement(session, user, agreement, today)
    return list(DeadlineOut(many=True).dump(shown))


def list_policies(session: Session) -> list[dict[str, Any]]:
    """The effective policy of every kind."""
    return [policy.as_dict() for policy in load_policies(session).values()]


def holidays_of_year(session: Session, config: Mapping[str, Any], year: int) -> dict[str, Any]:
    """Official (national/regional) and municipal non-business days of a year."""
    cal = office_calendar(session, config)
    items: list[dict[str, Any]] = [
        {"id": None, "date": day, "name": name, "kind": "holiday", "source": "official"}
        for day, name in cal.official_holidays(year).items()
    ]
    rows = session.execute(
        select(MunicipalHoliday).where(
            MunicipalHoliday.day >= date(year, 1, 1), MunicipalHoliday.day <= date(year, 12, 31)
        )
    ).scalars()
    items += [
        {"id": row.id, "date": row.day, "name": row.name, "kind": row.kind, "source": "municipal"}
        for row in rows
    ]
    items.sort(key=lambda item: (item["date"], item["source"]))
    return {"country": cal.country, "subdiv": cal.subdiv, "year": year, "items": items}


def business_days(
    session: Session, config: Mapping[str, Any], start: date, n: int
) -> dict[str, Any]:
    """The day ``n`` business days after (negative: before) ``start``, and
    the named days skipped on the way."""
    cal = office_calendar(session, config)
    result = cal.add(start, n)
    return {
        "start": start,
        "n": n,
        "date": result,
        "country": cal.country,
        "subdiv": cal.subdiv,
        "skipped": [{"date": day, "name": name} for day, name in cal.skipped(start, result)],
    }


def in_queue_of(session: Session, deadline_id: int, user: User) -> bool:
    """Whether the deadline is assigned to the user's team (claimed or not)."""
    found = session.execute(
        select(Deadline.id).where(Deadline.id == deadline_id, in_role_queue(user))
    ).first()
    return found is not None
