"""Generation jobs: a generation that renders an uploaded template runs in
the worker (``omd.documents.generate``) and the client polls the job.

Uploaded templates are untrusted, so their renders run where a time limit
can stop them: the render process's ``OMD_RENDER_TIMEOUT`` and, above it,
the task's Celery ``time_limit``. A job is created in the request's
transaction and published only after it commits; the worker records the
outcome (the document ids, or the failure as a problem) on the row.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omd_gov.agreements.models import Agreement
from omd_gov.agreements.queries import get_visible
from omd_gov.audit.chain import append_event
from omd_gov.auth.actors import Actor
from omd_gov.auth.models import User
from omd_gov.db import call_after_commit, transaction, utcnow
from omd_gov.documents.models import Document, GenerationJob
from omd_gov.errors import NotFound, ServiceError

GENERATE_TASK = "omd.documents.generate"
TASK_TIME_LIMIT = 600  # Celery's hard limit (prefork pool) for one job
# A job still "running" this long after it started lost its worker (killed at
# the hard limit, or the machine went down): it is reported as failed.
STALE_AFTER = timedelta(seconds=TASK_TIME_LIMIT + 60)


def create(
    session: Session, actor: Actor, agreement: Agreement, kind: str, language: str
) -> GenerationJob:
    """Record the job and publish it once the row is committed."""
    with transaction(session):
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
        append_event(
            session,
            actor,
            entity_type="document_job",
            entity_id=job.id,
            agreement_id=agreement.id,
            action="request_documents",
            changes={"job_id": job.id, "kind": kind, "language": language},
        )
        job_id = job.id
        call_after_commit(session, lambda: _publish(job_id))
    return job


def _publish(job_id: int) -> None:
    from omd_gov.tasking.celery_app import enqueue

    enqueue(GENERATE_TASK, job_id)


def start(session: Session, job: GenerationJob) -> None:
    with transaction(session):
        job.status, job.started_at = "running", utcnow()


def finish(
    session: Session,
    job: GenerationJob,
    document_ids: list[int] | None = None,
    error: ServiceError | None = None,
) -> None:
    """Record the outcome: the documents, or the failure as a problem."""
    with transaction(session):
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
    if job.status == "running" and job.started_at is not None:
        started = job.started_at
        started = started.replace(tzinfo=UTC) if started.tzinfo is None else started
        if utcnow() - started > STALE_AFTER:
            return "failed", {
                "status": 503,
                "title": "Generation failed",
                "slug": "generation-failed",
                "detail": "the worker stopped without finishing this generation (it was "
                f"stopped at its {TASK_TIME_LIMIT} s limit?); request the documents again",
                "errors": [],
            }
    return job.status, job.problem


def get(session: Session, user: User, agreement_id: int, job_id: int) -> GenerationJob:
    agreement = get_visible(session, user, agreement_id)
    job = session.get(GenerationJob, job_id)
    if job is None or job.agreement_id != agreement.id:
        raise NotFound(f"generation job {job_id} not found")
    return job


def documents_of(session: Session, job: GenerationJob) -> list[Document]:
    statement = select(Document).where(Document.id.in_(job.document_ids or [-1]))
    return list(session.execute(statement.order_by(Document.id)).scalars())
