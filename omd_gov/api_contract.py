"""The API's published contract, kept in one place: bounded integers in paths,
415 for a body that is not JSON, and every operation's error responses
declared as ``application/problem+json`` with the one problem schema.

Integrators generate clients from ``/openapi.json``; whatever an operation
can answer must be in it, so the declarations are derived here from what
each route is (authenticated, has path ids, has a body, writes, checks
``If-Match``) rather than hand-written per view.
"""

from __future__ import annotations

from typing import Any

from apiflask import APIFlask
from apiflask.fields import Integer
from apiflask.validators import Range
from flask import current_app, request
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from omd_gov.errors import PROBLEM_JSON, ServiceError

# Ids and counters are SQL INTEGER on every database we support.
MAX_INT = 2**31 - 1
WRITE_METHODS = {"post", "put", "patch", "delete"}

ERROR_DESCRIPTIONS = {
    "400": "Malformed request (for example a body that is not valid JSON)",
    "401": "Missing, unknown or deactivated bearer token",
    "403": "The caller's role or organisation may not do this",
    "404": "No such resource, or not visible to the caller",
    "409": "Conflicts with the current state (illegal trigger, concurrent write)",
    "412": "If-Match names an older version",
    "413": "The request body is larger than the configured limit",
    "415": "The body is not application/json",
    "422": "The input is invalid, or a guard is not met; see errors",
    "428": "If-Match is required",
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An RFC 9457 problem; field-level errors are listed in errors.",
    "required": ["type", "title", "status", "detail", "errors"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "field": {"type": ["string", "null"]},
                    "message": {"type": "string"},
                    "code": {"type": "string"},
                },
            },
        },
    },
    "additionalProperties": True,
}


PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` holds 1..MAX_INT only: an id no row can have is a 404
    here, never an overflow inside the database driver. (Raising instead of
    werkzeug's ValidationError keeps it a 404 for every method: a rejected
    match would fall through to a 405 from a sibling rule.)"""

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_INT:
            raise NotFound(f"no resource has the id {value[:20]}")
        return number


def IdField(**kwargs: Any) -> Integer:
    """An id in a query or body: out of range is a 422 naming the field (the
    bounds are in the document too)."""
    return Integer(validate=Range(1, MAX_INT), **kwargs)


class UnsupportedMediaType(ServiceError):
    status, title, slug = 415, "Unsupported media type", "unsupported-media-type"


def install_routing(app: APIFlask) -> None:
    """Before any blueprint is registered: rules bind their converters then."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(_require_json_body)


def install_spec(app: APIFlask) -> None:
    """After the blueprints: rewrite every /api/v1 operation's responses."""

    @app.spec_processor
    def _declare(spec: dict[Any, Any] | str) -> dict[Any, Any] | str:
        assert isinstance(spec, dict)  # SPEC_FORMAT is json (the default)
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        schemas["Problem"] = PROBLEM_SCHEMA
        for unused in ("HTTPError", "ValidationError"):  # APIFlask's, replaced by Problem
            schemas.pop(unused, None)
        for operations in spec.get("paths", {}).values():
            for method, operation in operations.items():
                if method in WRITE_METHODS | {"get", "head"}:
                    _declare_operation(method, operation)
        return spec


def _require_json_body() -> None:
    """A JSON operation given a non-empty body of another type answers 415
    (not a confusing 'field missing' 422)."""
    view = current_app.view_functions.get(request.endpoint or "")
    spec = getattr(view, "_spec", None) or {}
    if not spec.get("body") or spec.get("content_type") != "application/json":
        return
    if (request.content_length or 0) > 0 and not request.is_json:
        raise UnsupportedMediaType(
            f"send the body as application/json, not {request.mimetype or 'no type'}"
        )


def _declare_operation(method: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for status in _error_statuses(method, operation):
        responses.setdefault(status, {"description": ERROR_DESCRIPTIONS[status]})
    for status, response in responses.items():
        if status[0] in "45":
            response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}
        elif len(response.get("content", {})) > 1 and not _json_schema(response):
            response["content"].pop("application/json", None)  # a file: see file_response
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        if parameter.get("in") == "path" and schema.get("type") == "integer":
            schema.update(minimum=1, maximum=MAX_INT)


def file_response(description: str, *mimetypes: str) -> Any:
    """A ``@bp.doc(responses={200: file_response(...)})`` entry for a view
    that answers with a file or plain text instead of JSON."""
    schema = {"type": "string", "format": "binary"}
    return {"description": description, "content": {m: {"schema": schema} for m in mimetypes}}


def _json_schema(response: dict[str, Any]) -> dict[str, Any]:
    return dict(response.get("content", {}).get("application/json", {}).get("schema") or {})


def _error_statuses(method: str, operation: dict[str, Any]) -> list[str]:
    statuses = ["400", "422"]
    if operation.get("security"):
        statuses += ["401", "403"]
    if operation.get("parameters") or "requestBody" in operation:
        statuses.append("404")  # the resource, or one the query or body names
    if "requestBody" in operation:
        statuses += ["413", "415"]
    if method in WRITE_METHODS:
        statuses.append("409")
    return statuses
