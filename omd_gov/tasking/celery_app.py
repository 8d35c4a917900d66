"""Celery wiring, following Flask's ``FlaskTask`` pattern: every task runs
inside an application context.

The broker comes from ``OMD_BROKER_URL``:
- ``filesystem:///path`` (embedded default, no server): kombu's filesystem
  transport with its folders under ``path``;
- ``redis://host:6379/0``: with one ``visibility_timeout`` for every client
  (it must exceed the longest retry countdown, or Redis redelivers early);
- ``amqp://user:pass@host:5672//``: RabbitMQ, on a quorum queue (replicated
  and durable; see :func:`queue_settings`).

Tasks are published by name with :func:`enqueue_after_commit`, so a worker
never looks for a row that is not committed yet; a publish that fails is
logged, never raised, because the sweep finds whatever is still owed in the
database. (The sweep itself, which runs outside any unit of work, uses
:func:`enqueue` directly.)
"""

from __future__ import annotations

import importlib
import logging
import math
import os
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from queue import Empty
from time import monotonic
from typing import Any
from urllib.parse import urlsplit

from celery import Celery, Task
from flask import Flask, current_app
from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads
from sqlalchemy.orm import Session

from omd_gov.db import call_after_commit

log = logging.getLogger(__name__)

AMQP_SCHEMES = ("amqp", "amqps", "pyamqp")


class _AtomicFilesystemChannel(filesystem.Channel):
    """kombu's filesystem channel, made safe for concurrent processes: a
    message is written under a hidden name and renamed into place, and a
    consumer claims it by renaming it out, so nobody reads a half-written
    file and two consumers never take the same one."""

    def _put(self, queue: Any, payload: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        hidden = os.path.join(self.data_folder_out, f".{name}.tmp")
        with open(hidden, "wb") as handle:
            handle.write(str_to_bytes(dumps(payload)))
        os.replace(hidden, os.path.join(self.data_folder_out, name))

    def _get(self, queue: Any, timeout: Any = None) -> Any:
        wanted = f"{queue}.msg"
        for name in sorted(os.listdir(self.data_folder_in)):
            if name.startswith(".") or name.partition(".")[2] != wanted:
                continue
            claimed = os.path.join(self.processed_folder, name)
            try:
                os.rename(os.path.join(self.data_folder_in, name), claimed)
            except OSError:
                continue  # another consumer took it
            try:
                with open(claimed, "rb") as handle:
                    payload = handle.read()
            finally:
                os.remove(claimed)
            return loads(bytes_to_str(payload))
        raise Empty()


class AtomicFilesystemTransport(filesystem.Transport):
    Channel = _AtomicFilesystemChannel


def transport_options(config: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The kombu URL and transport options for ``OMD_BROKER_URL``."""
    url = config["OMD_BROKER_URL"]
    scheme = urlsplit(url).scheme
    if scheme == "filesystem":
        root = Path(urlsplit(url).path or "broker")
        folders = {name: root / name for name in ("queue", "control", "processed")}
        for folder in folders.values():
            folder.mkdir(parents=True, exist_ok=True)
        return "filesystem://", {
            "data_folder_in": str(folders["queue"]),
            "data_folder_out": str(folders["queue"]),
            "control_folder": str(folders["control"]),
            "processed_folder": str(folders["processed"]),
            "polling_interval": config["OMD_BROKER_POLL_SECONDS"],
        }
    options: dict[str, Any] = {}
    if scheme in ("redis", "rediss"):
        visibility = int(config["OMD_BROKER_VISIBILITY_TIMEOUT"])
        if config["OMD_RETRY_BACKOFF_MAX_SECONDS"] >= visibility:
            raise ValueError(
                "OMD_BROKER_VISIBILITY_TIMEOUT must exceed OMD_RETRY_BACKOFF_MAX_SECONDS, "
                "or Redis redelivers retries that are still waiting"
            )
        options["visibility_timeout"] = visibility
        if config["OMD_BROKER_KEY_PREFIX"]:
            options["global_keyprefix"] = config["OMD_BROKER_KEY_PREFIX"]
    return url, options


def celery_config(
    config: Mapping[str, Any], instance_path: str, task_modules: Sequence[str]
) -> dict[str, Any]:
    """Celery's settings. ``task_modules`` are the features' ``tasks.py``; a
    module's ``PERIODIC`` (beat entry -> (task name, setting of its period in
    seconds)) goes into beat's schedule."""
    url, options = transport_options(config)
    embedded = url == "filesystem://"
    return {
        "broker_url": url,
        "broker_transport": f"{__name__}:AtomicFilesystemTransport" if embedded else None,
        "broker_transport_options": options,
        "result_backend_transport_options": options,
        "broker_connection_retry_on_startup": True,
        # A publish after a commit must not hang a web request: fail fast, the sweep heals.
        "task_publish_retry_policy": {
            "max_retries": 2,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.5,
        },
        **queue_settings(url, config["OMD_CELERY_QUEUE"]),
        "task_acks_late": True,
        "task_ignore_result": True,
        "worker_prefetch_multiplier": 1,
        "worker_hijack_root_logger": False,
        "timezone": "UTC",
        "enable_utc": True,
        "include": list(task_modules),
        "beat_schedule_filename": str(Path(instance_path) / "celerybeat-schedule"),
        "beat_schedule": beat_schedule(config, task_modules),
    }


