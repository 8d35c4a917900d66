"""Worker tasks: document generation and PDF conversion.

Both call the same services as the API, so the containment is the same
everywhere: each render runs in a child process under ``OMD_RENDER_TIMEOUT``
and each conversion under ``OMD_PDF_TIMEOUT``. Celery's own hard
``time_limit`` (prefork pool) is only the last line of defence above them.
The tasks are idempotent: a PDF is converted once, and a redelivered
generation only adds another immutable document.
"""

from __future__ import annotations

import logging

from celery import shared_task

from omd_gov.audit.chain import Actor
from omd_gov.auth.models import User
from omd_gov.db import db
from omd_gov.documents import services
from omd_gov.documents.models import Document
from omd_gov.documents.pdf import PdfConversionFailed

log = logging.getLogger(__name__)

GENERATE_TASK = "omd.documents.generate"
CONVERT_PDF_TASK = services.CONVERT_PDF_TASK


@shared_task(name=GENERATE_TASK, acks_late=True, time_limit=600, soft_time_limit=540)
def generate(agreement_id: int, kind: str, language: str, user_id: int) -> list[int]:
    """Generate documents on behalf of ``user_id`` (whose visibility applies)."""
    user = db.session.get(User, user_id)
    if user is None:
        log.warning("document generation for missing user %s dropped", user_id)
        return []
    actor = Actor(user_id=user.id, label=user.label, role=user.role, source="worker")
    documents = services.generate(db.session, user, actor, agreement_id, kind, language)
    return [document.id for document in documents]


@shared_task(name=CONVERT_PDF_TASK, acks_late=True, time_limit=300, soft_time_limit=270)
def convert_pdf(document_id: int) -> str:
    document = db.session.get(Document, document_id)
    if document is None:
        return "missing"
    try:
        services.convert_pdf(db.session, document)
    except PdfConversionFailed as error:
        # Recorded on the document (listings and downloads show it); no retry
        # loop: a download retries the conversion and reports the outcome.
        log.warning("PDF conversion of document %s failed: %s", document_id, error.detail)
        return "failed"
    return "ready"
