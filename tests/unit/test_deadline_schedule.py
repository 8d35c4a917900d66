"""When deadlines fall due and remind: pure scheduling (no database)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from omd_gov.deadlines.calendar import BusinessCalendar, OfficeClock
from omd_gov.deadlines.policy import DEFAULTS
from omd_gov.deadlines.schedule import actions, add_months, due_date

PORTO = BusinessCalendar("PT", "13")
CLOCK = OfficeClock(ZoneInfo("Europe/Lisbon"), hour=9)


@dataclass
class FakeDeadline:
    kind: str
    starts_on: date
    due_on: date
    opened_at: datetime
    revision: int = 1


def local(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo("Europe/Lisbon"))


def plan(kind: str, starts: date, due: date, opened: datetime | None = None) -> list:
    deadline = FakeDeadline(kind, starts, due, opened or local(starts, 10).astimezone(UTC))
    return actions(deadline, DEFAULTS[kind], PORTO, CLOCK)


def test_legal_review_due_in_ten_business_days() -> None:
    assert due_date(DEFAULTS["legal_review"], PORTO, date(2026, 6, 1)) == date(2026, 6, 17)


def test_legal_review_reminds_two_days_before_on_the_day_then_escalates() -> None:
    steps = [
        (a.kind, a.step, CLOCK.local_date(a.at))
        for a in plan("legal_review", date(2026, 6, 1), date(2026, 6, 17))
    ]
    assert steps == [
        ("start", "start.r1", date(2026, 6, 1)),
        ("reminder", "before2.r1", date(2026, 6, 15)),
        ("reminder", "before0.r1", date(2026, 6, 17)),
        ("escalation", "overdue3.r1", date(2026, 6, 22)),
    ]


def test_reminders_go_out_at_the_office_hour_in_utc() -> None:
    reminder = plan("legal_review", date(2026, 6, 1), date(2026, 6, 17))[1]
    assert reminder.at == datetime(2026, 6, 15, 8, 0, tzinfo=UTC)  # 09:00 Lisbon summer time


def test_signature_every_five_business_days_until_due() -> None:
    due = due_date(DEFAULTS["signature"], PORTO, date(2026, 6, 23))
    assert due == date(2026, 7, 15)  # São João (24 June) does not count
    days = [
        CLOCK.local_date(a.at)
        for a in plan("signature", date(2026, 6, 23), due)
        if a.kind == "reminder"
    ]
    assert days == [date(2026, 7, 1), date(2026, 7, 8), date(2026, 7, 15)]


def test_expiry_notices_in_calendar_days_and_the_expire_action() -> None:
    steps = [(a.kind, a.step, a.at) for a in plan("expiry", date(2026, 1, 5), date(2026, 8, 31))]
    assert steps == [
        ("notice", "notice90.r1", local(date(2026, 6, 2)).astimezone(UTC)),
        ("notice", "notice30.r1", local(date(2026, 8, 1)).astimezone(UTC)),
        ("notice", "notice7.r1", local(date(2026, 8, 24)).astimezone(UTC)),
        ("expire", "end.r1", local(date(2026, 9, 1), 0).astimezone(UTC)),
    ]


def test_notices_before_the_deadline_opened_are_dropped() -> None:
    kinds = [a.step for a in plan("expiry", date(2026, 8, 10), date(2026, 8, 31))]
    assert kinds == ["notice7.r1", "end.r1"]


def test_an_expiry_opened_after_its_end_date_still_expires_at_once() -> None:
    """An agreement activated after its end date: no notices, but the expire
    action is kept, clamped to the moment the deadline opened."""
    opened = local(date(2026, 9, 10), 10).astimezone(UTC)
    steps = [(a.kind, a.at) for a in plan("expiry", date(2026, 9, 10), date(2026, 8, 31), opened)]
    assert steps == [("expire", opened)]


def test_an_expiry_opened_on_its_end_date_expires_that_midnight() -> None:
    steps = [(a.kind, a.at) for a in plan("expiry", date(2026, 8, 31), date(2026, 8, 31))]
    assert steps == [("expire", local(date(2026, 9, 1), 0).astimezone(UTC))]


def test_a_moved_deadline_gets_new_steps() -> None:
    deadline = FakeDeadline(
        "changes",
        date(2026, 6, 1),
        date(2026, 6, 30),
        local(date(2026, 6, 5)).astimezone(UTC),
        revision=2,
    )
    assert [a.step for a in actions(deadline, DEFAULTS["changes"], PORTO, CLOCK)] == ["start.r2"]


def test_policy_changes_shape_the_schedule() -> None:
    policy = replace(
        DEFAULTS["publication"], remind_before_business_days=(5, 1), notify_on_start=False
    )
    deadline = FakeDeadline(
        "publication", date(2026, 6, 1), date(2026, 6, 29), local(date(2026, 6, 1)).astimezone(UTC)
    )
    days = [CLOCK.local_date(a.at) for a in actions(deadline, policy, PORTO, CLOCK)]
    assert days == [date(2026, 6, 19), date(2026, 6, 26)]


def test_due_date_needs_a_duration() -> None:
    with pytest.raises(ValueError):
        due_date(DEFAULTS["expiry"], PORTO, date(2026, 6, 1))


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 7, 9), 12, date(2027, 7, 9)),
        (date(2026, 11, 15), 3, date(2027, 2, 15)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected
