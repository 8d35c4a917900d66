"""The register as DCAT-AP 3 open data (issue 8): ``/register/catalog.ttl``
and ``/register/catalog.jsonld``. Being built; see docs/OPEN_DATA.md."""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import Blueprint

bp = APIBlueprint("register_catalog", __name__, tag="Register")
public_bp = Blueprint("register_catalog_public", __name__)
