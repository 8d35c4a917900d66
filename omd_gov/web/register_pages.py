"""The public transparency register in HTML: ``/register`` (searchable by
the entries' public words, filterable by status, a page at a time) and
``/register/{reference}`` (one entry, or its tombstone). No sign-in; the same
per-address allowance and cache headers as the feeds; the page's language is
the browser's. Only the redacted public view is ever shown
(``register.queries.public_page``)."""

from __future__ import annotations

from typing import Any

from flask import current_app, make_response, render_template, request
from werkzeug.wrappers import Response

from omd_gov.db import db
from omd_gov.errors import NotFound
from omd_gov.ratelimit import public_read
from omd_gov.register import queries
from omd_gov.register.extract import entry_document
from omd_gov.register.public import CACHE, etag_of
from omd_gov.web.blueprint import bp
from omd_gov.web.language import select_language

PER_PAGE = 20
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
STATUSES = (*queries.STATUS_STATES, "withdrawn")


def _cacheable(page: str, kind: str) -> Response:
    """The page with Cache-Control and an ETag (per language and query)."""
    response = make_response(page)
    response.set_etag(etag_of(kind))
    response.headers["Cache-Control"] = CACHE
    response.headers["Vary"] = "Accept-Language"
    return response.make_conditional(request)


def _query() -> dict[str, Any]:
    status = request.args.get("status", "")
    page = request.args.get("page", "1")
    return {
        "q": request.args.get("q", "").strip()[:200],
        "status": status if status in STATUSES else "",
        "page": int(page) if page.isdigit() and 0 < int(page) <= 10_000 else 1,
    }


@bp.get("/register")
@public_read
def register() -> Response:
    query = _query()
    found, total = queries.search_entries(
        db.session, query["q"], query["status"] or None, query["page"], PER_PAGE
    )
    base = current_app.config["OMD_PUBLIC_URL"]
    page = render_template(
        "register.html",
        entries=queries.public_page(db.session, found, base),
        total=total,
        query=query,
        pages=max(1, -(-total // PER_PAGE)),
        statuses=STATUSES,
    )
    kind = f"register-page:{select_language()}:{sorted(query.items())}"
    return _cacheable(page, kind)


def _shown(reference: str) -> dict[str, Any]:
    """The entry as the public sees it, or a 404 page."""
    entry = queries.entry_by_reference(db.session, reference[:40])
    if entry is None:
        raise NotFound(f"the register has no entry {reference[:40]}")
    return queries.shown(db.session, entry, current_app.config["OMD_PUBLIC_URL"])


@bp.get("/register/<reference>/document.docx")
@public_read
def register_document(reference: str) -> Response:
    """The entry's published document, written from its public view only."""
    shown = _shown(reference)
    response = make_response(entry_document(shown))
    response.mimetype = DOCX
    response.headers["Content-Disposition"] = f'attachment; filename="{shown["reference"]}.docx"'
    response.set_etag(etag_of(f"register-document:{reference}"))
    response.headers["Cache-Control"] = CACHE
    return response.make_conditional(request)


@bp.get("/register/<reference>")
@public_read
def register_entry(reference: str) -> Response:
    page = render_template("register_entry.html", entry=_shown(reference))
    return _cacheable(page, f"register-entry:{select_language()}:{reference}")
