"""The reminder backlog for Prometheus, computed from the database when
``/metrics`` is scraped (the database is the truth; nothing is kept in
memory between scrapes). Both reads use the sweep's partial indexes, so a
scrape costs what is owed, not what is stored."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from sqlalchemy import func, select, text
from sqlalchemy.orm import QueryableAttribute

from omd_gov.db import as_utc, db, end_read, utcnow
from omd_gov.deadlines.models import Reminder
from omd_gov.deadlines.sweep import SCHEDULED
from omd_gov.notifications.models import Delivery
from omd_gov.notifications.queries import UNFINISHED


def reminder_backlog() -> Iterator[Metric]:
    now = utcnow()
    try:
        reminders, oldest = _owed(Reminder.scheduled_for, SCHEDULED, now)
        deliveries, oldest_delivery = _owed(Delivery.due_at, UNFINISHED, now)
    finally:
        end_read(db.session, "the metrics scrape")
    yield GaugeMetricFamily(
        "omd_reminders_due", "Reminders due and not yet claimed by a worker.", value=reminders
    )
    yield GaugeMetricFamily(
        "omd_reminders_oldest_due_age_seconds",
        "How long the oldest unclaimed due reminder has been due (0 when none is).",
        value=_age(now, oldest),
    )
    yield GaugeMetricFamily(
        "omd_deliveries_overdue",
        "E-mail and webhook deliveries past their lease or retry time and not sent.",
        value=deliveries,
    )
    yield GaugeMetricFamily(
        "omd_deliveries_oldest_overdue_age_seconds",
        "How long the oldest overdue delivery has been owed (0 when none is).",
        value=_age(now, oldest_delivery),
    )


def _owed(
    column: QueryableAttribute[Any], predicate: str, now: datetime
) -> tuple[int, datetime | None]:
    """How many rows are owed, and since when (the partial index's predicate, literally)."""
    count, oldest = db.session.execute(
        select(func.count(), func.min(column)).where(text(predicate), column <= now)
    ).one()
    return int(count), oldest


def _age(now: datetime, since: datetime | None) -> float:
    return max(0.0, (now - as_utc(since)).total_seconds()) if since is not None else 0.0
