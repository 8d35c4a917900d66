"""The office's business-day calendar: weekends, the ``holidays`` package for
the configured country and subdivision, and the admin-edited municipal days.

Pure code (no Flask, no database) so it can be unit-tested on known dates;
:func:`office_calendar` builds one from the app config and the table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import select
from sqlalchemy.orm import Session

from omd_gov.db import as_utc, utcnow
from omd_gov.deadlines.models import MunicipalHoliday

MAX_BUSINESS_DAYS = 1000  # a guard against absurd counts (and endless loops)


@lru_cache(maxsize=256)
def _official(country: str, subdiv: str | None, year: int) -> Mapping[date, str]:
    """National/regional holidays of one year (cached: the package is slow to build)."""
    return dict(holidays.country_holidays(country, subdiv=subdiv or None, years=year).items())


def check_region(country: str, subdiv: str | None) -> None:
    """Raise ValueError when the ``holidays`` package does not know the region."""
    try:
        _official(country, subdiv or None, 2000)
    except Exception as error:  # NotImplementedError for an unknown country or subdivision
        raise ValueError(
            f"OMD_CALENDAR_COUNTRY/SUBDIV {country!r}/{subdiv!r} is not known to the "
            f"holidays package: {error}"
        ) from error


@dataclass(frozen=True)
class BusinessCalendar:
    country: str
    subdiv: str | None = None
    # Extra non-business days (municipal holidays, office closures): day -> name.
    extra: Mapping[date, str] | None = None

    def holiday_name(self, day: date) -> str | None:
        if self.extra and day in self.extra:
            return self.extra[day]
        return _official(self.country, self.subdiv, day.year).get(day)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and self.holiday_name(day) is None

    def add(self, start: date, n: int) -> date:
        """The date ``n`` business days after (or, negative, before) ``start``.
        ``start`` itself never counts; ``n == 0`` returns ``start`` unchanged."""
        if abs(n) > MAX_BUSINESS_DAYS:
            raise ValueError(f"at most {MAX_BUSINESS_DAYS} business days")
        step = timedelta(days=1 if n > 0 else -1)
        day, left = start, abs(n)
        while left:
            day += step
            if self.is_business_day(day):
                left -= 1
        return day

    def skipped(self, start: date, end: date) -> list[tuple[date, str]]:
        """Named non-business days strictly between ``start`` and ``end`` (either order)."""
        low, high = sorted((start, end))
        out = []
        day = low + timedelta(days=1)
        while day < high:
            name = self.holiday_name(day)
            if name is not None:
                out.append((day, name))
            day += timedelta(days=1)
        return out

    def business_days_between(self, low: date, high: date) -> int:
        """Business days after ``low`` up to and including ``high``: the
        weekdays, less the named weekdays among them (no day-by-day walk)."""
        weeks, rest = divmod((high - low).days, 7)
        weekdays = weeks * 5 + sum((low + timedelta(n)).weekday() < 5 for n in range(1, rest + 1))
        named = {
            day for year in range(low.year, high.year + 1) for day in self.official_holidays(year)
        }
        named |= set(self.extra or ())
        return weekdays - sum(1 for day in named if low < day <= high and day.weekday() < 5)

    def official_holidays(self, year: int) -> Mapping[date, str]:
        return _official(self.country, self.subdiv, year)


@dataclass(frozen=True)
class OfficeClock:
    """Turns office-local calendar days into UTC instants, and back."""

    zone: ZoneInfo
    hour: int = 9

    def at(self, day: date, hour: int | None = None) -> datetime:
        local = datetime.combine(day, time(self.hour if hour is None else hour), self.zone)
        return local.astimezone(UTC)

    def local_date(self, moment: datetime) -> date:
        return as_utc(moment).astimezone(self.zone).date()


def office_clock(config: Mapping[str, Any]) -> OfficeClock:
    return OfficeClock(ZoneInfo(config["OMD_TIMEZONE"]), int(config["OMD_REMINDER_HOUR"]))


def office_today(config: Mapping[str, Any], now: datetime | None = None) -> date:
    """The office's "today" (in ``OMD_TIMEZONE``), the one used everywhere:
    due dates, "overdue", and the default year of the calendar."""
    return office_clock(config).local_date(utcnow() if now is None else now)


def office_calendar(session: Session, config: Mapping[str, Any]) -> BusinessCalendar:
    """The configured region plus the municipal days from the table."""
    return calendar_with(config, session.execute(select(MunicipalHoliday)).scalars().all())


def calendar_with(config: Mapping[str, Any], days: Iterable[MunicipalHoliday]) -> BusinessCalendar:
    """The configured region plus these municipal days (rows already read)."""
    extra = {row.day: row.name for row in days}
    return BusinessCalendar(
        config["OMD_CALENDAR_COUNTRY"], config["OMD_CALENDAR_SUBDIV"] or None, extra
    )
