"""Celery wiring for the deadlines: beat schedule, broker options, and the
embedded filesystem transport under concurrent consumers."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from kombu import Connection, Queue

from omd_gov.celery_app import SWEEP_TASK, AtomicFilesystemTransport, celery_config
from omd_gov.config import load_config


def _config(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    return load_config(tmp_path) | overrides


def test_beat_sweeps_every_period_and_drops_stale_sweeps(tmp_path: Path) -> None:
    conf = celery_config(_config(tmp_path, OMD_SWEEP_SECONDS=120.0), str(tmp_path))
    entry = conf["beat_schedule"]["deadlines-sweep"]
    assert (entry["task"], entry["schedule"], entry["options"]) == (
        SWEEP_TASK,
        120.0,
        {"expires": 120.0},
    )
    assert conf["task_acks_late"] and conf["worker_prefetch_multiplier"] == 1
    assert conf["beat_schedule_filename"] == str(tmp_path / "celerybeat-schedule")


def test_embedded_broker_is_the_atomic_filesystem_transport(tmp_path: Path) -> None:
    conf = celery_config(_config(tmp_path), str(tmp_path))
    assert conf["broker_url"] == "filesystem://"
    assert conf["broker_transport"].endswith(":AtomicFilesystemTransport")
    assert conf["broker_transport_options"]["data_folder_in"] == str(tmp_path / "broker" / "queue")
    assert (tmp_path / "broker" / "processed").is_dir()


def test_redis_gets_one_visibility_timeout_longer_than_any_retry(tmp_path: Path) -> None:
    redis = _config(
        tmp_path, OMD_BROKER_URL="redis://127.0.0.1:6379/0", OMD_BROKER_KEY_PREFIX="omd:"
    )
    conf = celery_config(redis, str(tmp_path))
    assert conf["broker_transport"] is None
    assert conf["broker_transport_options"] == {
        "visibility_timeout": 43200,
        "global_keyprefix": "omd:",
    }
    assert conf["result_backend_transport_options"] == conf["broker_transport_options"]
    too_long = redis | {"OMD_RETRY_BACKOFF_MAX_SECONDS": 50000.0}
    with pytest.raises(ValueError, match="VISIBILITY_TIMEOUT"):
        celery_config(too_long, str(tmp_path))
    amqp = _config(tmp_path, OMD_BROKER_URL="amqp://guest:guest@127.0.0.1:5672//")
    assert celery_config(amqp, str(tmp_path))["broker_transport_options"] == {}


def test_filesystem_transport_delivers_each_message_once_to_racing_consumers(
    tmp_path: Path,
) -> None:
    options = celery_config(_config(tmp_path), str(tmp_path))["broker_transport_options"]
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
