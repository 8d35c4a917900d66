"""Prometheus metrics: the instruments every part of the service counts with.

Multiprocess mode (gunicorn workers, Celery pool processes) is chosen by the
client library from ``PROMETHEUS_MULTIPROC_DIR`` when it is first imported;
this module is the only place that imports it for our instruments, so the
variable must be in the environment before the process starts
(docs/OPERATIONS.md, "Metrics").
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

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
    "omd_documents_rendered", "Documents rendered, by outcome (ok or error).", ("outcome",)
)
RENDER_SECONDS = Histogram(
    "omd_document_render_duration_seconds",
    "Time to render one document from its template.",
    buckets=_RENDER_BUCKETS,
)
PDF_CONVERSIONS = Counter(
    "omd_pdf_conversions", "PDF conversions by LibreOffice, by outcome.", ("outcome",)
)
PDF_SECONDS = Histogram(
    "omd_pdf_conversion_duration_seconds",
    "Time to convert one document to PDF.",
    buckets=_RENDER_BUCKETS,
)
