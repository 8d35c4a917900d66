"""One log line and one latency observation per request, under its request id.

The route is the URL rule (``/api/v1/agreements/<int:agreement_id>``), never
the raw path: paths carry ids, and the calendar feed's query carries its
secret token, so neither is logged nor used as a metric label.
"""

from __future__ import annotations

import logging
from time import perf_counter

from flask import Flask, Response, g, request

from omd_gov.observability import context
from omd_gov.observability.metrics import REQUEST_LATENCY

log = logging.getLogger("omd_gov.request")

UNMATCHED = "<unmatched>"  # 404s and 405s: one label, whatever was asked for
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Probes and scrapes arrive every few seconds: logged at DEBUG, still measured.
_QUIET_PREFIXES = ("/healthz/", "/metrics")


def install(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_forget)


def _start() -> None:
    g.omd_started = perf_counter()
    g.omd_request_id = context.accept(request.headers.get(context.HEADER))
    context.set_current(g.omd_request_id)


def _finish(response: Response) -> Response:
    request_id = g.get("omd_request_id") or context.accept(None)
    started = g.get("omd_started")
    seconds = perf_counter() - started if started is not None else 0.0
    route = request.url_rule.rule if request.url_rule is not None else UNMATCHED
    method = request.method if request.method in _METHODS else "OTHER"
    REQUEST_LATENCY.labels(route=route, method=method, status=str(response.status_code)).observe(
        seconds
    )
    response.headers[context.HEADER] = request_id
    fields = {
        "method": method,
        "route": route,
        "status": response.status_code,
        "duration_ms": round(seconds * 1000, 2),
        "request_id": request_id,
    }
    user = g.get("flask_httpauth_user")  # set by the bearer-token check, if it ran
    if getattr(user, "id", None) is not None:
        fields["user_id"] = user.id
    level = logging.DEBUG if route.startswith(_QUIET_PREFIXES) else logging.INFO
    log.log(level, "%s %s %s", method, route, response.status_code, extra={"fields": fields})
    return response


def _forget(_error: BaseException | None) -> None:
    context.set_current(None)
