"""What a user's work lists read (the dashboard's): the first rows of several
deadline lists in one statement, the business days left on each, and the
colleagues a deadline can be given to. Visibility comes from ``queries``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import String, column, literal, select, union_all
from sqlalchemy.orm import Session

from omd_gov.auth.models import User
from omd_gov.deadlines.calendar import BusinessCalendar, office_calendar
from omd_gov.deadlines.models import Deadline
from omd_gov.deadlines.queries import DeadlineFilter, filtered, row_of


def first_of_each(
    session: Session, user: User, lists: Mapping[str, DeadlineFilter], limit: int
) -> dict[str, list[dict[str, Any]]]:
    """The soonest ``limit`` deadlines of several lists in one statement (the
    dashboard's): each list is its own ordered, limited subquery, so each
    reads its own index; ``UNION ALL`` keeps a deadline that is in two."""
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in lists}
    for deadline, reference, name in session.execute(_union_of(user, lists, limit)):
        out[name].append(row_of(deadline, reference, lists[name].today))
    for found in out.values():
        found.sort(key=lambda row: (row["due_on"], row["id"]))
    return out


def _union_of(user: User, lists: Mapping[str, DeadlineFilter], limit: int) -> Any:
    """The statement, built once per user and lists: building it and its
    cache key cost more than running it, and SQLAlchemy keeps the key on the
    statement object. The key holds everything the statement is built from
    (who the user and each assignee are, and in which role and organisation)."""
    key = (_who(user), limit, *((name, _who(f.assignee), replace(f, assignee=None))
                                for name, f in lists.items()))  # fmt: skip
    found = _BUILT.get(key)
    if found is None:
        if len(_BUILT) >= _BUILT_MAX:
            _BUILT.clear()
        found = _BUILT[key] = _build_union(user, lists, limit)
    return found


def _who(user: User | None) -> tuple[Any, ...] | None:
    return None if user is None else (user.id, user.role, user.organization_id)


def _build_union(user: User, lists: Mapping[str, DeadlineFilter], limit: int) -> Any:
    parts = []
    for name, flt in lists.items():
        tagged = filtered(user, flt).add_columns(literal(name, String).label("list"))
        first = tagged.order_by(Deadline.due_on, Deadline.id).limit(limit).subquery()
        parts.append(select(first))  # SQLite takes no ORDER BY/LIMIT on a bare union member
    # Rows to entities by column name (an ``aliased`` entity over the union
    # would be built anew each time, which costs more than the query).
    return select(Deadline, column("reference"), column("list")).from_statement(union_all(*parts))


_BUILT: dict[Any, Any] = {}
_BUILT_MAX = 1024  # users × list shapes; cleared when full


def teammates(session: Session, user: User) -> list[User]:
    """The active users who share the user's role queue (the user too): an
    office role's whole office, a partner's role within its organisation."""
    statement = select(User).where(User.role == user.role, User.active.is_(True))
    if not user.is_office:
        statement = statement.where(User.organization_id == user.organization_id)
    return list(session.execute(statement.order_by(User.name, User.id)).scalars())


def business_days_left(cal: BusinessCalendar, today: date, due_on: date) -> int:
    """Business days from today to the due day (the due day counts, today
    does not); negative when overdue: the business days since it was due."""
    low, high = sorted((today, due_on))
    days = cal.business_days_between(low, high)
    return days if due_on >= today else -days


def with_days_left(
    session: Session, config: Mapping[str, Any], today: date, *lists: list[dict[str, Any]]
) -> None:
    """Add ``business_days_left`` to deadline rows, on the office calendar
    (read once, whatever the number of rows)."""
    cal = office_calendar(session, config)
    for rows in lists:
        for row in rows:
            row["business_days_left"] = business_days_left(cal, today, row["due_on"])
