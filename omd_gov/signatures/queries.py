"""Reading signing rounds: the current PDF of a round, the document of record,
and whether a legal officer accepted a certificate."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from omd_gov.agreements.models import Agreement
from omd_gov.documents.storage import get_storage, verify_file
from omd_gov.errors import Conflict, NotFound
from omd_gov.signatures.models import IdentityAcceptance, SigningRevision


def revisions(session: Session, agreement_id: int) -> list[SigningRevision]:
    """The last round's revisions, oldest first (empty before any round)."""
    last_round = (
        select(SigningRevision.round)
        .where(SigningRevision.agreement_id == agreement_id)
        .order_by(SigningRevision.round.desc())
        .limit(1)
        .scalar_subquery()
    )
    statement = (
        select(SigningRevision)
        .where(SigningRevision.agreement_id == agreement_id, SigningRevision.round == last_round)
        .order_by(SigningRevision.seq)
    )
    return list(session.execute(statement).scalars())


def current_revision(session: Session, agreement: Agreement) -> SigningRevision:
    """The PDF the next signatory signs: the last revision of the last round."""
    found = revisions(session, agreement.id)
    if not found:
        raise NotFound(
            f"agreement {agreement.reference} has no signing PDF: it has not been sent for "
            "signature since PDFs were frozen"
        )
    return found[-1]


def pending_signed_revision(session: Session, agreement: Agreement) -> SigningRevision | None:
    """A validated signed PDF added in this unit of work, whose ``sign`` has not
    fired yet: the fact that lets ``sign`` pass on an advanced agreement."""
    found = revisions(session, agreement.id)
    last = found[-1] if found else None
    if last is None or last.kind == "frozen" or last.signature_id is not None:
        return None
    return last


def revision_bytes(revision: SigningRevision) -> bytes:
    """The stored PDF, after checking it against its recorded sha256."""
    check = verify_file(revision.storage_key, revision.sha256)
    if not check["matches"]:
        raise Conflict(
            f"the stored signing PDF (round {revision.round}, revision {revision.seq}) "
            f"does not match its sha256: {check['problem']}"
        )
    return get_storage().get(revision.storage_key)


def identity_accepted(session: Session, agreement_id: int, certificate_sha256: str) -> bool:
    statement = select(IdentityAcceptance.id).where(
        IdentityAcceptance.agreement_id == agreement_id,
        IdentityAcceptance.certificate_sha256 == certificate_sha256,
    )
    return session.execute(statement).first() is not None
