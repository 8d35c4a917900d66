"""/api/v1: a signing round's PDF, signed uploads, the city's e-seal, accepted
identity mismatches, and the signature report (docs/SIGNATURES.md)."""

from __future__ import annotations

import io
from typing import Any

from apiflask import APIBlueprint
from flask import Response, current_app, send_file

from omd_gov.agreements.api import agreement_response
from omd_gov.api_contract import file_response
from omd_gov.auth.models import Role
from omd_gov.auth.security import auth, current_actor, current_user, roles_required
from omd_gov.db import db
from omd_gov.signatures import reports, services
from omd_gov.signatures.schemas import (
    IdentityAcceptanceIn,
    IdentityAcceptanceOut,
    SignatureReportOut,
    SignedPdfIn,
)

bp = APIBlueprint("signatures", __name__, tag="Signatures")

AGREEMENT = "/agreements/<int:agreement_id>"
SIGNED = "The agreement after the signature (AgreementOut), with its ETag"
REFUSED = "The signed PDF is refused: `step` names the check, `signature` the field"


@bp.get(f"{AGREEMENT}/signing-pdf")
@bp.auth_required(auth)
@bp.doc(responses={200: file_response("The round's current PDF", "application/pdf")})
def get_signing_pdf(agreement_id: int) -> Response:
    """The PDF the next party signs (ETag: its sha256). Sign it in your own tool
    (PAdES) and upload the result to ``signed-pdf``."""
    data, sha256 = services.signing_pdf(db.session, current_actor(), agreement_id)
    response = send_file(
        io.BytesIO(data),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"agreement-{agreement_id}-to-sign.pdf",
        etag=False,
    )
    response.set_etag(sha256)
    return response


@bp.post(f"{AGREEMENT}/signed-pdf")
@bp.auth_required(auth)
@roles_required(Role.SIGNATORY)
@bp.input(SignedPdfIn, location="form_and_files", arg_name="data")
@bp.doc(
    responses={200: SIGNED, 409: "Out of turn, or the round moved on", 413: "Too big", 422: REFUSED}
)
def upload_signed_pdf(agreement_id: int, data: dict[str, Any]) -> Any:
    """Upload the round's PDF signed (PAdES) by your party's signatory."""
    content = data["file"].read()
    agreement = services.upload_signed_pdf(
        db.session, current_actor(), agreement_id, content, current_app.config
    )
    return agreement_response(agreement)


@bp.post(f"{AGREEMENT}/seal")
@bp.auth_required(auth)
@roles_required(Role.SIGNATORY)
@bp.doc(responses={200: SIGNED, 409: "Out of turn", 503: "The e-seal is not configured"})
def seal_agreement(agreement_id: int) -> Any:
    """Apply the city's e-seal (PAdES B-B, or B-T with OMD_TSA_URL) as the city's signature."""
    agreement = services.seal(db.session, current_actor(), agreement_id, current_app.config)
    return agreement_response(agreement)


@bp.post(f"{AGREEMENT}/signatures/identity-acceptances")
@bp.auth_required(auth)
@roles_required(Role.LEGAL_OFFICER)
@bp.input(IdentityAcceptanceIn, arg_name="data")
@bp.output(IdentityAcceptanceOut, status_code=201)
@bp.doc(responses={409: "Already accepted"})
def accept_identity(agreement_id: int, data: dict[str, Any]) -> Any:
    """Accept a certificate whose subject does not match the signatory's
    configured identity, for this agreement, with a comment (audited)."""
    return services.accept_identity(
        db.session, current_actor(), agreement_id, data["certificate_sha256"], data["comment"]
    )


@bp.get(f"{AGREEMENT}/signatures/report")
@bp.auth_required(auth)
@bp.output(SignatureReportOut)
def signature_report(agreement_id: int) -> Any:
    """Every signature in the document of record, re-validated offline."""
    return reports.report(db.session, current_user(), agreement_id)
