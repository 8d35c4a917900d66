"""Celery wiring for the deadlines: beat schedule, broker options, and the
embedded filesystem transport under concurrent consumers."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery
from kombu import Connection, Queue

from omd_gov import TASK_MODULES
from omd_gov.config import load_config
from omd_gov.deadlines.tasks import SWEEP_TASK
from omd_gov.tasking.celery_app import AtomicFilesystemTransport, celery_config
from tests.reminders_support import REDIS_URL, require_broker


def _config(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    return load_config(tmp_path) | overrides


def _celery(config: dict[str, Any], tmp_path: Path) -> Celery:
    celery = Celery("omd-test", set_as_current=False)
    celery.conf.update(celery_config(config, str(tmp_path), TASK_MODULES))
    return celery


def test_beat_publishes_a_registered_sweep_that_expires_after_one_period(
    tmp_path: Path,
) -> None:
    """What beat sends lands in the embedded broker's folder under the
    instance, names a task the worker has, and is dropped if it waits longer
    than one sweep period."""
    celery = _celery(_config(tmp_path, OMD_SWEEP_SECONDS=120.0), tmp_path)
    celery.loader.import_default_modules()  # what a worker does: the tasks register
    entry = celery.conf.beat_schedule["deadlines-sweep"]
    assert entry["task"] == SWEEP_TASK and SWEEP_TASK in celery.tasks
    before = datetime.now(UTC)
    celery.send_task(entry["task"], **entry["options"])
    (message,) = [p for p in (tmp_path / "broker" / "queue").iterdir() if p.suffix == ".msg"]
    expires = datetime.fromisoformat(json.loads(message.read_text())["headers"]["expires"])
    assert before + timedelta(seconds=119) <= expires <= datetime.now(UTC) + timedelta(seconds=121)
    celery.close()


def test_redis_keys_carry_the_prefix_and_retries_must_fit_the_visibility_timeout(
    tmp_path: Path,
) -> None:
    prefix = f"omd-test-{uuid.uuid4().hex[:12]}:"
    config = _config(tmp_path, OMD_BROKER_URL=REDIS_URL, OMD_BROKER_KEY_PREFIX=prefix)
    require_broker("redis", REDIS_URL)
    celery = _celery(config, tmp_path)
    client = redis.Redis.from_url(REDIS_URL)
    try:
        celery.send_task(SWEEP_TASK)
        # The message waits under the prefix, so deployments can share one Redis.
        assert client.llen(prefix + config["OMD_CELERY_QUEUE"]) == 1
    finally:
        celery.close()
        mine = list(client.scan_iter(match=f"{prefix}*", count=500))
        if mine:
            client.delete(*mine)
    too_long = config | {"OMD_RETRY_BACKOFF_MAX_SECONDS": 50000.0}
    with pytest.raises(ValueError, match="VISIBILITY_TIMEOUT"):
        celery_config(too_long, str(tmp_path), TASK_MODULES)


def test_filesystem_transport_delivers_each_message_once_to_racing_consumers(
    tmp_path: Path,
) -> None:
    options = celery_config(_config(tmp_path), str(tmp_path), TASK_MODULES)[
        "broker_transport_options"
    ]
    queue = Queue("race", routing_key="race")
    with (
        Connection(
            "filesystem://", transport=AtomicFilesystemTransport, transport_options=options
        ) as producer,
        producer.Producer() as publish,
    ):
        for number in range(200):
            publish.publish({"n": number}, routing_key="race", declare=[queue])
    seen: list[int] = []
    lock = threading.Lock()

    def consume() -> None:
        with Connection(
            "filesystem://", transport=AtomicFilesystemTransport, transport_options=options
        ) as connection:
            simple = connection.SimpleQueue(queue)
            while True:
                try:
                    message = simple.get(timeout=0.3)
                except simple.Empty:
                    return
                with lock:
                    seen.append(message.payload["n"])
                message.ack()

    workers = [threading.Thread(target=consume) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert sorted(seen) == list(range(200))
