"""HTTP conditional requests: ETags are a row's version, ``If-Match`` guards
writes against lost updates (RFC 9110 §13.1.1)."""

from __future__ import annotations

from flask import request

from omd_gov.errors import PreconditionFailed, PreconditionRequired


def etag(version: int) -> str:
    return f'"{version}"'


def check_if_match(current_version: int, *, required: bool, what: str) -> None:
    """412 when ``If-Match`` names another version; 428 when it is required
    and missing. Without the header (and not required) the write goes ahead."""
    header = request.headers.get("If-Match")
    if not header:
        if required:
            raise PreconditionRequired("send If-Match with the ETag from your last GET")
        return
    value = header.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise PreconditionFailed(f"If-Match {header!r} is not an ETag of this API")
    if int(value) != current_version:
        raise PreconditionFailed(
            f"the {what} is at version {current_version}; reload it",
            current_etag=etag(current_version),
        )
