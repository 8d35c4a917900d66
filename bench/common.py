"""Small pieces the benchmarks share."""

from __future__ import annotations

import socket
import uuid

from flask import Flask

from omd_gov import create_app
from omd_gov.migrate import upgrade


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def migrated_app_on_redis(database_url: str, redis_url: str) -> tuple[Flask, str]:
    """The app on a migrated database, with its own Celery queue and Redis key
    prefix (so a bench never touches anyone else's messages)."""
    queue = f"omd-bench-{uuid.uuid4().hex[:8]}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "bench",
            "OMD_BROKER_URL": redis_url,
            "OMD_CELERY_QUEUE": queue,
            "OMD_BROKER_KEY_PREFIX": f"{queue}:",
        }
    )
    upgrade(app)
    return app, queue


def drop_queue(redis_url: str, queue: str) -> None:
    """Remove the bench's own broker keys (its queue prefix), nobody else's."""
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{queue}:*"))
    if keys:
        client.delete(*keys)
