"""Real parts for the reminder tests (this module holds no tests itself).

- an in-process SMTP server (aiosmtpd) that records, or stalls on DATA;
- a per-test Celery set-up on one of the three brokers (embedded filesystem,
  Redis, RabbitMQ) with a unique queue and key prefix, torn down afterwards;
  an unreachable broker FAILS the test, it is never skipped;
- a real worker: in-process (``celery.contrib.testing.worker``) or a
  ``celery -A celery_worker worker`` subprocess that can be SIGKILLed;
- ``settle()``: wait until the database says nothing is owed any more.
"""

from __future__ import annotations

import asyncio
import email
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from flask import has_app_context
from sqlalchemy import func, select, text

from omd_gov.celery_app import AtomicFilesystemTransport, celery_app_for
from omd_gov.db import db, utcnow
from omd_gov.deadlines.models import Reminder
from omd_gov.notifications.models import Delivery

REPO = Path(__file__).resolve().parents[2]
BROKERS = ("filesystem", "redis", "rabbitmq")
REDIS_URL = os.environ.get("OMD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
AMQP_URL = os.environ.get("OMD_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
LISBON = ZoneInfo("Europe/Lisbon")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- SMTP -----------------------------------------------------------------


@dataclass
class Received:
    at: datetime  # the application clock when it arrived (time-travel aware)
    rcpt: list[str]
    message: EmailMessage

    @property
    def local_day(self) -> date:
        return self.at.astimezone(LISBON).date()


@dataclass
class SmtpSink:
    """Records every accepted message. With ``stall`` set, DATA hangs (the
    client waits for the final reply) until ``release`` is set, then 451."""

    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    stall: threading.Event = field(default_factory=threading.Event)
    stalled: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    controller: Any = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        if self.stall.is_set():
            self.stalled.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 try again later"
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        self.received.append(Received(utcnow(), list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 2.0.0 OK"

    def start(self) -> SmtpSink:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Received]:
        end = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < end:
            time.sleep(0.02)
        return list(self.received)


@contextmanager
def smtp_sink(start: bool = True) -> Iterator[SmtpSink]:
    sink = SmtpSink()
    if start:
        sink.start()
    try:
        yield sink
    finally:
        sink.stop()


# --- brokers --------------------------------------------------------------


def broker_url(kind: str, tmp_path: Path) -> str:
    if kind == "filesystem":
        return f"filesystem://{tmp_path / 'broker'}"
    return {"redis": REDIS_URL, "rabbitmq": AMQP_URL}[kind]


def require_broker(kind: str, url: str) -> None:
    """The broker must be there: fail loudly, never skip."""
    try:
        if kind == "redis":
            import redis

            redis.Redis.from_url(url, socket_connect_timeout=3).ping()
        elif kind == "rabbitmq":
            from kombu import Connection

            with Connection(url, connect_timeout=3) as connection:
                connection.ensure_connection(max_retries=1)
    except Exception as error:
        pytest.fail(f"{kind} broker at {url} is required but unreachable: {error}", pytrace=False)


def _drop_broker_objects(kind: str, url: str, queue: str) -> None:
    """Remove only what this test created (its queues / its key prefix)."""
    if kind == "redis":
        import redis

        client = redis.Redis.from_url(url)
        keys = list(client.scan_iter(match=f"{queue}:*", count=500))
        if keys:
            client.delete(*keys)
    elif kind == "rabbitmq":
        from kombu import Connection

        with Connection(url) as connection:
            channel = connection.channel()
            for name in (queue, f"{queue}-other"):
                for drop in (channel.queue_delete, channel.exchange_delete):
                    try:
                        drop(name)
                    except Exception:  # noqa: S110 - absent already
                        channel = connection.channel()


TEST_CONFIG = {
    "OMD_BROKER_POLL_SECONDS": 0.05,
    "OMD_RETRY_BACKOFF_SECONDS": 0.1,
    "OMD_RETRY_BACKOFF_MAX_SECONDS": 0.4,
    "OMD_TASK_MAX_RETRIES": 3,
    "OMD_DELIVERY_LEASE_SECONDS": 60.0,
    "OMD_FAILED_RETRY_SECONDS": 1.0,
    "OMD_SMTP_TIMEOUT": 10.0,
    "OMD_SWEEP_SECONDS": 300.0,
    "OMD_PUBLIC_URL": "https://omd.test",
}


@contextmanager
def on_broker(app: Any, kind: str, tmp_path: Path, **overrides: Any) -> Iterator[Celery]:
    """Point the app at a fresh queue on ``kind`` for one test."""
    queue = f"omd-test-{uuid.uuid4().hex[:12]}"
    url = broker_url(kind, tmp_path)
    require_broker(kind, url)
    config = (
        TEST_CONFIG
        | overrides
        | {
            "OMD_BROKER_URL": url,
            "OMD_CELERY_QUEUE": queue,
            "OMD_BROKER_KEY_PREFIX": f"{queue}:",
        }
    )
    saved = {key: app.config.get(key) for key in config}
    saved_celery = app.extensions.get("celery")
    app.config.update(config)
    celery = celery_app_for(app)
    # Other features' tasks (document rendering) go to a queue nobody consumes here.
    celery.conf.update(
        worker_enable_remote_control=False,
        broker_heartbeat=0,
        task_routes={"omd.documents.*": {"queue": f"{queue}-other"}},
    )
    try:
        yield celery
    finally:
        app.config.update(saved)
        if saved_celery is not None:
            app.extensions["celery"] = saved_celery
        else:
            app.extensions.pop("celery", None)
        celery.close()
        _drop_broker_objects(kind, url, queue)


@contextmanager
def worker_thread(celery: Celery, pool: str = "solo", concurrency: int = 1) -> Iterator[Any]:
    """An in-process worker (in a thread) consuming the test's queue."""
    original = AtomicFilesystemTransport.drain_events

    def drain_briefly(self: Any, connection: Any, timeout: float | None = None) -> Any:
        # The worker loop checks for shutdown between drains of up to 2 s; on the
        # polling transport, drain in short slices so a test's worker stops at once.
        return original(self, connection, timeout=min(timeout or 0.2, 0.2))

    with (
        mock.patch.object(AtomicFilesystemTransport, "drain_events", drain_briefly),
        start_worker(
            celery,
            pool=pool,
            concurrency=concurrency,
            perform_ping_check=False,
            shutdown_timeout=15,
            loglevel="WARNING",
        ) as worker,
    ):
        yield worker


class WorkerProcess:
    """``celery -A celery_worker worker`` in a subprocess, configured like ``app``."""

    def __init__(self, app: Any, tmp_path: Path):
        self.log_path = tmp_path / f"worker-{uuid.uuid4().hex[:6]}.log"
        env = dict(os.environ)
        for key, value in app.config.items():
            if key.startswith("OMD_") and isinstance(value, str | int | float | bool):
                env[key] = ("1" if value else "0") if isinstance(value, bool) else str(value)
        env.update(
            OMD_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
            OMD_SECRET_KEY="worker-test-secret",
            OMD_INSTANCE_DIR=str(tmp_path / "worker-instance"),
        )
        self.env, self.queue = env, app.config["OMD_CELERY_QUEUE"]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> WorkerProcess:
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "celery_worker",
            "worker",
            "--pool",
            "solo",
            "-Q",
            self.queue,
            "-n",
            f"{self.queue}-{uuid.uuid4().hex[:4]}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "INFO",
        ]
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(command, cwd=REPO, env=self.env, stdout=log, stderr=log)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if "ready." in self.log_path.read_text(errors="replace"):
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"the worker did not start:\n{self.log_path.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no cleanup, no acks, nothing."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        """Tests need no graceful drain (and a warm shutdown on AMQP takes seconds)."""
        if self.process is not None and self.process.poll() is None:
            self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


# --- waiting on the database ----------------------------------------------


def outstanding(app: Any) -> int:
    """Due but unclaimed reminders plus deliveries nobody has finished."""
    with app.app_context():
        now = utcnow()
        due = db.session.execute(
            select(func.count())
            .select_from(Reminder)
            .where(Reminder.status == "scheduled", Reminder.scheduled_for <= now)
        ).scalar_one()
        unfinished = db.session.execute(
            select(func.count())
            .select_from(Delivery)
            .where(text("status IN ('pending', 'sending')"))
        ).scalar_one()
        db.session.remove()
    return int(due) + int(unfinished)


def fresh_snapshot() -> None:
    """The ``factory`` fixture keeps one app context (so one session) for the
    whole test, and test-client requests reuse it. On SQLite its open read
    transaction would keep an old snapshot and miss the worker's commits."""
    if has_app_context():
        db.session.rollback()


def settle(app: Any, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while (left := outstanding(app)) and time.monotonic() < end:
        time.sleep(0.03)
    fresh_snapshot()
    assert not left, f"{left} reminders/deliveries still outstanding after {timeout}s"


def fire(world: Any, agreement_id: int, account: Any, trigger: str, comment: str = "") -> Any:
    """Fire a trigger, retrying a 409 "concurrent write" as the API asks
    clients to (a write racing the worker's; rare since units of work take
    SQLite's write lock up front)."""
    for _attempt in range(5):
        fresh_snapshot()
        response = world.fire(agreement_id, account, trigger, comment)
        if response.status_code != 409 or "concurrent-write" not in response.json["type"]:
            return response
        time.sleep(0.1)
    return response


def advance(world: Any, agreement_id: int, *steps: tuple[str, Any]) -> None:
    """Fire triggers in order; generate the DSA first where signing needs one."""
    for trigger, account in steps:
        fresh_snapshot()
        if trigger == "send_for_signature":
            response = world.api.as_(account).post(
                f"/api/v1/agreements/{agreement_id}/documents",
                json={"kind": "dsa", "language": "en"},
            )
            assert response.status_code == 201, response.json
        response = fire(world, agreement_id, account, trigger)
        assert response.status_code == 200, (trigger, response.json)


def happy_path(world: Any) -> list[tuple[str, Any]]:
    return [
        ("submit", world.data_officer),
        ("approve", world.legal),
        ("send_for_signature", world.legal),
        ("sign", world.sign_city),
        ("sign", world.sign_partner),
    ]
