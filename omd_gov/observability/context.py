"""The request id of the work in progress: a web request, or a Celery task
that a request (or another task) enqueued. A context variable, so each
thread of a gthread worker and each task keeps its own."""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

HEADER = "X-Request-ID"
# Incoming ids are echoed and logged: bounded and of a safe charset (no
# spaces, quotes or control characters that could forge a log line).
_VALID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

_current: ContextVar[str | None] = ContextVar("omd_request_id", default=None)


def current() -> str | None:
    return _current.get()


def set_current(request_id: str | None) -> None:
    _current.set(request_id)


def accept(incoming: str | None) -> str:
    """The incoming id when it is acceptable, a new one otherwise."""
    if incoming and _VALID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record its handler emits."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get()
        return True
