"""Document services used by the lifecycle.

Until generated ``.docx`` documents exist, freezing records a *placeholder*
document whose sha256 is that of the agreement's canonical JSON.
"""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from omd_gov.agreements.editing import snapshot
from omd_gov.agreements.models import Agreement
from omd_gov.audit.chain import Actor, canonical_json
from omd_gov.db import utcnow
from omd_gov.documents.models import Document


def document_ready(_session: Session, _agreement: Agreement) -> bool:
    """Whether a document can be frozen for the current version."""
    return True


def freeze_for_signature(session: Session, agreement: Agreement, actor: Actor) -> Document:
    content = canonical_json({"reference": agreement.reference, "version": agreement.version,
                              **snapshot(agreement)})  # fmt: skip
    document = Document(
        agreement_id=agreement.id,
        agreement_version=agreement.version,
        kind="dsa",
        sha256=hashlib.sha256(content.encode()).hexdigest(),
        placeholder=True,
        frozen_at=utcnow(),
        created_by_id=actor.user_id,
    )
    session.add(document)
    agreement.frozen_sha256 = document.sha256
    return document
