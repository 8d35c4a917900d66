"""Generation jobs: a generation that renders an uploaded template runs in
the worker (``omd.documents.generate``) and the client polls the job.

Uploaded templates are untrusted, so their renders run where a time limit
can stop them: the render process's ``OMD_RENDER_TIMEOUT`` and, above it,
the task's Celery ``time_limit``. These are the steps on the job row; the
units of work that call them are in ``services.py``: a job is created in the
request's transaction and published only after it commits, and the worker
records the outcome (the document ids, or the failure as a problem).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from omd_gov.agreements.models import Agreement
from omd_gov.audit.chain import record
from omd_gov.auth.actors import Actor
from omd_gov.db import as_utc, utcnow
from omd_gov.documents.models import GenerationJob
from omd_gov.errors import ServiceError
from omd_gov.tasking.celery_app import enqueue_after_commit

GENERATE_TASK = "omd.documents.generate"
TASK_TIME_LIMIT = 600  # Celery's hard limit (prefork pool) for one job
SOFT_TIME_LIMIT = TASK_TIME_LIMIT - 60
# A job still "running" this long after it started lost its worker (killed at
# the hard limit, or the machine went down): it is reported as failed.
STALE_AFTER = timedelta(seconds=TASK_TIME_LIMIT + 60)


def new_job(
    session: Session, actor: Actor, agreement: Agreement, kind: str, language: str
) -> GenerationJob:
    """Record and audit the job; it is published once the row is committed."""
    job = GenerationJob(
        agreement_id=agreement.id,
        kind=kind,
        language=language,
        requested_by_id=actor.user_id,
        status="queued",
        document_ids=[],
        created_at=utcnow(),
    )
    session.add(job)
    session.flush()
    changes = {"job_id": job.id, "kind": kind, "language": language}
    record(session, actor, job, "request_documents", changes=changes)
    enqueue_after_commit(session, GENERATE_TASK, job.id)
    return job


def mark_started(job: GenerationJob) -> None:
    job.status, job.started_at = "running", utcnow()


def record_outcome(
    job: GenerationJob, document_ids: list[int] | None = None, error: ServiceError | None = None
) -> None:
    """The documents, or the failure as a problem."""
    job.finished_at = utcnow()
    if error is None:
        job.status, job.document_ids = "done", list(document_ids or [])
    else:
        job.status, job.problem = "failed", problem_of(error)


def problem_of(error: ServiceError) -> dict[str, Any]:
    return {
        "status": error.status,
        "title": error.title,
        "slug": error.slug,
        "detail": error.detail,
        "errors": error.errors,
    }


def outcome(job: GenerationJob) -> tuple[str, dict[str, Any] | None]:
    """(status, problem) as a client sees it, a lost worker included."""
    started = job.started_at
    if job.status == "running" and started and utcnow() - as_utc(started) > STALE_AFTER:
        return "failed", {
            "status": 503,
            "title": "Generation failed",
            "slug": "generation-failed",
            "detail": "the worker stopped without finishing this generation (it was "
            f"stopped at its {TASK_TIME_LIMIT} s limit?); request the documents again",
            "errors": [],
        }
    return job.status, job.problem
