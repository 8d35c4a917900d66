"""When a deadline falls due and when it reminds: pure functions of the
policy, the business calendar and the office clock (unit-tested without a
database). ``scheduling`` turns the result into ``deadlines`` and ``reminders`` rows.
"""

from __future__ import annotations

import calendar as gregorian
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from omd_gov.db import as_utc
from omd_gov.deadlines.calendar import BusinessCalendar, OfficeClock
from omd_gov.deadlines.policy import Policy


class DeadlineLike(Protocol):
    kind: str
    starts_on: date
    due_on: date
    revision: int
    opened_at: datetime


@dataclass(frozen=True)
class Action:
    """One scheduled reminder row: ``(kind, step)`` is unique per deadline."""

    kind: str  # start | reminder | escalation | notice | expire
    step: str
    at: datetime  # UTC


def add_months(day: date, months: int) -> date:
    """Same day ``months`` later, clamped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, gregorian.monthrange(year, month)[1]))


def due_date(policy: Policy, cal: BusinessCalendar, starts_on: date) -> date:
    """Due date of a deadline counted in business days from its start."""
    if policy.due_business_days is None:
        raise ValueError(f"the {policy.kind} policy has no duration in business days")
    return cal.add(starts_on, policy.due_business_days)


def actions(
    deadline: DeadlineLike, policy: Policy, cal: BusinessCalendar, clock: OfficeClock
) -> list[Action]:
    """Every reminder the deadline owes over its life, in time order.

    Reminders dated before the day the deadline opened are dropped (an
    agreement activated 20 days before its end gets no 90-day notice), but
    never the expiry itself: an agreement that became active after its end
    date expires at once (clamped to the opening), not never."""
    rev = f"r{deadline.revision}"
    due = deadline.due_on
    out: list[Action] = []
    for n in policy.remind_before_business_days:
        out.append(Action("reminder", f"before{n}.{rev}", clock.at(cal.add(due, -n))))
    if policy.remind_every_business_days:
        k = 1
        while (day := cal.add(deadline.starts_on, k * policy.remind_every_business_days)) <= due:
            out.append(Action("reminder", f"every{k}.{rev}", clock.at(day)))
            k += 1
    if policy.escalate_after_business_days is not None:
        n = policy.escalate_after_business_days
        out.append(Action("escalation", f"overdue{n}.{rev}", clock.at(cal.add(due, n))))
    for n in policy.notice_days_before:
        out.append(Action("notice", f"notice{n}.{rev}", clock.at(due - timedelta(days=n))))
    opened_at = as_utc(deadline.opened_at)
    opened_day = clock.local_date(opened_at)
    out = [action for action in out if clock.local_date(action.at) >= opened_day]
    if deadline.kind == "expiry":
        # The agreement has expired once its end date is over: local midnight after it.
        at = max(clock.at(due + timedelta(days=1), hour=0), opened_at)
        out.append(Action("expire", f"end.{rev}", at))
    if policy.notify_on_start:
        out.append(Action("start", f"start.{rev}", opened_at))
    return sorted(out, key=lambda action: (action.at, action.kind, action.step))
