"""/api/v1/audit: verifying the log and its Merkle proofs; and, public,
/audit/checkpoint and /audit/key, for anyone to check what was published."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from flask import Response, current_app

from omd_gov.api_contract import file_response
from omd_gov.audit import queries, services
from omd_gov.audit.checkpoints import verifier_keys
from omd_gov.audit.schemas import (
    CheckpointOut,
    ConsistencyOut,
    ConsistencyQuery,
    InclusionOut,
    ProofQuery,
    VerificationOut,
)
from omd_gov.auth.models import Role
from omd_gov.auth.security import auth, roles_required
from omd_gov.db import db
from omd_gov.errors import NotFound

bp = APIBlueprint("audit", __name__, tag="Audit")
public_bp = APIBlueprint("audit_public", __name__, tag="Audit")
OFFICE_READERS = (Role.AUDITOR, Role.LEGAL_OFFICER, Role.TRANSPARENCY_OFFICER)


@bp.get("/audit/verify")
@bp.auth_required(auth)
@roles_required(Role.AUDITOR, Role.LEGAL_OFFICER)
@bp.doc(responses={200: "{ok, events_checked, from_size, to_size, checkpoint_id, …}"})
def verify() -> dict[str, Any]:
    """From the last verified checkpoint to the head (a full walk is a job)."""
    run = services.verify_incrementally(db.session, current_app.config)
    return dict(run.report) | {"verification_id": run.id}


@bp.post("/audit/verifications")
@bp.auth_required(auth)
@roles_required(Role.AUDITOR, Role.LEGAL_OFFICER)
@bp.output(VerificationOut, status_code=202)
def request_full_verification() -> Any:
    return services.request_full_verification(db.session)


@bp.get("/audit/verifications/<int:run_id>")
@bp.auth_required(auth)
@roles_required(Role.AUDITOR, Role.LEGAL_OFFICER)
@bp.output(VerificationOut)
def get_verification(run_id: int) -> Any:
    return queries.verification_run(db.session, run_id)


@bp.post("/audit/checkpoints")
@bp.auth_required(auth)
@roles_required(Role.AUDITOR, Role.TRANSPARENCY_OFFICER)
@bp.output(CheckpointOut, status_code=201)
def publish_checkpoint() -> Any:
    return services.publish_checkpoint(db.session, current_app.config)


@bp.get("/audit/events/<int:seq>/proof")
@bp.auth_required(auth)
@roles_required(*OFFICE_READERS)
@bp.input(ProofQuery, location="query", arg_name="query")
@bp.output(InclusionOut)
def inclusion_proof(seq: int, query: dict[str, Any]) -> Any:
    return queries.inclusion(db.session, seq, query.get("size"))


@bp.get("/audit/consistency")
@bp.auth_required(auth)
@roles_required(*OFFICE_READERS)
@bp.input(ConsistencyQuery, location="query", arg_name="query")
@bp.output(ConsistencyOut)
def consistency_proof(query: dict[str, Any]) -> Any:
    return queries.consistency(db.session, query["from_"], query.get("to"))


@public_bp.get("/audit/checkpoint")
@public_bp.doc(
    responses={
        200: file_response("The newest signed checkpoint (a C2SP signed note)", "text/plain"),
        404: "No checkpoint has been published yet",
    }
)
def latest_checkpoint() -> Response:
    checkpoint = queries.latest_checkpoint(db.session)
    if checkpoint is None:
        raise NotFound("no checkpoint has been published yet")
    return Response(checkpoint.note, mimetype="text/plain")


@public_bp.get("/audit/key")
@public_bp.doc(
    responses={
        200: file_response("The verifier keys, one a line: <name>+<key id>+<base64>", "text/plain"),
        404: "No audit signing key is configured",
    }
)
def verifier_key() -> Response:
    vkeys = verifier_keys(current_app.config)
    if not vkeys:
        raise NotFound("no audit signing key is configured")
    return Response("".join(f"{vkey}\n" for vkey in vkeys), mimetype="text/plain")
