"""The business-day calendar on known dates (no database, no Flask)."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from omd_gov.deadlines.calendar import BusinessCalendar, check_region

PORTO = BusinessCalendar("PT", "13")
PORTUGAL = BusinessCalendar("PT")
FRIDAY = date(2026, 6, 19)


def test_porto_skips_sao_joao() -> None:
    # Mon 22, Tue 23, (Wed 24 São João), Thu 25, Fri 26, Mon 29
    assert PORTO.add(FRIDAY, 5) == date(2026, 6, 29)
    assert PORTO.holiday_name(date(2026, 6, 24)) is not None


def test_nationally_sao_joao_is_a_working_day() -> None:
    assert PORTUGAL.add(FRIDAY, 5) == date(2026, 6, 26)
    assert PORTUGAL.is_business_day(date(2026, 6, 24))


def test_national_holidays_and_weekends_are_skipped() -> None:
    # Corpus Christi (Thu 4 June) and Portugal Day (Wed 10 June) 2026.
    assert PORTO.add(date(2026, 6, 1), 10) == date(2026, 6, 17)
    assert not PORTO.is_business_day(date(2026, 6, 6))  # Saturday
    assert not PORTO.is_business_day(date(2026, 12, 25))


def test_counting_backwards_and_zero() -> None:
    assert PORTO.add(date(2026, 6, 29), -5) == FRIDAY
    assert PORTO.add(date(2026, 6, 17), -2) == date(2026, 6, 15)
    assert PORTO.add(date(2026, 6, 20), 0) == date(2026, 6, 20)  # a Saturday stays itself


def test_municipal_days_sit_on_top() -> None:
    with_closure = BusinessCalendar("PT", "13", {date(2026, 6, 22): "Office closure"})
    assert with_closure.add(FRIDAY, 5) == date(2026, 6, 30)
    assert with_closure.holiday_name(date(2026, 6, 22)) == "Office closure"
    assert [day for day, _ in with_closure.skipped(FRIDAY, date(2026, 6, 30))] == [
        date(2026, 6, 22),
        date(2026, 6, 24),
    ]


def test_spain_by_region() -> None:
    madrid = BusinessCalendar("ES", "MD")
    # 2 May is the Community of Madrid's day; 2026-05-02 is a Saturday, so use 2025 (Friday).
    assert madrid.holiday_name(date(2025, 5, 2)) is not None
    assert BusinessCalendar("ES").holiday_name(date(2025, 5, 2)) is None
    assert madrid.add(date(2025, 5, 1), 1) == date(2025, 5, 5)


def test_year_boundary() -> None:
    # 31 Dec 2026 is a Thursday; 1 Jan 2027 a holiday (Friday).
    assert PORTO.add(date(2026, 12, 31), 1) == date(2027, 1, 4)


def test_absurd_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        PORTO.add(FRIDAY, 100_000)


def test_unknown_regions_are_reported() -> None:
    check_region("PT", "13")
    with pytest.raises(ValueError):
        check_region("XX", None)
    with pytest.raises(ValueError):
        check_region("PT", "99")


def test_counting_business_days_between_two_dates_matches_walking_them() -> None:
    """The dashboard's "business days left" counts weekdays and subtracts named
    ones; walking day by day is the definition it must equal."""
    extra = {date(2026, 6, 24): "São João", date(2027, 1, 2): "a Saturday closure"}
    rnd = random.Random(7)
    for country, subdiv in (("PT", None), ("ES", "CT"), ("PT", "13")):
        cal = BusinessCalendar(country, subdiv, extra)
        for _ in range(400):
            low = date(2025, 1, 1) + timedelta(rnd.randrange(900))
            high = low + timedelta(rnd.randrange(800))
            walked = sum(
                1
                for n in range(1, (high - low).days + 1)
                if cal.is_business_day(low + timedelta(n))
            )
            assert cal.business_days_between(low, high) == walked, (country, subdiv, low, high)
