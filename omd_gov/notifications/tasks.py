"""The delivery task: send one e-mail or webhook, with bounded retries
(exponential backoff with jitter) on transport errors, and a stored failure
when they are exhausted."""

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
from omd_gov.notifications.mailer import PermanentError, TransientError

log = logging.getLogger(__name__)


@shared_task(name=services.DELIVER_TASK, bind=True, acks_late=True, max_retries=None)
def deliver(self: Any, delivery_id: int) -> str:
    try:
        return _deliver(self, delivery_id)
    except DBAPIError as error:  # the database is busy or away: retry, or leave it to the sweep
        db.session.rollback()
        config = current_app.config
        if self.request.retries >= config["OMD_TASK_MAX_RETRIES"]:
            log.warning("delivery %s: database error (%s); the sweep retries", delivery_id, error)
            return "deferred-to-sweep"
        countdown = services.backoff(
            self.request.retries,
            config["OMD_RETRY_BACKOFF_SECONDS"],
            config["OMD_RETRY_BACKOFF_MAX_SECONDS"],
        )
        raise self.retry(countdown=countdown, exc=error) from error


def _deliver(self: Any, delivery_id: int) -> str:
    config = current_app.config
    lease = timedelta(seconds=config["OMD_DELIVERY_LEASE_SECONDS"])
    token = services.acquire(db.session, delivery_id, utcnow(), lease)
    if token is None:
        return "not-owed"  # sent already, or another worker holds the lease
    try:
        services.send(db.session, delivery_id, config)
    except PermanentError as error:
        _fail(delivery_id, token, str(error), permanent=True)
        return "rejected"
    except Exception as error:  # transport errors, and anything unexpected: retry
        reason = str(error) if isinstance(error, TransientError) else repr(error)
        db.session.rollback()
        if self.request.retries >= config["OMD_TASK_MAX_RETRIES"]:
            _fail(delivery_id, token, reason, permanent=False)
            return "failed"
        countdown = services.backoff(
            self.request.retries,
            config["OMD_RETRY_BACKOFF_SECONDS"],
            config["OMD_RETRY_BACKOFF_MAX_SECONDS"],
        )
        due = utcnow() + timedelta(seconds=countdown) + lease
        services.release_for_retry(db.session, delivery_id, token, reason, due)
        log.info("delivery %s: %s; retry in %.2fs", delivery_id, reason, countdown)
        raise self.retry(countdown=countdown, exc=error) from error
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
        except DBAPIError:
            db.session.rollback()
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
