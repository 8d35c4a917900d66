"""The steps of a generation: plan which templates a request needs, render
them, and store the results. None of them commits: the caller's unit of work
does (``services.py``, or e.g. the demo loader through :func:`generate_for`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omd_gov.agreements.models import Agreement
from omd_gov.audit.chain import record
from omd_gov.auth.actors import Actor
from omd_gov.db import utcnow
from omd_gov.documents import registry
from omd_gov.documents.context import applicable_annex_kinds, build_context
from omd_gov.documents.models import Document
from omd_gov.documents.rendering import RenderError, render_docx
from omd_gov.documents.storage import get_storage, sha256_hex
from omd_gov.errors import Conflict, Unprocessable
from omd_gov.observability.metrics import DOCUMENTS_RENDERED, RENDER_SECONDS, counted
from omd_gov.tasking.celery_app import enqueue_after_commit

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


Rendered = list[tuple[Planned, bytes]]


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


def plan(session: Session, agreement: Agreement, kind: str, language: str) -> list[Planned]:
    """The current template of each document the request needs."""
    return [_planned(session, k, language) for k in template_kinds(agreement, kind)]


def _planned(session: Session, kind: str, language: str) -> Planned:
    row = registry.current_template(session, kind, language)
    return Planned(
        kind, row.id, row.name, row.version, row.storage_key, row.sha256, row.source == "builtin"
    )


def render(plan: Planned, context: dict[str, Any]) -> bytes:
    """Render one template in a render process, after checking its stored file."""
    template = get_storage().get(plan.template_key)
    if sha256_hex(template) != plan.template_sha256:
        raise Conflict(f"the stored file of template {plan.template_name} v{plan.template_version} "
                       "does not match its sha256; it must be uploaded again")  # fmt: skip
    try:
        with counted(DOCUMENTS_RENDERED, RENDER_SECONDS):
            return render_docx(template, context, registry.render_limits())
    except RenderError as error:
        raise Unprocessable(
            f"template {plan.template_name} v{plan.template_version} failed: {error.message}",
            [{"field": "template", "code": f"render_{error.code}", "message": error.message}],
        ) from None


def check_unchanged(session: Session, agreement_id: int, version: int) -> None:
    """Lock the agreement row and refuse if its content moved past ``version``:
    no edit can then commit between this check and the insert."""
    current = session.execute(
        select(Agreement.content_version).where(Agreement.id == agreement_id).with_for_update()
    ).scalar_one()
    if current != version:
        raise Conflict(
            f"the agreement changed (version {version} -> {current}) while its "
            "documents were being generated; generate them again",
            current_version=current,
        )


def store_all(
    session: Session,
    actor: Actor,
    agreement: tuple[int, int],
    rendered: Rendered,
    kind: str,
    language: str,
) -> list[Document]:
    """Store and audit each rendered file; a package's documents share one id.
    Their PDFs are converted by the worker after the commit, ahead of the first
    download (which otherwise converts on demand, e.g. without a worker)."""
    package_id = uuid.uuid4().hex if kind == "package" else None
    documents = [
        _store(session, actor, agreement, plan, data, language, package_id)
        for plan, data in rendered
    ]
    for document in documents:
        enqueue_after_commit(session, CONVERT_PDF_TASK, document.id)
    return documents


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
    record(session, actor, document, "generate_document", changes=document.audit_summary())
    return document


def generate_for(
    session: Session, actor: Actor, agreement: Agreement, kind: str, language: str
) -> list[Document]:
    """Generate inside the caller's unit of work (e.g. the demo loader), which
    already holds the agreement; the caller commits. Renders while the
    transaction is open, so it is for set-up code, not for requests."""
    plans = plan(session, agreement, kind, language)
    context = build_context(agreement, language)
    rendered = [(planned, render(planned, context)) for planned in plans]
    version = (agreement.id, agreement.content_version)
    return store_all(session, actor, version, rendered, kind, language)
