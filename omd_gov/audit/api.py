"""/api/v1/audit: proof that the trail was not altered."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from omd_gov.audit.chain import verify_chain
from omd_gov.auth.models import Role
from omd_gov.auth.security import auth, roles_required
from omd_gov.db import db

bp = APIBlueprint("audit", __name__, tag="Audit")


@bp.get("/audit/verify")
@bp.auth_required(auth)
@roles_required(Role.AUDITOR, Role.LEGAL_OFFICER)
@bp.doc(responses={200: "{ok, events_checked, broken_at_seq, event_id, reason}"})
def verify() -> dict[str, Any]:
    return verify_chain(db.session).as_dict()
