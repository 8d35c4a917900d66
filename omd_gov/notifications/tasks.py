"""The delivery task: send one e-mail or webhook, with bounded retries
(exponential backoff with jitter) on transport errors, and a stored failure
when they are exhausted. The fan-out task: turn the audit trail's new
lifecycle events into webhook deliveries (after a transition or a
publication commits, and from beat in case that task was lost)."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from celery import shared_task
from flask import current_app
from sqlalchemy.exc import DBAPIError

from omd_gov.db import db, utcnow
from omd_gov.notifications import services
from omd_gov.notifications.lifecycle import FAN_OUT_TASK
from omd_gov.notifications.mailer import ConfigurationError, PermanentError, TransientError
from omd_gov.notifications.outbox import DELIVER_TASK
from omd_gov.notifications.redact import redact
from omd_gov.tasking.celery_app import enqueue
from omd_gov.tasking.retrying import retry_after_database_error, retry_countdown

log = logging.getLogger(__name__)

# Beat's schedule: entry -> (task, the setting that holds its period in seconds).
PERIODIC = {"lifecycle-fan-out": (FAN_OUT_TASK, "OMD_SWEEP_SECONDS")}


@shared_task(name=FAN_OUT_TASK, bind=True, acks_late=True, max_retries=None)
def fan_out(self: Any) -> int:
    """One batch of the trail; a full batch asks for the next one at once."""
    config = current_app.config
    limit = int(config["OMD_SWEEP_BATCH"])
    try:
        read = services.fan_out(db.session, config, limit)
    except DBAPIError as error:  # e.g. two fan-outs racing for the cursor row
        retry_after_database_error(self, error, "lifecycle fan-out")
        return 0
    if read >= limit:
        enqueue(FAN_OUT_TASK)
    return read


@shared_task(name=DELIVER_TASK, bind=True, acks_late=True, max_retries=None)
def deliver(self: Any, delivery_id: int) -> str:
    try:
        return _deliver(self, delivery_id)
    except DBAPIError as error:
        return retry_after_database_error(self, error, f"delivery {delivery_id}")


def _reason(error: Exception) -> str:
    """What is logged and stored about a failed attempt (no URL credentials)."""
    known = isinstance(error, TransientError | PermanentError | ConfigurationError)
    return redact(str(error) if known else repr(error))


def _deliver(self: Any, delivery_id: int) -> str:
    config = current_app.config
    lease = timedelta(seconds=config["OMD_DELIVERY_LEASE_SECONDS"])
    token = services.acquire(db.session, delivery_id, utcnow(), lease)
    if token is None:
        return "not-owed"  # sent already, or another worker holds the lease
    try:
        services.send(db.session, delivery_id, config)
    except PermanentError as error:
        _fail(delivery_id, token, _reason(error), permanent=True)
        return "rejected"
    except ConfigurationError as error:
        # Retrying cannot fix a setting: fail this round at once; the sweep's
        # next rounds deliver it once the operator has fixed the setting.
        _fail(delivery_id, token, _reason(error), permanent=False)
        return "misconfigured"
    except Exception as error:  # transport errors, and anything unexpected: retry
        reason = _reason(error)
        countdown = retry_countdown(self, config)
        if countdown is None:
            _fail(delivery_id, token, reason, permanent=False)
            return "failed"
        due = utcnow() + timedelta(seconds=countdown) + lease
        services.release_for_retry(db.session, delivery_id, token, reason, due)
        log.info("delivery %s: %s; retry in %.2fs", delivery_id, reason, countdown)
        # Celery logs the retry's exception: give it the redacted reason.
        raise self.retry(countdown=countdown, exc=TransientError(reason)) from error
    _mark_sent(delivery_id, token)
    return "sent"


def _fail(delivery_id: int, token: str, reason: str, *, permanent: bool) -> None:
    log.warning("delivery %s failed%s: %s", delivery_id, " for good" if permanent else "", reason)
    gap = timedelta(seconds=current_app.config["OMD_FAILED_RETRY_SECONDS"])
    services.record_failure(
        db.session, delivery_id, token, reason, utcnow(), permanent=permanent, round_gap=gap
    )


def _mark_sent(delivery_id: int, token: str, attempts: int = 3) -> None:
    """The message is out: record it, trying hard, since a lost "sent" mark
    means a second copy once the lease expires."""
    for attempt in range(attempts):
        try:
            services.mark_sent(db.session, delivery_id, token, utcnow())
            return
        except DBAPIError:  # the unit of work has rolled back
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
