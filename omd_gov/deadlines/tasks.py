"""Celery tasks of the deadlines feature: the beat sweep and one task per
due reminder. Both are safe to run twice (claims), and both are re-derived
by the next sweep when lost."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from flask import current_app
from sqlalchemy.exc import DBAPIError

from omd_gov.db import db
from omd_gov.deadlines import services
from omd_gov.deadlines.scheduling import SEND_REMINDER_TASK
from omd_gov.deadlines.sweep import sweep
from omd_gov.tasking.retrying import retry_after_database_error

log = logging.getLogger(__name__)

SWEEP_TASK = "omd.deadlines.sweep"
# Beat's schedule: entry -> (task, the setting that holds its period in seconds).
PERIODIC = {"deadlines-sweep": (SWEEP_TASK, "OMD_SWEEP_SECONDS")}


@shared_task(name=SWEEP_TASK, ignore_result=True)
def sweep_task() -> dict[str, int]:
    report = sweep(db.session, current_app.config)
    return {"reminders": len(report.reminders), "deliveries": len(report.deliveries)}


@shared_task(name=SEND_REMINDER_TASK, bind=True, acks_late=True, max_retries=None)
def send_reminder(self: Any, reminder_id: int) -> str:
    """Claim one reminder and create its notifications (or fire the expiry)."""
    try:
        outcome = services.send_reminder(db.session, reminder_id)
    except DBAPIError as error:
        return retry_after_database_error(self, error, f"reminder {reminder_id}")
    log.info("reminder %s: %s", reminder_id, outcome)
    return outcome
