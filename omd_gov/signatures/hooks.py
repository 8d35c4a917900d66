"""How signatures join the agreement lifecycle (registered by the app factory,
after the documents' hooks, which freeze the DSA and its PDF first):

- before ``send_for_signature``: a new signing round starts from the frozen PDF;
- the fact ``pades_signed`` for ``sign``: a validated signed PDF is part of this
  unit of work, which the guard requires on an ``advanced`` agreement;
- before ``sign``: the signed PDF's sha256 and signer join the audit event;
- after ``sign``: the revision is linked to the signature it produced.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omd_gov.agreements.guards import PADES_SIGNED
from omd_gov.agreements.hooks import TransitionStep, after_transition, before, provide_fact
from omd_gov.agreements.lifecycle import Trigger
from omd_gov.agreements.models import Agreement
from omd_gov.documents.freezing import latest_dsa
from omd_gov.signatures.models import SigningRevision
from omd_gov.signatures.queries import pending_signed_revision


def register() -> None:
    before(Trigger.SEND_FOR_SIGNATURE, start_round)
    provide_fact(Trigger.SIGN, PADES_SIGNED, _has_signed_pdf)
    before(Trigger.SIGN, describe_signed_pdf)
    after_transition(link_signature)


def start_round(session: Session, step: TransitionStep) -> Mapping[str, object]:
    """Revision 0 of a new round: the frozen PDF itself."""
    agreement = step.agreement
    document = latest_dsa(session, agreement)
    assert document is not None and document.pdf_storage_key and document.pdf_sha256
    previous = session.execute(
        select(func.max(SigningRevision.round)).where(SigningRevision.agreement_id == agreement.id)
    ).scalar()
    revision = SigningRevision(
        agreement_id=agreement.id,
        round=(previous or 0) + 1,
        seq=0,
        kind="frozen",
        storage_key=document.pdf_storage_key,
        sha256=document.pdf_sha256,
        created_by_id=step.actor.user_id,
    )
    session.add(revision)
    return {"signing_round": revision.round}


def _has_signed_pdf(session: Session, agreement: Agreement) -> bool:
    return pending_signed_revision(session, agreement) is not None


def describe_signed_pdf(session: Session, step: TransitionStep) -> Mapping[str, object]:
    revision = pending_signed_revision(session, step.agreement)
    if revision is None:
        return {}
    report = revision.report or {}
    return {
        "signed_pdf_sha256": revision.sha256,
        "signature_kind": revision.kind,
        "signer": report.get("signer", {}).get("subject"),
        "identity_accepted": report.get("identity_accepted", False),
    }


def link_signature(session: Session, step: TransitionStep) -> None:
    if step.trigger != Trigger.SIGN:
        return
    revision = pending_signed_revision(session, step.agreement)
    if revision is None:
        return
    session.flush()  # the signature the effect appended gets its id
    revision.signature_id = next(
        sig.id for sig in step.agreement.live_signatures if sig.party_id == revision.party_id
    )
