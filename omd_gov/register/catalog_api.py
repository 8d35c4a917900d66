"""The register as DCAT-AP 3 open data (issue 8): ``/register/catalog.ttl``
and ``/register/catalog.jsonld``, one page of live entries at a time, linked
with Hydra paging (docs/OPEN_DATA.md). No sign-in; limited per address like
the other public feeds; cacheable, with an ETag per page and format."""

from __future__ import annotations

import math

from apiflask import APIBlueprint
from flask import Blueprint, Response, current_app, request
from rdflib import Graph

from omd_gov.db import db
from omd_gov.errors import NotFound, Unprocessable
from omd_gov.ratelimit import public_read
from omd_gov.register import catalog_queries, queries
from omd_gov.register.dcat import Page, build_catalog
from omd_gov.register.dcat_terms import CatalogSettings, settings_from
from omd_gov.register.public import CACHE, cached

bp = APIBlueprint("register_catalog", __name__, tag="Register")
public_bp = Blueprint("register_catalog_public", __name__)

FORMATS = {  # route suffix -> (rdflib format, media type)
    "ttl": ("turtle", "text/turtle"),
    "jsonld": ("json-ld", "application/ld+json"),
}


@public_bp.get("/register/catalog.ttl")
@public_read
def catalog_turtle() -> Response:
    return _catalog("ttl")


@public_bp.get("/register/catalog.jsonld")
@public_read
def catalog_jsonld() -> Response:
    return _catalog("jsonld")


def _page_number() -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 2**31 - 1:
        problem = {"field": "page", "message": "a page number from 1"}
        raise Unprocessable("page must be a whole number from 1", [problem])
    return int(raw)


def _catalog(kind: str) -> Response:
    settings = settings_from(current_app.config)
    number = _page_number()
    etag, unchanged = cached(f"dcat {kind} page={number} {settings!r}")
    if unchanged is not None:
        return unchanged
    rdf_format, media_type = FORMATS[kind]
    body = _page_graph(settings, number, kind).serialize(format=rdf_format)
    response = Response(body, mimetype=media_type)
    response.set_etag(etag)
    response.headers["Cache-Control"] = CACHE
    return response


def _page_graph(settings: CatalogSettings, number: int, kind: str) -> Graph:
    total = catalog_queries.live_count(db.session)
    last = max(1, math.ceil(total / settings.page_size))
    if number > last:
        raise NotFound(f"the catalogue has {last} page(s)")
    after = catalog_queries.live_id_before(db.session, (number - 1) * settings.page_size)
    entries = queries.page_of_entries(db.session, after, settings.page_size, live_only=True)
    shown = queries.public_page(db.session, entries, settings.base_url)
    url = f"{settings.base}/register/catalog.{kind}?page={number}"
    modified = queries.fingerprint(db.session)[1]
    return build_catalog(shown, settings, Page(number, last, total, url), modified)
