"""The register's public feeds: ``/register.json`` and ``/register.csv``,
every entry (withdrawn ones as tombstones), streamed a page of entries at a
time so the server's memory stays flat however large the register. No
sign-in; limited per address (``OMD_REGISTER_RATE_LIMIT``); cacheable, with
an ETag that changes whenever any entry may have (``queries.fingerprint``)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, current_app, request, stream_with_context

from omd_gov.db import db, utcnow
from omd_gov.ratelimit import public_read
from omd_gov.register import queries
from omd_gov.register.feeds import csv_feed, json_feed

public_bp = Blueprint("register_public", __name__)

PAGE = 500  # entries read per statement batch while streaming…
FIRST_PAGE = 20  # …after a small first one, so the first entries leave at once
CACHE = "public, max-age=300"


def all_entries(base_url: str) -> Iterator[dict[str, Any]]:
    """Every entry as the public sees it, in publication-id order, a page at a
    time (each page's objects are let go before the next is read)."""
    after, size = 0, FIRST_PAGE
    while page := queries.page_of_entries(db.session, after, size):
        yield from queries.public_page(db.session, page, base_url)
        after, size = page[-1].id, PAGE
        db.session.expunge_all()


def etag_of(kind: str) -> str:
    """The register's ETag for one representation."""
    seen = repr((kind, queries.fingerprint(db.session)))
    return hashlib.sha256(seen.encode()).hexdigest()[:32]


def cached(kind: str) -> tuple[str, Response | None]:
    """The ETag, and a 304 when the client's copy is current."""
    etag = etag_of(kind)
    if request.if_none_match.contains(etag):
        not_modified = Response(status=304)
        not_modified.set_etag(etag)
        not_modified.headers["Cache-Control"] = CACHE
        return etag, not_modified
    return etag, None


def _streamed(body: Iterator[str], mimetype: str, etag: str, **headers: str) -> Response:
    response = Response(stream_with_context(body), mimetype=mimetype)
    response.set_etag(etag)
    response.headers.update({"Cache-Control": CACHE, **headers})
    return response


@public_bp.get("/register.json")
@public_read
def register_json() -> Response:
    etag, unchanged = cached("json")
    if unchanged is not None:
        return unchanged
    base = current_app.config["OMD_PUBLIC_URL"].rstrip("/")
    header = {"register": f"{base}/register", "generated_at": utcnow()}
    return _streamed(json_feed(all_entries(base), header), "application/json", etag)


@public_bp.get("/register.csv")
@public_read
def register_csv() -> Response:
    etag, unchanged = cached("csv")
    if unchanged is not None:
        return unchanged
    base = current_app.config["OMD_PUBLIC_URL"]
    disposition = 'attachment; filename="register.csv"'
    return _streamed(
        csv_feed(all_entries(base)), "text/csv", etag, **{"Content-Disposition": disposition}
    )
