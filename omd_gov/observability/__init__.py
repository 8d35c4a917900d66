"""Operations: health checks, Prometheus metrics, structured logs with a
request id (carried into Celery tasks) and security headers.

``install(app)`` wires all of it into an app; the web server and the Celery
worker both build the app, so both have it. docs/OPERATIONS.md tells how
to use each part.
"""

from __future__ import annotations

from flask import Flask

from omd_gov.observability import celery_context, headers, health, logs, metrics_api, request_log
from omd_gov.observability.metrics import add_collector

__all__ = ["add_collector", "install"]


def install(app: Flask) -> None:
    """Call early in the factory: the request id must be set before any
    other ``before_request`` hook logs."""
    logs.configure(app)
    request_log.install(app)
    headers.install(app)
    celery_context.connect()
    app.register_blueprint(health.bp)
    app.register_blueprint(metrics_api.bp)
