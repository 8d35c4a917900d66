"""Worker tasks: document generation and PDF conversion.

Both call the same services as the API, so the containment is the same
everywhere: each render runs in a child process under ``OMD_RENDER_TIMEOUT``
and each conversion under ``OMD_PDF_TIMEOUT``. Celery's own hard
``time_limit`` (prefork pool) is only the last line of defence above them.
The tasks are idempotent: a PDF is converted once, and a settled
generation job is not run again (one redelivered while it was running only
adds another immutable document).
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from omd_gov.auth.actors import Actor
from omd_gov.auth.models import User
from omd_gov.db import db
from omd_gov.documents import jobs, services
from omd_gov.documents.models import Document, GenerationJob
from omd_gov.documents.pdf import PdfConversionFailed
from omd_gov.errors import NotFound, ServiceError, Unprocessable

log = logging.getLogger(__name__)

GENERATE_TASK = jobs.GENERATE_TASK
CONVERT_PDF_TASK = services.CONVERT_PDF_TASK


@shared_task(
    name=GENERATE_TASK,
    acks_late=True,
    time_limit=jobs.TASK_TIME_LIMIT,
    soft_time_limit=jobs.TASK_TIME_LIMIT - 60,
)
def generate(job_id: int) -> str:
    """Run a generation job on behalf of its requester (whose visibility applies)."""
    job = db.session.get(GenerationJob, job_id)
    if job is None or job.status in ("done", "failed"):
        return "missing" if job is None else job.status  # a redelivery: already settled
    user = db.session.get(User, job.requested_by_id)
    if user is None:
        jobs.finish(db.session, job, error=NotFound("the user who asked for it is gone"))
        return "failed"
    actor = Actor.of(user, "worker")
    args = (job.agreement_id, job.kind, job.language)
    jobs.start(db.session, job)
    try:
        documents = services.generate(db.session, user, actor, *args)
    except ServiceError as error:  # a render failure, a concurrent edit, a lost right…
        db.session.rollback()
        jobs.finish(db.session, job, error=error)
        log.info("generation job %s failed: %s", job_id, error.detail)
        return "failed"
    except SoftTimeLimitExceeded:
        db.session.rollback()
        limit = f"the generation took longer than the worker's {jobs.TASK_TIME_LIMIT - 60} s"
        jobs.finish(db.session, job, error=Unprocessable(limit))
        return "failed"
    jobs.finish(db.session, job, [document.id for document in documents])
    return "done"


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
