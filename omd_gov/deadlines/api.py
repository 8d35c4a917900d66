"""/api/v1/deadlines: list, inspect, move, claim or complete deadlines; the policy."""

from __future__ import annotations

from datetime import date
from typing import Any

from apiflask import APIBlueprint
from flask import current_app

from omd_gov.auth.models import Role
from omd_gov.auth.security import auth, current_actor, current_user, roles_required
from omd_gov.db import PageRequest, db
from omd_gov.deadlines import queries, services
from omd_gov.deadlines.calendar import office_today
from omd_gov.deadlines.queries import DeadlineFilter
from omd_gov.deadlines.schemas import (
    CompleteIn,
    DeadlineDetail,
    DeadlinePage,
    DeadlinePatch,
    DeadlineQuery,
    PolicyOut,
    PolicyPatch,
)

bp = APIBlueprint("deadlines", __name__, tag="Deadlines")


def _today() -> date:
    return office_today(current_app.config)


@bp.get("/deadlines")
@bp.auth_required(auth)
@bp.input(DeadlineQuery, location="query", arg_name="query")
@bp.output(DeadlinePage)
def list_all(query: dict[str, Any]) -> dict[str, Any]:
    """Deadlines, soonest first. Partners' signatories see only their own."""
    me = current_user()
    page = PageRequest(query.pop("page"), query.pop("per_page"), query.pop("cursor", None))
    assignee = queries.assignee_named(db.session, me, query.pop("assignee", None))
    flt = DeadlineFilter(today=_today(), assignee=assignee, **query)
    return page.answer(queries.list_deadlines(db.session, me, flt, page))


@bp.get("/deadlines/<int:deadline_id>")
@bp.auth_required(auth)
@bp.output(DeadlineDetail)
def get_one(deadline_id: int) -> dict[str, Any]:
    return queries.get_deadline(db.session, current_user(), deadline_id, _today())


@bp.patch("/deadlines/<int:deadline_id>")
@bp.auth_required(auth)
@roles_required(Role.LEGAL_OFFICER)
@bp.input(DeadlinePatch, arg_name="data")
@bp.output(DeadlineDetail)
def change(deadline_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """Move a deadline and/or assign it to one user (legal officers, admins)."""
    services.change_deadline(db.session, current_actor(), deadline_id, **data)
    return queries.get_deadline(db.session, current_user(), deadline_id, _today())


@bp.post("/deadlines/<int:deadline_id>/claim")
@bp.auth_required(auth)
@bp.output(DeadlineDetail)
def claim(deadline_id: int) -> dict[str, Any]:
    """Claim a deadline from your team's queue (e.g. a legal officer a legal
    review; admins any office queue): it becomes yours by name, and its
    reminders go to you alone. 403 outside its team; 409 when it is closed or
    already someone's. To give it to a colleague, PATCH it with `assignee_id`."""
    services.claim_deadline(db.session, current_actor(), deadline_id)
    return queries.get_deadline(db.session, current_user(), deadline_id, _today())


@bp.post("/deadlines/<int:deadline_id>/complete")
@bp.auth_required(auth)
@roles_required(Role.LEGAL_OFFICER, Role.TRANSPARENCY_OFFICER, Role.DATA_OFFICER)
@bp.input(CompleteIn, arg_name="data")
@bp.output(DeadlineDetail)
def complete(deadline_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """Mark a publication or periodic-review deadline as done."""
    services.complete_deadline(db.session, current_actor(), deadline_id, data["comment"])
    return queries.get_deadline(db.session, current_user(), deadline_id, _today())


@bp.get("/deadlines/policy")
@bp.auth_required(auth)
@bp.output(PolicyOut(many=True))
def get_policy() -> list[dict[str, Any]]:
    return queries.list_policies(db.session)


@bp.patch("/deadlines/policy/<kind>")
@bp.auth_required(auth)
@roles_required(Role.ADMIN)
@bp.input(PolicyPatch(partial=True), arg_name="data")
@bp.output(PolicyOut)
def patch_policy(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """Change one kind's policy (admins). It applies to deadlines opened from now on."""
    return services.update_policy(db.session, current_actor(), kind, data).as_dict()
