"""``GET /metrics``: the Prometheus text format, for a scraper holding
``OMD_METRICS_TOKEN`` as its bearer token (compared in constant time).
Without a configured token the endpoint does not exist (404), so a fresh
install exposes nothing. Left out of the OpenAPI document."""

from __future__ import annotations

import hashlib
import hmac

from flask import Blueprint, Response, abort, current_app, request

from omd_gov.errors import problem
from omd_gov.observability.metrics import exposition

bp = Blueprint("metrics", __name__)
# The classic text format, which every Prometheus version reads.
TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8"


@bp.get("/metrics")
def metrics() -> Response:
    expected = current_app.config["OMD_METRICS_TOKEN"]
    if not expected:
        abort(404)
    if not _bearer_matches(expected):
        response = problem(
            401, "Unauthorized", "a valid metrics token is required", "metrics-token"
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    response = Response(exposition(current_app), content_type=TEXT_FORMAT)
    response.headers["Cache-Control"] = "no-store"
    return response


def _bearer_matches(expected: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    # Digests of equal length: the comparison time says nothing about the token.
    return scheme.lower() == "bearer" and hmac.compare_digest(
        hashlib.sha256(given.strip().encode()).digest(),
        hashlib.sha256(expected.encode()).digest(),
    )
