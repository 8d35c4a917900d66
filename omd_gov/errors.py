"""Service errors and their RFC 9457 ``application/problem+json`` rendering.

Services raise :class:`ServiceError` subclasses (no Flask needed); the app
turns them, and every HTTP and validation error, into one problem shape:
``{type, title, status, detail, errors: [{field, message, code}], ...}``.
"""

from __future__ import annotations

from typing import Any

from apiflask import APIFlask
from apiflask.exceptions import HTTPError
from flask import Response, jsonify
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import BadRequest

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://omd-gov.example/problems/"


class ServiceError(Exception):
    status = 400
    title = "Bad request"
    slug = "bad-request"

    def __init__(self, detail: str, errors: list[dict[str, Any]] | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.extra = extra


class NotFound(ServiceError):
    status, title, slug = 404, "Not found", "not-found"


class Forbidden(ServiceError):
    status, title, slug = 403, "Forbidden", "forbidden"


class Conflict(ServiceError):
    status, title, slug = 409, "Conflict", "conflict"


class IllegalTrigger(Conflict):
    title, slug = "Illegal trigger", "illegal-trigger"


class PreconditionFailed(ServiceError):
    status, title, slug = 412, "Precondition failed", "stale-version"


class PreconditionRequired(ServiceError):
    status, title, slug = 428, "Precondition required", "if-match-required"


class Unprocessable(ServiceError):
    status, title, slug = 422, "Unprocessable content", "invalid"


class GuardFailed(Unprocessable):
    title, slug = "Conditions not met", "guard-failed"


def problem(status: int, title: str, detail: str, slug: str, **extra: Any) -> Response:
    body = {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail}
    body["errors"] = []  # the one problem shape always has its field-level list
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    return response


# APIFlask nests validation errors under the request location; the field
# path is what a client needs.
REQUEST_LOCATIONS = ("json", "query", "form", "files", "form_and_files", "headers")


def _flatten(detail: Any, prefix: str = "") -> list[dict[str, Any]]:
    """Turn marshmallow's nested error dict into a flat list of field errors."""
    if isinstance(detail, dict):
        out: list[dict[str, Any]] = []
        for key, value in detail.items():
            if key in REQUEST_LOCATIONS and not prefix:
                out += _flatten(value, "")
            else:
                out += _flatten(value, f"{prefix}.{key}" if prefix else str(key))
        return out
    if isinstance(detail, list) and all(isinstance(item, str) for item in detail):
        return [{"field": prefix or None, "message": message} for message in detail]
    return [{"field": prefix or None, "message": str(detail)}]


def _http_error(error: HTTPError) -> Response:
    errors = _flatten(error.detail) if error.detail else []
    detail = "; ".join(
        f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors
    )
    response = problem(
        error.status_code,
        error.message or "Error",
        detail or (error.message or ""),
        f"http-{error.status_code}",
        errors=errors,
        **(error.extra_data or {}),
    )
    response.headers.update(error.headers or {})
    return response


def register_error_handlers(app: APIFlask) -> None:
    app.error_processor(_http_error)

    @app.errorhandler(ServiceError)
    def _service_error(error: ServiceError) -> Response:
        return problem(
            error.status, error.title, error.detail, error.slug, errors=error.errors, **error.extra
        )

    @app.errorhandler(BadRequest)
    def _bad_request(error: BadRequest) -> Response:
        # webargs attaches the JSON decoding error: say where the body is broken.
        cause = getattr(error, "exc", None)
        message = f"malformed JSON body: {cause}" if cause else str(error.description)
        errors = [{"field": None, "message": message}]
        return problem(400, "Bad request", message, "bad-request", errors=errors)

    @app.errorhandler(StaleDataError)
    def _stale(_error: StaleDataError) -> Response:
        return problem(
            409,
            "Conflict",
            "the record was changed concurrently; reload and retry",
            "concurrent-write",
        )

    @app.errorhandler(OperationalError)
    def _operational(error: OperationalError) -> Response:
        if "locked" in str(error.orig).lower() or "could not serialize" in str(error.orig).lower():
            return problem(409, "Conflict", "a concurrent write won; retry", "concurrent-write")
        raise error

    @app.errorhandler(IntegrityError)
    def _integrity(_error: IntegrityError) -> Response:
        return problem(409, "Conflict", "the change conflicts with existing data", "integrity")
