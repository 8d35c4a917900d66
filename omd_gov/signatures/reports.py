"""The signature report of an agreement's document of record: every PAdES
signature in the last PDF of its last signing round, re-validated offline
with the validation data stored when it was accepted, and matched to the
party that uploaded it. The API and ``omd-gov signatures verify`` share it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omd_gov.agreements.models import Agreement
from omd_gov.agreements.queries import get_visible
from omd_gov.auth.models import User
from omd_gov.errors import Conflict, NotFound
from omd_gov.signatures import queries
from omd_gov.signatures.models import SigningRevision
from omd_gov.signatures.verify import verify_document


def report(session: Session, user: User, agreement_id: int) -> dict[str, Any]:
    return _report(session, get_visible(session, user, agreement_id))


def report_for_reference(session: Session, reference: str) -> dict[str, Any]:
    """For the operator's command line (no user: it sees every agreement)."""
    agreement = session.execute(
        select(Agreement).where(Agreement.reference == reference)
    ).scalar_one_or_none()
    if agreement is None:
        raise NotFound(f"no agreement with reference {reference}")
    return _report(session, agreement)


def _report(session: Session, agreement: Agreement) -> dict[str, Any]:
    revisions = queries.revisions(session, agreement.id)
    problems: list[str] = []
    signatures = _checks(revisions, agreement, problems) if revisions else []
    signed = {sig.party_id for sig in agreement.live_signatures}
    missing = [
        {"party_id": party.id, "organization": party.organization.name}
        for party in agreement.signing_parties
        if party.id not in signed
    ]
    if agreement.signature_level == "advanced":
        with_pades = {check["party_id"] for check in signatures}
        problems += [
            f"{party.organization.name} signed without a PAdES signature"
            for party in agreement.signing_parties
            if party.id in signed and party.id not in with_pades
        ]
    problems += [f"signature {c['field_name']} does not verify" for c in signatures if not c["ok"]]
    last = revisions[-1] if revisions else None
    document = {"round": last.round, "seq": last.seq, "sha256": last.sha256} if last else None
    return {
        "agreement_id": agreement.id,
        "reference": agreement.reference,
        "state": agreement.state,
        "signature_level": agreement.signature_level,
        "document": document,
        "signatures": signatures,
        "missing_parties": missing,
        "ok": not problems,
        "problems": problems,
    }


def _checks(
    revisions: list[SigningRevision], agreement: Agreement, problems: list[str]
) -> list[dict[str, Any]]:
    try:
        pdf = queries.revision_bytes(revisions[-1])
    except Conflict as error:
        problems.append(error.detail)
        return []
    reports = {rev.report["field_name"]: rev for rev in revisions if rev.report}
    stored = [(rev.report or {})["validation_data"] for rev in reports.values()]
    checks = verify_document(pdf, stored)
    organizations = {party.id: party.organization.name for party in agreement.parties}
    out = []
    for check in checks:
        revision = reports.get(check.field_name)
        party_id = revision.party_id if revision else None
        out.append(
            {
                **check.as_dict(),
                "party_id": party_id,
                "organization": organizations.get(party_id) if party_id else None,
                "kind": revision.kind if revision else None,
                "identity_accepted": bool(revision and revision.report
                                          and revision.report.get("identity_accepted")),
            }
        )  # fmt: skip
    return out
