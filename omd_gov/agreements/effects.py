"""What a trigger changes on the agreement itself, before the machine moves
it. Effects touch only the loaded row (no database, no Flask) and return what
the transition's audit event records about them."""

from __future__ import annotations

from collections.abc import Callable

from omd_gov.agreements.guards import signing_party
from omd_gov.agreements.models import Agreement, Signature
from omd_gov.auth.actors import Actor
from omd_gov.db import utcnow

Effect = Callable[[Agreement, Actor, str], dict[str, object]]


def nothing(_agreement: Agreement, _actor: Actor, _comment: str) -> dict[str, object]:
    return {}


def record_submitter(agreement: Agreement, actor: Actor, _comment: str) -> dict[str, object]:
    """Four-eyes compares the approver with whoever submitted this version."""
    agreement.submitted_by_id = actor.user_id
    return {}


def add_signature(agreement: Agreement, actor: Actor, _comment: str) -> dict[str, object]:
    """One signature for the actor's party, over the frozen document."""
    user = actor.require_user()
    party = signing_party(agreement, user.organization_id)
    assert party is not None  # the guard has checked it
    agreement.signatures.append(
        Signature(
            party_id=party.id,
            user_id=user.id,
            agreement_version=agreement.content_version,
            document_sha256=agreement.frozen_sha256 or "",
            signed_at=utcnow(),
        )
    )
    return {
        "signed_for_organization_id": party.organization_id,
        "document_sha256": agreement.frozen_sha256,
    }


def void_round(agreement: Agreement, _actor: Actor, _comment: str) -> dict[str, object]:
    """A decline voids the round's signatures (kept on record) and unfreezes
    the document, so the agreement goes back through review."""
    for signature in agreement.live_signatures:
        signature.voided_at = utcnow()
    agreement.frozen_sha256 = agreement.frozen_pdf_sha256 = None
    return {}


def close_with_reason(agreement: Agreement, _actor: Actor, comment: str) -> dict[str, object]:
    agreement.closed_reason = comment
    return {}
