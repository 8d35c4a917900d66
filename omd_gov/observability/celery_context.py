"""The request id travels with the Celery tasks a request enqueues.

Publishing adds it as a message header; the worker sets it around the
task's run, so every log line of the task carries it. A task that no
request enqueued (beat's sweep) runs under its own task id, which the tasks
it enqueues then carry in turn.
"""

from __future__ import annotations

import os
from typing import Any

from celery import signals

from omd_gov.observability import context
from omd_gov.observability.multiprocess import process_gone

TASK_HEADER = "omd_request_id"


def connect() -> None:
    """Connect once per process (the receivers are module-level, not per app)."""
    signals.before_task_publish.connect(_publish, weak=False, dispatch_uid="omd-rid-publish")
    signals.task_prerun.connect(_prerun, weak=False, dispatch_uid="omd-rid-prerun")
    signals.task_postrun.connect(_postrun, weak=False, dispatch_uid="omd-rid-postrun")
    signals.worker_process_shutdown.connect(_exit, weak=False, dispatch_uid="omd-metrics-exit")


def _publish(headers: dict[str, Any] | None = None, **_: Any) -> None:
    request_id = context.current()
    if headers is not None and request_id:
        headers.setdefault(TASK_HEADER, request_id)


def _prerun(task: Any = None, task_id: str | None = None, **_: Any) -> None:
    incoming = getattr(getattr(task, "request", None), TASK_HEADER, None)
    context.set_current(context.accept(incoming or task_id))


def _postrun(**_: Any) -> None:
    context.set_current(None)


def _exit(**_: Any) -> None:
    process_gone(os.getpid())
