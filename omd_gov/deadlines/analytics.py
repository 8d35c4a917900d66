"""The share of deadlines met, for the analytics page.

A deadline due in the period is *met* when it was closed by the end of its
due day (office time, ``OMD_TIMEZONE``), *late* when it was closed after it,
and *overdue* while it is still open past its due day (``queries.late``, the
one rule for overdue). One still open and not yet due is *pending*, and not
in the share. Two kinds of rows are no obligation met or missed: ``expiry``
deadlines (a date the agreement ends on, not a task) and deadlines dropped
on time because the agreement was withdrawn, terminated, expired or
superseded; both are left out (a deadline already past due when it was
dropped counts as late).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, func, select, values
from sqlalchemy.orm import Session
from sqlalchemy.sql import column

from omd_gov.agreements.lifecycle import Trigger
from omd_gov.auth.models import User
from omd_gov.db import UtcDateTime
from omd_gov.deadlines.calendar import OfficeClock
from omd_gov.deadlines.models import Deadline
from omd_gov.deadlines.queries import late, visible

NOT_OBLIGATIONS = ("expiry",)
DROPPED_BY = tuple(
    str(trigger) for trigger in (Trigger.WITHDRAW, Trigger.TERMINATE, Trigger.EXPIRE,
                                 Trigger.SUPERSEDE)
)  # fmt: skip
OUTCOMES = ("met", "late", "overdue", "pending", "dropped")


@dataclass(frozen=True)
class DeadlineShare:
    met: int = 0
    late: int = 0
    overdue: int = 0
    pending: int = 0
    dropped: int = 0

    @property
    def judged(self) -> int:
        return self.met + self.late + self.overdue

    @property
    def share_met(self) -> float | None:
        """Met over met, late and overdue; None when there is none."""
        return round(self.met / self.judged, 4) if self.judged else None


def deadlines_met(
    session: Session, user: User, first: date, last: date, today: date, clock: OfficeClock
) -> DeadlineShare:
    """Deadlines due from ``first`` to ``last`` (office days, both included),
    in one statement: each due day's end (office midnight, as a UTC moment)
    comes from a small table of the period's days, so the comparison is
    exact on both databases whatever the time zone."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    ends = (
        values(column("day", Deadline.due_on.type), column("ends", UtcDateTime()), name="day_ends")
        .data([(day, clock.at(day + timedelta(days=1), hour=0)) for day in days])
        .cte()
    )
    closed = Deadline.status == "closed"
    in_time = Deadline.closed_at < ends.c.ends
    outcome = case(
        (closed & in_time & Deadline.close_reason.in_(DROPPED_BY), "dropped"),
        (closed & in_time, "met"),
        (closed, "late"),
        (late(today), "overdue"),
        else_="pending",
    )
    statement = visible(
        select(outcome, func.count())
        .select_from(Deadline)
        .join(ends, ends.c.day == Deadline.due_on)
        .where(Deadline.kind.not_in(NOT_OBLIGATIONS))
        .group_by(outcome),
        user,
    )
    counts = {str(name): int(count) for name, count in session.execute(statement)}
    return DeadlineShare(**{name: counts.get(name, 0) for name in OUTCOMES})
