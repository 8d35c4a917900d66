"""Generating, freezing, verifying and converting agreement documents.

Generation reads the agreement, renders WITHOUT holding a transaction or a
row lock (a render may take seconds), then, in a short transaction, checks
that the agreement's version has not moved and stores the documents. Every
change to an agreement bumps its version, so a document can never mix two
versions' content: a concurrent edit makes the generation answer 409.
(The cooperation's canvas is read live; its edits are refused while an
agreement of the cooperation is in legal review, approved or signing.)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from omd_gov.agreements.models import Agreement
from omd_gov.agreements.queries import get_visible
from omd_gov.audit.chain import append_event
from omd_gov.auth.actors import Actor
from omd_gov.auth.models import User
from omd_gov.db import call_after_commit, transaction, utcnow
from omd_gov.documents import jobs, pdf, registry
from omd_gov.documents.context import applicable_annex_kinds, build_context
from omd_gov.documents.models import Document, GenerationJob
from omd_gov.documents.rendering import RenderError, render_docx
from omd_gov.documents.storage import get_storage, sha256_hex, verify_file
from omd_gov.errors import Conflict, GuardFailed, NotFound, Unprocessable

REQUEST_KINDS = ("dsa", "annex", "canvas", "package")
CONVERT_PDF_TASK = "omd.documents.convert_pdf"


@dataclass(frozen=True)
class Planned:
    """One document to render: the template row's facts, detached from the session."""

    kind: str
    template_id: int
    template_name: str
    template_version: int
    template_key: str
    template_sha256: str
    builtin: bool


def template_kinds(agreement: Agreement, kind: str) -> list[str]:
    """The template kinds a request means: a package is the DSA, its annexes, the canvas."""
    annexes = applicable_annex_kinds(agreement)
    if kind == "annex" and not annexes:
        reason = (
            "it shares no personal data"
            if not agreement.shares_personal_data
            else "no party is a processor or joint controller"
        )
        raise Unprocessable(
            f"no GDPR annex applies to this agreement: {reason}",
            [{"field": "kind", "message": f"no GDPR annex applies ({reason})"}],
        )
    return {"annex": annexes, "package": ["dsa", *annexes, "canvas"]}.get(kind, [kind])


def request_documents(
    session: Session, user: User, actor: Actor, agreement_id: int, kind: str, language: str
) -> list[Document] | GenerationJob:
    """The API's path. The built-in templates render in this request; a request
    that needs an uploaded template becomes a job for the worker, whose task
    has a time limit on top of the render process's."""
    agreement, plans = _load(session, user, agreement_id, kind, language)
    if any(not plan.builtin for plan in plans):
        return jobs.create(session, actor, agreement, kind, language)
    return _generate(session, actor, agreement, plans, kind, language)


def generate(
    session: Session, user: User, actor: Actor, agreement_id: int, kind: str, language: str
) -> list[Document]:
    """The worker's path: render with whatever templates are current."""
    agreement, plans = _load(session, user, agreement_id, kind, language)
    return _generate(session, actor, agreement, plans, kind, language)


def _load(
    session: Session, user: User, agreement_id: int, kind: str, language: str
) -> tuple[Agreement, list[Planned]]:
    registry.ensure_builtins(session)  # a write needs them: register them if init did not
    agreement = get_visible(session, user, agreement_id)
    return agreement, [_plan(session, k, language) for k in template_kinds(agreement, kind)]


def _generate(
    session: Session,
    actor: Actor,
    agreement: Agreement,
    plans: list[Planned],
    kind: str,
    language: str,
) -> list[Document]:
    """Read, release, render, then store if the agreement is still at the
    version that was rendered."""
    agreement_id, version = agreement.id, agreement.content_version
    context = build_context(agreement, language)
    pdf.end_read(session, "document generation")  # nothing is held while rendering
    rendered = [(plan, _render(plan, context)) for plan in plans]
    with transaction(session):
        # Only the version is needed now (visibility was checked above): lock
        # the row, so no edit can commit between this check and the insert.
        current = session.execute(
            select(Agreement.content_version).where(Agreement.id == agreement_id).with_for_update()
        ).scalar_one()
        if current != version:
            raise Conflict(
                f"the agreement changed (version {version} -> {current}) while its "
                "documents were being generated; generate them again",
                current_version=current,
            )
        documents = _store_all(session, actor, (agreement_id, version), rendered, kind, language)
    return documents


def generate_for(
    session: Session, actor: Actor, agreement: Agreement, kind: str, language: str
) -> list[Document]:
    """Generate inside the caller's transaction (e.g. the demo loader), which
    already holds the agreement; the caller commits."""
    registry.ensure_builtins(session, commit=False)
    plans = [_plan(session, k, language) for k in template_kinds(agreement, kind)]
    context = build_context(agreement, language)
    rendered = [(plan, _render(plan, context)) for plan in plans]
    version = (agreement.id, agreement.content_version)
    return _store_all(session, actor, version, rendered, kind, language)


