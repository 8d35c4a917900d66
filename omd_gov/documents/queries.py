"""Reads for the documents API: an agreement's documents and generation jobs
(behind the agreement's visibility, so a partner learns nothing about the
agreements it is not a party to), file verification and the template
registry. Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from omd_gov.agreements.models import Agreement
from omd_gov.agreements.queries import get_visible
from omd_gov.auth.models import User
from omd_gov.db import utcnow
from omd_gov.documents import jobs
from omd_gov.documents.models import Document, GenerationJob, TemplateVersion
from omd_gov.documents.storage import verify_file
from omd_gov.errors import NotFound

OfAgreement = TypeVar("OfAgreement", Document, GenerationJob)


def list_documents(session: Session, user: User, agreement_id: int) -> list[Document]:
    """The documents of a visible agreement, newest first."""
    return documents_of(session, get_visible(session, user, agreement_id))


def documents_of(session: Session, agreement: Agreement) -> list[Document]:
    """The documents of an agreement the caller has already loaded through
    ``get_visible`` (a page that shows it does not load it twice)."""
    statement = (
        select(Document)
        .where(Document.agreement_id == agreement.id)
        .options(selectinload(Document.created_by))
        .order_by(Document.id.desc())
    )
    return list(session.execute(statement).scalars())


def get_document(session: Session, user: User, agreement_id: int, document_id: int) -> Document:
    return _of_agreement(session, user, agreement_id, Document, document_id, "document")


def _of_agreement(
    session: Session,
    user: User,
    agreement_id: int,
    model: type[OfAgreement],
    row_id: int,
    what: str,
) -> OfAgreement:
    """A row of a visible agreement; another agreement's row is as missing as none."""
    agreement = get_visible(session, user, agreement_id)
    row = session.get(model, row_id)
    if row is None or row.agreement_id != agreement.id:
        raise NotFound(f"{what} {row_id} not found")
    return row


def verification(document: Document) -> dict[str, Any]:
    """Recompute the stored files' sha256 and compare them with the record."""
    pdf = None
    if document.pdf_storage_key:
        pdf = verify_file(document.pdf_storage_key, document.pdf_sha256)
    return {
        "document_id": document.id,
        **verify_file(document.storage_key, document.sha256),
        "frozen": document.frozen_at is not None,
        "signed_document": document.sha256 == document.agreement.frozen_sha256,
        "pdf": pdf,
        "checked_at": utcnow(),
    }


@dataclass(frozen=True)
class JobState:
    """A generation job as a client sees it: a lost worker shows as a failure."""

    job: GenerationJob
    status: str
    problem: dict[str, Any] | None
    documents: list[Document]


def job_state(session: Session, user: User, agreement_id: int, job_id: int) -> JobState:
    job = _of_agreement(session, user, agreement_id, GenerationJob, job_id, "generation job")
    status, problem = jobs.outcome(job)
    documents: list[Document] = []
    if status == "done":
        statement = select(Document).where(Document.id.in_(job.document_ids or [-1]))
        documents = list(session.execute(statement.order_by(Document.id)).scalars())
    return JobState(job, status, problem, documents)


def latest_templates(session: Session) -> list[TemplateVersion]:
    """The newest version of every template name and language."""
    newest = (
        select(func.max(TemplateVersion.id))
        .group_by(TemplateVersion.name, TemplateVersion.language)
        .scalar_subquery()
    )
    statement = select(TemplateVersion).where(TemplateVersion.id.in_(newest))
    return list(session.execute(statement.order_by(TemplateVersion.name)).scalars())


def template_versions(session: Session, name: str) -> list[TemplateVersion]:
    rows = session.execute(
        select(TemplateVersion)
        .where(TemplateVersion.name == name)
        .order_by(TemplateVersion.language, TemplateVersion.version.desc())
    ).scalars()
    found = list(rows)
    if not found:
        raise NotFound(f"template {name!r} not found")
    return found


def template_count(session: Session) -> int:
    return int(session.execute(select(func.count(TemplateVersion.id))).scalar_one())
