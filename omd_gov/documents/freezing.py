"""Freezing the DSA for signature: a domain step of the ``send_for_signature``
transition (see ``hooks.py``), run inside its unit of work.

The parties sign exactly the latest DSA generated for the agreement's current
content version: it (and the rest of its package) gets ``frozen_at``, and the
agreement and each signature record its sha256.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from omd_gov.agreements.models import Agreement
from omd_gov.audit.chain import record
from omd_gov.auth.actors import Actor
from omd_gov.db import utcnow
from omd_gov.documents import pdf
from omd_gov.documents.models import Document
from omd_gov.documents.storage import get_storage, sha256_hex, verify_file
from omd_gov.errors import Conflict, GuardFailed


def latest_dsa(session: Session, agreement: Agreement) -> Document | None:
    return session.execute(
        select(Document)
        .where(
            Document.agreement_id == agreement.id,
            Document.agreement_version == agreement.content_version,
            Document.kind == "dsa",
        )
        .order_by(Document.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def document_ready(session: Session, agreement: Agreement) -> bool:
    """Whether a generated DSA exists for the agreement's current content version."""
    return latest_dsa(session, agreement) is not None


def freeze_for_signature(session: Session, agreement: Agreement, actor: Actor) -> Document:
    """Freeze the latest DSA of the current version (and its package), after
    checking that its stored file still matches its sha256."""
    document = latest_dsa(session, agreement)
    if document is None:
        raise GuardFailed(
            "no generated document exists for the current version",
            [{"code": "document", "field": None, "message": "generate the DSA first"}],
        )
    if not verify_file(document.storage_key, document.sha256)["matches"]:
        raise Conflict(f"the stored file of document {document.id} does not match its sha256; "
                       "generate the DSA again before sending it for signature")  # fmt: skip
    moment = utcnow()
    for member in _package_members(session, document):
        if member.frozen_at is None:
            member.frozen_at = moment
            record(session, actor, member, "freeze_document", changes=member.audit_summary())
    agreement.frozen_sha256 = document.sha256
    agreement.frozen_pdf_sha256 = _frozen_pdf(document)
    return document


def _frozen_pdf(document: Document) -> str:
    """The frozen DSA as PDF/A-2b, converted now unless it was before. This
    runs under the agreement's row lock: a conversion takes about a second,
    and signing works on that exact PDF, so it must exist before the round."""
    storage = get_storage()
    if document.pdf_storage_key is None:
        data = pdf.convert(storage.get(document.storage_key or ""))
        document.pdf_storage_key = storage.put(data, ".pdf")
        document.pdf_sha256, document.pdf_created_at = sha256_hex(data), utcnow()
        document.pdf_error = None
    elif not verify_file(document.pdf_storage_key, document.pdf_sha256 or "")["matches"]:
        raise Conflict(f"the stored PDF of document {document.id} does not match its sha256")
    assert document.pdf_sha256 is not None
    return document.pdf_sha256


def _package_members(session: Session, document: Document) -> list[Document]:
    if document.package_id is None:
        return [document]
    statement = select(Document).where(Document.package_id == document.package_id)
    return list(session.execute(statement.order_by(Document.id)).scalars())
