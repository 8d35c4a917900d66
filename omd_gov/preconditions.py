"""Conditional requests: an ETag is a row's version, and ``If-Match`` guards a
write against lost updates (RFC 9110 §13.1.1). The header is read here, at the
HTTP edge; services compare versions with :func:`require_version`."""

from __future__ import annotations

from flask import request

from omd_gov.errors import PreconditionFailed, PreconditionRequired


def etag(version: int) -> str:
    return f'"{version}"'


def if_match() -> int | None:
    """The version named by ``If-Match``, or None when the header is absent."""
    header = request.headers.get("If-Match")
    if not header:
        return None
    value = header.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise PreconditionFailed(f"If-Match {header!r} is not an ETag of this API")
    return int(value)


def require_version(current: int, expected: int | None, what: str, *, required: bool) -> None:
    """428 when a required ``If-Match`` is missing; 412 when the client edited
    an older version than the current one."""
    if expected is None and required:
        raise PreconditionRequired("send If-Match with the ETag from your last GET")
    if expected is not None and expected != current:
        raise PreconditionFailed(
            f"the {what} is at version {current}; reload it", current_etag=etag(current)
        )
