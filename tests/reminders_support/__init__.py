"""Real parts for the reminder and notification tests (no tests here).

- ``smtp``: an in-process SMTP server (aiosmtpd) that records, or stalls on DATA;
- ``brokers``: a per-test Celery set-up on one of the three brokers (embedded
  filesystem, Redis, RabbitMQ) with a unique queue and key prefix, torn down
  afterwards (an unreachable broker FAILS the test, it is never skipped), and
  a real worker: in-process, or a ``celery -A celery_worker worker``
  subprocess that can be SIGKILLed;
- ``waiting``: ``settle()`` waits until the database says nothing is owed,
  and ``advance()`` walks an agreement through its triggers.
"""

from tests.reminders_support.brokers import (
    AMQP_URL,
    BROKERS,
    REDIS_URL,
    TEST_CONFIG,
    WorkerProcess,
    broker_url,
    on_broker,
    require_broker,
    worker_thread,
)
from tests.reminders_support.smtp import LISBON, Received, SmtpSink, free_port, smtp_sink
from tests.reminders_support.waiting import (
    advance,
    fire,
    fresh_snapshot,
    happy_path,
    outstanding,
    settle,
)

__all__ = [
    "AMQP_URL",
    "BROKERS",
    "LISBON",
    "REDIS_URL",
    "TEST_CONFIG",
    "Received",
    "SmtpSink",
    "WorkerProcess",
    "advance",
    "broker_url",
    "fire",
    "free_port",
    "fresh_snapshot",
    "happy_path",
    "on_broker",
    "outstanding",
    "require_broker",
    "settle",
    "smtp_sink",
    "worker_thread",
]
