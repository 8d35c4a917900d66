"""Celery tasks of the audit log: the periodic checkpoint, and full
verification runs (never inside a request)."""

from __future__ import annotations

from celery import shared_task
from flask import current_app

from omd_gov.audit import services
from omd_gov.db import db

CHECKPOINT_TASK = "omd.audit.checkpoint"
SCHEDULE_FULL_TASK = "omd.audit.schedule_full_verification"
# Beat's schedule: entry -> (task, the setting that holds its period in seconds).
PERIODIC = {
    "audit-checkpoint": (CHECKPOINT_TASK, "OMD_CHECKPOINT_SECONDS"),
    "audit-full-verification": (SCHEDULE_FULL_TASK, "OMD_FULL_VERIFY_SECONDS"),
}


@shared_task(name=CHECKPOINT_TASK, ignore_result=True)
def publish_checkpoint() -> int | None:
    return services.publish_periodic_checkpoint(db.session, current_app.config)


@shared_task(name=SCHEDULE_FULL_TASK, ignore_result=True)
def schedule_full_verification() -> int:
    return services.schedule_full_verification(db.session)


@shared_task(name=services.VERIFY_TASK, acks_late=True, ignore_result=True)
def verify_full(run_id: int) -> bool:
    return services.run_full_verification(db.session, current_app.config, run_id)
