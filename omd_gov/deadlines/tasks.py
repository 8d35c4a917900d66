"""Celery tasks of the deadlines feature: the beat sweep and one task per
due reminder. Both are safe to run twice (claims), and both are re-derived
by the next sweep when lost."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from flask import current_app
from sqlalchemy.exc import DBAPIError

from omd_gov.celery_app import SWEEP_TASK
from omd_gov.db import db
from omd_gov.deadlines.reminders import claim_and_act
from omd_gov.deadlines.services import SEND_REMINDER_TASK
from omd_gov.deadlines.sweep import sweep
from omd_gov.notifications.services import backoff

log = logging.getLogger(__name__)


@shared_task(name=SWEEP_TASK, ignore_result=True)
def sweep_task() -> dict[str, int]:
    report = sweep(db.session, current_app.config)
    return {"reminders": len(report.reminders), "deliveries": len(report.deliveries)}


@shared_task(name=SEND_REMINDER_TASK, bind=True, acks_late=True, max_retries=None)
def send_reminder(self: Any, reminder_id: int) -> str:
    """Claim one reminder and create its notifications (or fire the expiry)."""
    config = current_app.config
    try:
        outcome = claim_and_act(db.session, reminder_id)
    except DBAPIError as error:  # a lock held by a racing claimer, a dropped connection
        db.session.rollback()
        if self.request.retries >= config["OMD_TASK_MAX_RETRIES"]:
            log.warning(
                "reminder %s: giving up for now (%s); the sweep retries", reminder_id, error
            )
            return "deferred-to-sweep"
        countdown = backoff(
            self.request.retries,
            config["OMD_RETRY_BACKOFF_SECONDS"],
            config["OMD_RETRY_BACKOFF_MAX_SECONDS"],
        )
        raise self.retry(countdown=countdown, exc=error) from error
    log.info("reminder %s: %s", reminder_id, outcome)
    return outcome
