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

from omd_gov.db import db
from omd_gov.documents import services
from omd_gov.documents.generation import CONVERT_PDF_TASK
from omd_gov.documents.jobs import GENERATE_TASK, SOFT_TIME_LIMIT, TASK_TIME_LIMIT
from omd_gov.documents.pdf import PdfConversionFailed
from omd_gov.errors import Unprocessable

log = logging.getLogger(__name__)


@shared_task(
    name=GENERATE_TASK, acks_late=True, time_limit=TASK_TIME_LIMIT, soft_time_limit=SOFT_TIME_LIMIT
)
def generate(job_id: int) -> str:
    """Run a generation job on behalf of its requester (whose visibility applies)."""
    try:
        return services.run_job(db.session, job_id)
    except SoftTimeLimitExceeded:
        limit = f"the generation took longer than the worker's {SOFT_TIME_LIMIT} s"
        services.fail_job(db.session, job_id, Unprocessable(limit))
        return "failed"


@shared_task(name=CONVERT_PDF_TASK, acks_late=True, time_limit=300, soft_time_limit=270)
def convert_pdf(document_id: int) -> str:
    try:
        found = services.convert_pdf(db.session, document_id)
    except PdfConversionFailed as error:
        # Recorded on the document (listings and downloads show it); no retry
        # loop: a download retries the conversion and reports the outcome.
        log.warning("PDF conversion of document %s failed: %s", document_id, error.detail)
        return "failed"
    return "ready" if found else "missing"
