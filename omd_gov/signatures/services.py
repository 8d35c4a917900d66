"""Signature use cases: upload a signed PDF, seal with the city's e-seal,
accept a certificate whose identity does not match, and report.

The slow part (pyHanko's validation, the seal, a timestamp) runs before the
unit of work opens, so no row stays locked meanwhile. The unit of work then
checks that the round's PDF is still the one that was signed, adds the new
revision and fires ``sign`` for the party, all or nothing. A refused upload
stores nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from omd_gov.agreements import services as agreement_services
from omd_gov.agreements.guards import GuardContext, signing_party, signs_for_party
from omd_gov.agreements.lifecycle import State, Trigger
from omd_gov.agreements.models import Agreement
from omd_gov.agreements.queries import get_visible
from omd_gov.agreements.rules import role_may_fire
from omd_gov.audit.chain import record
from omd_gov.auth.actors import Actor
from omd_gov.auth.models import Role
from omd_gov.db import end_read, transaction
from omd_gov.documents.storage import get_storage, sha256_hex
from omd_gov.errors import Conflict, Forbidden, GuardFailed, IllegalTrigger
from omd_gov.signatures import queries
from omd_gov.signatures.models import IdentityAcceptance, SigningRevision
from omd_gov.signatures.seal import seal_pdf
from omd_gov.signatures.trust import trust_settings
from omd_gov.signatures.validation import SignatureRejected, UploadReport, validate_upload


@dataclass(frozen=True)
class _Turn:
    """What an upload was checked against, before the unit of work."""

    agreement_id: int
    party_id: int
    party_is_city: bool
    revision_id: int
    previous: bytes


def signing_pdf(session: Session, actor: Actor, agreement_id: int) -> tuple[bytes, str]:
    """The round's current PDF and its sha256."""
    agreement = get_visible(session, actor.require_user(), agreement_id)
    revision = queries.current_revision(session, agreement)
    return queries.revision_bytes(revision), revision.sha256


def upload_signed_pdf(
    session: Session, actor: Actor, agreement_id: int, data: bytes, config: Mapping[str, Any]
) -> Agreement:
    turn = _turn(session, actor, agreement_id)
    end_read(session, "validating a signed PDF")
    report = validate_upload(turn.previous, data, trust_settings(config))
    accepted = _check_identity(session, actor, turn, report)
    return _accept(session, actor, turn, data, "signed", {**report.as_dict(), **accepted})


def seal(session: Session, actor: Actor, agreement_id: int, config: Mapping[str, Any]) -> Agreement:
    """The city's e-seal on the current PDF, by a signatory of the city."""
    turn = _turn(session, actor, agreement_id)
    if not turn.party_is_city:
        raise Forbidden("only a signatory of the city may apply the city's e-seal", step="party")
    end_read(session, "sealing a PDF")
    sealed = seal_pdf(
        turn.previous,
        p12_path=config["OMD_SEAL_P12"],
        password=config["OMD_SEAL_PASSWORD"],
        tsa_url=config["OMD_TSA_URL"],
    )
    # The seal passes the same checks as any upload: it must be trusted too.
    report = validate_upload(turn.previous, sealed, trust_settings(config))
    return _accept(session, actor, turn, sealed, "sealed", report.as_dict())


def _turn(session: Session, actor: Actor, agreement_id: int) -> _Turn:
    """Refuse early (and cheaply) an upload out of turn or by the wrong party."""
    user = actor.require_user()
    agreement = get_visible(session, user, agreement_id)
    if agreement.state != State.SIGNING:
        raise IllegalTrigger(
            f"the agreement is {agreement.state}: there is no signing round to sign",
            state=agreement.state,
            step="turn",
        )
    if not role_may_fire(actor.role, Trigger.SIGN):
        raise Forbidden(f"the {actor.role} role does not sign agreements", step="party")
    context = GuardContext(actor.user_id, actor.role, user.organization_id)
    problems = signs_for_party(agreement, context)
    party = signing_party(agreement, user.organization_id)
    if problems or party is None:
        raise GuardFailed(
            problems[0].message, [problem.as_dict() for problem in problems], step="party"
        )
    revision = queries.current_revision(session, agreement)
    is_city = party.organization.kind == "municipality"
    return _Turn(agreement.id, party.id, is_city, revision.id, queries.revision_bytes(revision))


def _check_identity(
    session: Session, actor: Actor, turn: _Turn, report: UploadReport
) -> dict[str, Any]:
    """Step 6: the certificate must be the signatory's, or legal accepted it."""
    signer = report.signer
    if signer.matches(actor.require_user().signing_identity):
        return {"identity_accepted": False}
    if queries.identity_accepted(session, turn.agreement_id, signer.certificate_sha256):
        return {"identity_accepted": True}
    raise SignatureRejected(
        f"the certificate's subject ({signer.subject}) does not match your configured signing "
        "identity; a legal officer may accept this certificate for this agreement",
        step="identity",
        signature=report.field_name,
        certificate_sha256=signer.certificate_sha256,
        subject=signer.subject,
    )


def _accept(
    session: Session, actor: Actor, turn: _Turn, data: bytes, kind: str, report: dict[str, Any]
) -> Agreement:
    key = get_storage().put(data, ".pdf")
    with transaction(session):
        agreement = get_visible(session, actor.require_user(), turn.agreement_id, for_update=True)
        current = queries.current_revision(session, agreement)
        if current.id != turn.revision_id:
            raise Conflict(
                "another signature was added to the round's PDF while yours was checked; "
                "download the current PDF and sign it again",
                step="prefix",
            )
        session.add(
            SigningRevision(
                agreement_id=agreement.id,
                round=current.round,
                seq=current.seq + 1,
                kind=kind,
                storage_key=key,
                sha256=sha256_hex(data),
                party_id=turn.party_id,
                created_by_id=actor.user_id,
                report=report,
            )
        )
        session.flush()
        return agreement_services.fire_trigger(session, actor, agreement.id, "sign", "")


def accept_identity(
    session: Session, actor: Actor, agreement_id: int, certificate_sha256: str, comment: str
) -> IdentityAcceptance:
    """A legal officer accepts a certificate whose subject does not match the
    signatory's configured identity, for this agreement only. Audited."""
    if actor.role not in (Role.LEGAL_OFFICER, Role.ADMIN):
        raise Forbidden("only a legal officer may accept a signer identity")
    with transaction(session):
        agreement = get_visible(session, actor.require_user(), agreement_id, for_update=True)
        if queries.identity_accepted(session, agreement.id, certificate_sha256):
            raise Conflict("this certificate is already accepted for this agreement")
        acceptance = IdentityAcceptance(
            agreement_id=agreement.id,
            certificate_sha256=certificate_sha256,
            comment=comment,
            accepted_by_id=actor.require_user().id,
        )
        session.add(acceptance)
        session.flush()
        record(
            session,
            actor,
            agreement,
            "accept_signer_identity",
            changes={"certificate_sha256": certificate_sha256},
            comment=comment,
        )
        return acceptance
