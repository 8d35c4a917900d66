"""Prometheus metrics: the instruments every part of the service counts with.

Multiprocess mode (gunicorn workers, Celery pool processes) is chosen by the
client library from ``PROMETHEUS_MULTIPROC_DIR`` when it is first imported;
this module is the only place that imports it for our instruments, so the
variable must be in the environment before the process starts
(docs/OPERATIONS.md, "Metrics").
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from time import perf_counter

from flask import Flask
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

# Latency buckets in seconds: API calls are milliseconds, renders and PDF
# conversions take seconds.
_REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_RENDER_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)

REQUEST_LATENCY = Histogram(
    "omd_http_request_duration_seconds",
    "HTTP request latency by route (the URL rule, never the raw path), method and status.",
    ("route", "method", "status"),
    buckets=_REQUEST_BUCKETS,
)

# outcome: "fired", "refused" (a guard or a permission said no) or "illegal"
# (the trigger is not allowed from the agreement's state).
TRANSITIONS = Counter(
    "omd_transitions_total",
    "Agreement transitions asked for, by trigger and outcome.",
    ("trigger", "outcome"),
)

# channel: "email" or "webhook"; a retried delivery is one that failed and
# will be tried again, a failed one has given up.
REMINDERS_SENT = Counter("omd_reminders_sent", "Deliveries sent, by channel.", ("channel",))
REMINDERS_FAILED = Counter(
    "omd_reminders_failed",
    "Deliveries given up after their last attempt, by channel.",
    ("channel",),
)
REMINDERS_RETRIED = Counter(
    "omd_reminders_retried",
    "Delivery attempts that failed and will be retried, by channel.",
    ("channel",),
)

DOCUMENTS_RENDERED = Counter(
    "omd_documents_rendered", "Documents rendered, by outcome (ok or failed).", ("outcome",)
)
RENDER_SECONDS = Histogram(
    "omd_document_render_duration_seconds",
    "Time to render one document from its template.",
    buckets=_RENDER_BUCKETS,
)
PDF_CONVERSIONS = Counter(
    "omd_pdf_conversions",
    "PDF conversions by LibreOffice, by outcome (ok or failed).",
    ("outcome",),
)
PDF_SECONDS = Histogram(
    "omd_pdf_conversion_duration_seconds",
    "Time to convert one document to PDF.",
    buckets=_RENDER_BUCKETS,
)


@contextmanager
def counted(outcomes: Counter, seconds: Histogram) -> Iterator[None]:
    """Count the block's outcome (ok or failed) and time the successful ones
    (a failure's time is mostly its time limit)."""
    started = perf_counter()
    try:
        yield
    except BaseException:
        outcomes.labels(outcome="failed").inc()
        raise
    outcomes.labels(outcome="ok").inc()
    seconds.observe(perf_counter() - started)


# Collectors computed at scrape time in the scraping process (e.g. the
# reminder backlog, read from the database), registered by the app factory.
Collect = Callable[[], Iterable[Metric]]
_COLLECTORS = "omd_metric_collectors"


def add_collector(app: Flask, collect: Collect) -> None:
    app.extensions.setdefault(_COLLECTORS, []).append(collect)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def exposition(app: Flask) -> bytes:
    """The text format of every instrument (summed over every process that
    writes to the multiprocess folder, when there is one) and of the app's
    collectors. Call it in an application context."""
    registry = CollectorRegistry()
    folder = multiprocess_dir()
    if folder:
        MultiProcessCollector(registry, path=folder)
    else:
        registry.register(_Calling(REGISTRY.collect))
    for collect in app.extensions.get(_COLLECTORS, []):
        registry.register(_Calling(collect, guarded=True))
    return generate_latest(registry)


class _Calling(Collector):
    def __init__(self, collect: Collect, guarded: bool = False):
        self._collect, self._guarded = collect, guarded

    def collect(self) -> Iterable[Metric]:
        if not self._guarded:
            return self._collect()
        try:
            return list(self._collect())
        except Exception:  # one broken collector must not lose the whole scrape
            log.exception("metrics collector %s failed", getattr(self._collect, "__name__", "?"))
            return []
