"""An agreement as an ODRL agreement in the Eclipse Dataspace Protocol
2025-1 form (issue 8): ``/api/v1/agreements/{id}/policy.jsonld``. Being
built; see docs/DATASPACE.md."""

from __future__ import annotations

from apiflask import APIBlueprint

bp = APIBlueprint("register_policy", __name__, tag="Register")
