"""The admin-edited municipal holidays and office closures."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omd_gov.audit.chain import append_event
from omd_gov.auth.actors import Actor
from omd_gov.db import transaction
from omd_gov.deadlines.calendar import BusinessCalendar
from omd_gov.deadlines.models import MunicipalHoliday
from omd_gov.errors import Conflict, NotFound


def holidays_of_year(session: Session, cal: BusinessCalendar, year: int) -> list[dict[str, Any]]:
    """Official (national/regional) and municipal non-business days of a year."""
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
    return sorted(items, key=lambda item: (item["date"], item["source"]))


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
        append_event(
            session,
            actor,
            entity_type="municipal_holiday",
            entity_id=row.id,
            action="create",
            changes={
                "date": {"from": None, "to": day.isoformat()},
                "name": {"from": None, "to": name},
                "kind": {"from": None, "to": kind},
            },
        )
    return row


def delete_holiday(session: Session, actor: Actor, holiday_id: int) -> None:
    with transaction(session):
        row = session.get(MunicipalHoliday, holiday_id, with_for_update=True)
        if row is None:
            raise NotFound(f"municipal holiday {holiday_id} not found")
        append_event(
            session,
            actor,
            entity_type="municipal_holiday",
            entity_id=row.id,
            action="delete",
            changes={
                "date": {"from": row.day.isoformat(), "to": None},
                "name": {"from": row.name, "to": None},
            },
        )
        session.delete(row)