def _store_all(
    session: Session,
    actor: Actor,
    agreement: tuple[int, int],
    rendered: list[tuple[Planned, bytes]],
    kind: str,
    language: str,
) -> list[Document]:
    package_id = uuid.uuid4().hex if kind == "package" else None
    documents = [
        _store(session, actor, agreement, plan, data, language, package_id)
        for plan, data in rendered
    ]
    ids = [document.id for document in documents]
    call_after_commit(session, lambda: _enqueue_pdfs(ids))
    return documents


def _enqueue_pdfs(document_ids: list[int]) -> None:
    """Have the worker convert ahead of the first download (which otherwise
    converts on demand, e.g. in the embedded set-up without a worker)."""
    from omd_gov.tasking.celery_app import enqueue

    for document_id in document_ids:
        enqueue(CONVERT_PDF_TASK, document_id)


def _plan(session: Session, kind: str, language: str) -> Planned:
    row = registry.current_template(session, kind, language)
    return Planned(
        kind, row.id, row.name, row.version, row.storage_key, row.sha256, row.source == "builtin"
    )


def _render(plan: Planned, context: dict[str, Any]) -> bytes:
    template = get_storage().get(plan.template_key)
    if sha256_hex(template) != plan.template_sha256:
        raise Conflict(f"the stored file of template {plan.template_name} v{plan.template_version} "
                       "does not match its sha256; it must be uploaded again")  # fmt: skip
    try:
        return render_docx(template, context, registry.render_limits())
    except RenderError as error:
        raise Unprocessable(
            f"template {plan.template_name} v{plan.template_version} failed: {error.message}",
            [{"field": "template", "code": f"render_{error.code}", "message": error.message}],
        ) from None


def _store(
    session: Session,
    actor: Actor,
    agreement: tuple[int, int],
    plan: Planned,
    data: bytes,
    language: str,
    package_id: str | None,
) -> Document:
    agreement_id, agreement_version = agreement
    document = Document(
        agreement_id=agreement_id,
        agreement_version=agreement_version,
        kind=plan.kind,
        language=language,
        template_name=plan.template_name,
        template_version=plan.template_version,
        template_version_id=plan.template_id,
        package_id=package_id,
        sha256=sha256_hex(data),
        storage_key=get_storage().put(data, ".docx"),
        size_bytes=len(data),
        created_by_id=actor.user_id,
        created_at=utcnow(),
    )
    session.add(document)
    session.flush()
    _audit(session, actor, document, "generate_document")
    return document


def _audit(session: Session, actor: Actor, document: Document, action: str, **extra: Any) -> None:
    append_event(
        session,
        actor,
        entity_type="document",
        entity_id=document.id,
        agreement_id=document.agreement_id,
        action=action,
        changes=document.audit_summary() | extra,
    )


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
    """Whether a generated DSA exists for the agreement's current version."""
    return latest_dsa(session, agreement) is not None


def freeze_for_signature(session: Session, agreement: Agreement, actor: Actor) -> Document:
    """Freeze the latest DSA of the current version (and its package): the parties
    sign exactly this file, whose sha256 the agreement and each signature record."""
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
            _audit(session, actor, member, "freeze_document")
    agreement.frozen_sha256 = document.sha256
    return document


def _package_members(session: Session, document: Document) -> list[Document]:
    if document.package_id is None:
        return [document]
    statement = select(Document).where(Document.package_id == document.package_id)
    return list(session.execute(statement.order_by(Document.id)).scalars())


def list_documents(session: Session, user: User, agreement_id: int) -> list[Document]:
    agreement = get_visible(session, user, agreement_id)
    statement = (
        select(Document)
        .where(Document.agreement_id == agreement.id)
        .options(selectinload(Document.created_by))
        .order_by(Document.id.desc())
    )
    return list(session.execute(statement).scalars())


def get_document(session: Session, user: User, agreement_id: int, document_id: int) -> Document:
    agreement = get_visible(session, user, agreement_id)
    document = session.get(Document, document_id)
    if document is None or document.agreement_id != agreement.id:
        raise NotFound(f"document {document_id} not found")
    return document


def content(session: Session, document: Document, fmt: str) -> bytes:
    """The file's bytes, after checking them against the recorded hash."""
    if fmt == "pdf":
        convert_pdf(session, document)
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


def convert_pdf(session: Session, document: Document) -> None:
    """Make sure the document has its PDF (converted from the verified .docx)."""
    if not document.pdf_storage_key:
        pdf.ensure_pdf(session, document, content(session, document, "docx"))
