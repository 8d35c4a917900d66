"""The documents' use cases, each owning its units of work: generating (in
the request, or as a job in the worker), serving and converting files,
registering and uploading templates. The steps they call never commit:
``generation.py``, ``jobs.py``, ``registry.py``; ``freezing.py`` runs inside
the ``send_for_signature`` transition (``hooks.py``).

Generation reads the agreement, renders WITHOUT holding a transaction or a
row lock (a render may take seconds), then, in a short transaction, checks
that the agreement's content version has not moved and stores the documents.
Every content change bumps that version, so a document can never mix two
versions' content: a concurrent edit makes the generation answer 409.
(The cooperation's canvas is read live; its edits are refused while an
agreement of the cooperation is in legal review, approved or signing.)
"""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omd_gov.agreements.models import Agreement
from omd_gov.agreements.queries import get_visible
from omd_gov.auth.actors import Actor
from omd_gov.auth.models import User
from omd_gov.db import db, end_read, transaction, utcnow
from omd_gov.documents import generation, jobs, pdf, queries, registry
from omd_gov.documents.context import build_context
from omd_gov.documents.models import Document, GenerationJob, TemplateVersion
from omd_gov.documents.storage import get_storage, sha256_hex, verify_file
from omd_gov.errors import Conflict, NotFound, ServiceError

log = logging.getLogger(__name__)


def request_documents(
    session: Session, actor: Actor, agreement_id: int, kind: str, language: str
) -> list[Document] | GenerationJob:
    """The API's path. The built-in templates render in this request; a request
    that needs an uploaded template becomes a job for the worker, whose task
    has a time limit on top of the render process's."""
    agreement, plans = _load(session, actor, agreement_id, kind, language)
    if any(not planned.builtin for planned in plans):
        with transaction(session):
            return jobs.new_job(session, actor, agreement, kind, language)
    return _generate(session, actor, agreement, plans, kind, language)


def generate(
    session: Session, actor: Actor, agreement_id: int, kind: str, language: str
) -> list[Document]:
    """The worker's path: render with whatever templates are current."""
    agreement, plans = _load(session, actor, agreement_id, kind, language)
    return _generate(session, actor, agreement, plans, kind, language)


def _load(
    session: Session, actor: Actor, agreement_id: int, kind: str, language: str
) -> tuple[Agreement, list[generation.Planned]]:
    agreement = get_visible(session, actor.require_user(), agreement_id)
    return agreement, generation.plan(session, agreement, kind, language)


def _generate(
    session: Session,
    actor: Actor,
    agreement: Agreement,
    plans: list[generation.Planned],
    kind: str,
    language: str,
) -> list[Document]:
    """Read, release, render, then store if the agreement is still at the
    version that was rendered."""
    agreement_id, version = agreement.id, agreement.content_version
    context = build_context(agreement, language)
    end_read(session, "document generation")  # nothing is held while rendering
    rendered = [(planned, generation.render(planned, context)) for planned in plans]
    with transaction(session):
        # Visibility was checked above; only the version matters now.
        generation.check_unchanged(session, agreement_id, version)
        pair = (agreement_id, version)
        return generation.store_all(session, actor, pair, rendered, kind, language)


def run_job(session: Session, job_id: int) -> str:
    """The worker's task: run a generation job on behalf of its requester
    (whose visibility applies) and record the outcome; the job's status.
    Idempotent: a settled job is not run again."""
    job = session.get(GenerationJob, job_id)
    if job is None or job.status in ("done", "failed"):
        return "missing" if job is None else job.status  # a redelivery: already settled
    user = session.get(User, job.requested_by_id)
    if user is None:
        return _fail(session, job, NotFound("the user who asked for it is gone"))
    with transaction(session):
        jobs.mark_started(job)
    try:
        request = (job.agreement_id, job.kind, job.language)
        documents = generate(session, Actor.of(user, "worker"), *request)
    except ServiceError as error:  # a render failure, a concurrent edit, a lost right…
        log.info("generation job %s failed: %s", job_id, error.detail)
        return _fail(session, job, error)
    with transaction(session):
        jobs.record_outcome(job, [document.id for document in documents])
    return "done"


