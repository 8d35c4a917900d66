"""The periodic sweep (Celery beat): find what is owed and enqueue it.

The database, not the broker, knows what is still owed: reminder rows that
are due and unclaimed, and deliveries that nobody finished (lost task,
crashed worker, next round after a failure). Both queries read partial
indexes, so a sweep costs what is due, not what is stored. The sweep writes
nothing; every task it enqueues expires after one sweep period, so a slow
or stopped worker never lets duplicates pile up, and claims make the rest
harmless.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Integer,
    Select,
    bindparam,
    literal_column,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from omd_gov.db import end_read, utcnow
from omd_gov.deadlines.models import Reminder
from omd_gov.deadlines.scheduling import SEND_REMINDER_TASK
from omd_gov.notifications.outbox import DELIVER_TASK
from omd_gov.notifications.queries import unfinished_due
from omd_gov.tasking.celery_app import enqueue

# A literal predicate, so PostgreSQL matches the partial index in every plan.
SCHEDULED = "reminders.status = 'scheduled'"


@dataclass
class SweepReport:
    reminders: list[int] = field(default_factory=list)
    deliveries: list[int] = field(default_factory=list)


def due_reminders(now: Any, limit: Any) -> Select[int]:
    return (
        select(Reminder.id)
        .where(text(SCHEDULED), Reminder.scheduled_for <= now)
        .order_by(Reminder.scheduled_for)
        .limit(limit)
    )


def _owed_statement() -> CompoundSelect[str, int]:
    now, limit = (
        bindparam("now", type_=Reminder.scheduled_for.type),
        bindparam("limit", type_=Integer),
    )
    reminders = due_reminders(now, limit).subquery()
    deliveries = unfinished_due(now, limit).subquery()
    return union_all(
        select(literal_column("'r'").label("what"), reminders.c.id),
        select(literal_column("'d'").label("what"), deliveries.c.id),
    )


# One statement reading the two partial indexes (due reminders, unfinished
# deliveries); built once, so a sweep spends its time in the database.
OWED = _owed_statement()


def collect(session: Session, now: datetime, limit: int) -> SweepReport:
    """The sweep's database part. It is a read that needs no transaction: on
    PostgreSQL it runs in autocommit (no BEGIN/ROLLBACK round trips); SQLite
    keeps the session's connection settings, then ends the read."""
    params = {"now": now, "limit": limit}
    engine = session.get_bind().engine
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            rows = connection.execute(OWED, params).all()
    else:
        try:
            rows = list(session.execute(OWED, params).all())
        finally:
            end_read(session, "the sweep")  # before talking to the broker
    report = SweepReport()
    for what, row_id in rows:
        (report.reminders if what == "r" else report.deliveries).append(row_id)
    return report


def sweep(session: Session, config: Mapping[str, Any]) -> SweepReport:
    report = collect(session, utcnow(), int(config["OMD_SWEEP_BATCH"]))
    expires = float(config["OMD_SWEEP_SECONDS"])
    with_expiry = expires if expires > 0 else None
    # Outside any unit of work: nothing to wait for, publish at once.
    for reminder_id in report.reminders:
        enqueue(SEND_REMINDER_TASK, reminder_id, expires=with_expiry)
    for delivery_id in report.deliveries:
        enqueue(DELIVER_TASK, delivery_id, expires=with_expiry)
    return report
