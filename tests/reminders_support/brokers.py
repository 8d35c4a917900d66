"""A per-test Celery set-up on a real broker, and real workers (a thread, or
a subprocess that can be SIGKILLed)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker

from omd_gov.tasking.celery_app import AtomicFilesystemTransport, celery_app_for
from omd_gov.tasking.worker import worker_argv, worker_environment

REPO = Path(__file__).resolve().parents[2]
BROKERS = ("filesystem", "redis", "rabbitmq")
REDIS_URL = os.environ.get("OMD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
AMQP_URL = os.environ.get("OMD_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")


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
        self.env = worker_environment(
            app.config,
            OMD_SECRET_KEY="worker-test-secret",
            OMD_INSTANCE_DIR=str(tmp_path / "worker-instance"),
        )
        self.queue = app.config["OMD_CELERY_QUEUE"]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> WorkerProcess:
        command = worker_argv(self.queue, name=f"{self.queue}-{uuid.uuid4().hex[:4]}@%h")
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