def fail_job(session: Session, job_id: int, error: ServiceError) -> None:
    """Record a job's failure that interrupted it from outside (e.g. the
    worker's soft time limit)."""
    end_read(session, "recording a failed generation job")  # whatever the job read
    job = session.get(GenerationJob, job_id)
    if job is not None:
        _fail(session, job, error)


def _fail(session: Session, job: GenerationJob, error: ServiceError) -> str:
    with transaction(session):
        jobs.record_outcome(job, error=error)
    return "failed"


def content(session: Session, document: Document, fmt: str) -> bytes:
    """The file's bytes (a PDF is converted first if need be), after checking
    them against the recorded hash."""
    if fmt == "pdf":
        ensure_pdf(session, document)
        key, expected = document.pdf_storage_key, document.pdf_sha256
    else:
        key, expected = document.storage_key, document.sha256
    check = verify_file(key, expected)
    if not check["matches"]:
        raise Conflict(
            f"document {document.id} cannot be served: {check['problem']}",
            verification=check,
        )
    return get_storage().get(key or "")


def convert_pdf(session: Session, document_id: int) -> bool:
    """The worker's task: make sure the document has its PDF; False if the
    document does not exist."""
    document = session.get(Document, document_id)
    if document is None:
        return False
    ensure_pdf(session, document)
    return True


def ensure_pdf(session: Session, document: Document) -> None:
    """Convert the verified .docx once; later calls reuse the stored PDF. A
    failure is recorded on the document (so listings show it) and raised."""
    if document.pdf_storage_key:
        return
    docx = content(session, document, "docx")
    # A fresh snapshot (another worker may have converted it meanwhile), and no
    # transaction held open while LibreOffice works for seconds.
    end_read(session, "a PDF conversion")
    if document.pdf_storage_key:
        return
    try:
        data = pdf.convert(docx)
    except pdf.PdfConversionFailed as error:
        with transaction(session):
            document.pdf_error = error.detail
        raise
    key = get_storage().put(data, ".pdf")
    with transaction(session):
        # Only the first conversion is kept: a PDF, once stored, is immutable too.
        session.execute(
            update(Document)
            .where(Document.id == document.id, Document.pdf_storage_key.is_(None))
            .values(pdf_storage_key=key, pdf_sha256=sha256_hex(data), pdf_created_at=utcnow(),
                    pdf_error=None)
        )  # fmt: skip
    session.refresh(document)


def upload_template(
    session: Session,
    actor: Actor,
    *,
    data: bytes,
    filename: str,
    name: str,
    kind: str,
    language: str,
) -> TemplateVersion:
    """Check an admin's upload and register it as the next version of ``name``."""
    upload = registry.Upload(data, filename, name, kind, language)
    version, variables = registry.check_upload(session, upload)
    with transaction(session):
        return registry.add_upload(session, actor, upload, version, variables)


def register_builtins(session: Session) -> int:
    """Register the manifest's templates that the database does not have yet;
    how many were missing. Two processes doing it at once is harmless."""
    missing = registry.missing_builtins(session)
    if not missing:
        return 0
    try:
        with transaction(session):
            for builtin in missing:
                registry.register_builtin(session, builtin)
    except IntegrityError as error:
        if not registry.is_same_version_race(error):
            raise
        # Another process registered them first: theirs are identical.
    return len(missing)


def install_builtins(app: Flask) -> int:
    """``omd-gov init``: register the built-in templates; the number of
    template versions afterwards."""
    with app.app_context():
        register_builtins(db.session)
        count = queries.template_count(db.session)
        end_read(db.session, "install_builtins")
        return count
