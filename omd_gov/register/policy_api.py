"""An agreement as an ODRL agreement in the Eclipse Dataspace Protocol
2025-1 form (issue 8): ``/api/v1/agreements/{id}/policy.jsonld``, for
signed-in users who may see the agreement. See docs/DATASPACE.md."""

from __future__ import annotations

import json
from typing import Any

from apiflask import APIBlueprint
from flask import Response, current_app

from omd_gov.agreements.queries import get_visible
from omd_gov.auth.security import auth, current_user
from omd_gov.db import db
from omd_gov.register import odrl

bp = APIBlueprint("register_policy", __name__, tag="Register")

JSON_LD = "application/ld+json"
_STRING = {"type": "string"}
_RULES = {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["action"]}}
# The shape integrators can rely on; the Dataspace Protocol's own schema
# (negotiation/contract-schema.json, Agreement) is what the tests validate against.
AGREEMENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["@context", "@id", "@type", "target", "assigner", "assignee", "timestamp",
                 "permission"],
    "properties": {
        "@context": {"type": "array"},
        "@id": _STRING,
        "@type": {"type": "string", "enum": ["Agreement"]},
        "target": _STRING,
        "assigner": _STRING,
        "assignee": _STRING,
        "timestamp": {"type": "string", "format": "date-time"},
        "permission": _RULES,
        "prohibition": _RULES,
        "obligation": _RULES,
    },
}  # fmt: skip
RESPONSES: Any = {
    200: {
        "description": "The agreement as an ODRL Agreement (Dataspace Protocol 2025-1)",
        "content": {JSON_LD: {"schema": AGREEMENT_SCHEMA}},
    },
    409: "Not signed, or no single provider and recipient among its parties",
}


@bp.get("/agreements/<int:agreement_id>/policy.jsonld")
@bp.auth_required(auth)
@bp.doc(responses=RESPONSES)
def agreement_policy(agreement_id: int) -> Response:
    """A signed agreement as an ODRL Agreement (Dataspace Protocol 2025-1)

    JSON-LD for data-space connectors: assigner and assignee, one ``use``
    permission per data asset within the term and for the purpose, the duty
    to delete at the end of retention, and the prohibition of onward
    transfer where the agreement calls for one (docs/DATASPACE.md)."""
    agreement = get_visible(db.session, current_user(), agreement_id)
    document = odrl.agreement_policy(agreement, current_app.config["OMD_PUBLIC_URL"])
    body = json.dumps(document, ensure_ascii=False, indent=2)
    return Response(body, mimetype=JSON_LD)
