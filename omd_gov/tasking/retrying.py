"""Retries of the worker's tasks: exponential backoff with jitter, bounded by
``OMD_TASK_MAX_RETRIES``; past that, the next sweep takes the work up again."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from flask import current_app
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)


def backoff(
    retries: int, base: float, cap: float, rng: Callable[[], float] = random.random
) -> float:
    """Exponential backoff with "equal jitter": half fixed, half random, so
    retries spread out yet never fire immediately."""
    ceiling = min(cap, base * 2**retries)
    return ceiling / 2 + rng() * ceiling / 2


def retry_countdown(task: Any, config: Mapping[str, Any]) -> float | None:
    """Seconds until the task's next retry, or None when its retries are used up."""
    if task.request.retries >= config["OMD_TASK_MAX_RETRIES"]:
        return None
    return backoff(
        task.request.retries,
        config["OMD_RETRY_BACKOFF_SECONDS"],
        config["OMD_RETRY_BACKOFF_MAX_SECONDS"],
    )


def retry_after_database_error(task: Any, error: DBAPIError, what: str) -> str | NoReturn:
    """The database is busy (a lock held by a racing claimer) or away: retry
    the task with backoff, or, once its retries are used up, leave the work
    to the next sweep (the rows still say it is owed). The failed unit of
    work has rolled back already."""
    countdown = retry_countdown(task, current_app.config)
    if countdown is None:
        log.warning("%s: database error (%s); the sweep retries", what, error)
        return "deferred-to-sweep"
    raise task.retry(countdown=countdown, exc=error) from error