def queue_settings(url: str, queue: str) -> dict[str, Any]:
    """The task queue (and its exchange, of the same name). On RabbitMQ it is
    a quorum queue, and so is any queue a route creates. A queue that exists
    as classic cannot be redeclared: docs/OPERATIONS.md says how to move."""
    settings: dict[str, Any] = {
        "task_default_queue": queue,
        "task_default_exchange": queue,
        "task_default_routing_key": queue,
    }
    if urlsplit(url).scheme in AMQP_SCHEMES:
        settings |= {
            "task_default_queue_type": "quorum",
            "task_create_missing_queue_type": "quorum",
            # Retry countdowns go through RabbitMQ's native delayed delivery,
            # which needs a topic exchange: on a direct one, a worker would hold
            # the message until its ETA, and a quorum queue's prefetch is fixed.
            "task_default_exchange_type": "topic",
            "task_create_missing_queue_exchange_type": "topic",
            # Quorum queues refuse global QoS: per-consumer prefetch instead.
            "worker_detect_quorum_queues": True,
        }
    return settings


def beat_schedule(config: Mapping[str, Any], task_modules: Sequence[str]) -> dict[str, Any]:
    schedule = {}
    for module in task_modules:
        periodic = getattr(importlib.import_module(module), "PERIODIC", {})
        for entry, (task, setting) in periodic.items():
            seconds = float(config[setting])
            # A run that waited longer than one period is pointless: it expires.
            schedule[entry] = {"task": task, "schedule": seconds, "options": {"expires": seconds}}
    return schedule


def celery_app_for(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return self.run(*args, **kwargs)

        def retry(self, *args: Any, countdown: float | None = None, **options: Any) -> Any:
            if countdown and self.app.conf.task_default_queue_type == "quorum":
                # RabbitMQ's delayed delivery counts whole seconds and refuses less than one.
                countdown = math.ceil(countdown)
            return super().retry(*args, countdown=countdown, **options)

    celery = Celery(app.import_name, task_cls=FlaskTask)
    task_modules = app.extensions["omd_task_modules"]
    celery.conf.update(celery_config(app.config, app.instance_path, task_modules))
    # Imported here, so that `python -m omd_gov.tasking.heartbeat` (the probe) runs it fresh.
    from omd_gov.tasking import heartbeat

    heartbeat.install(celery)
    celery.set_default()
    app.extensions["celery"] = celery
    return celery


def get_celery(app: Flask | None = None) -> Celery:
    """This app's Celery (created on first use, e.g. in the web process)."""
    flask_app: Flask = app or current_app._get_current_object()  # type: ignore[attr-defined]
    celery = flask_app.extensions.get("celery")
    return celery if celery is not None else celery_app_for(flask_app)


def enqueue(name: str, *args: Any, expires: float | None = None) -> bool:
    """Publish a task by name; log (never raise) when the broker is unreachable."""
    try:
        get_celery().send_task(name, args=args, expires=expires)
    except Exception:
        log.exception("could not enqueue %s%r; the next sweep will find it", name, args)
        return False
    return True


def enqueue_after_commit(
    session: Session, name: str, *args: Any, expires: float | None = None
) -> None:
    """Publish ``name(*args)`` once the session's transaction commits (never if
    it rolls back)."""
    call_after_commit(session, lambda: enqueue(name, *args, expires=expires))
