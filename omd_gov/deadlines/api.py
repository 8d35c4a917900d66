"""/api/v1/deadlines: list, inspect, move or complete deadlines; the policy."""

from __future__ import annotations

from datetime import date
from typing import Any

from apiflask import APIBlueprint
from flask import current_app

from omd_gov.auth.models import Role, User
from omd_gov.auth.security import auth, current_actor, current_user, roles_required
from omd_gov.db import db
from omd_gov.deadlines import commands
from omd_gov.deadlines.calendar import office_today
from omd_gov.deadlines.policy import load_policies, update_policy
from omd_gov.deadlines.queries import DeadlineFilter, get_deadline, list_deadlines
from omd_gov.deadlines.schemas import (
    CompleteIn,
    DeadlineDetail,
    DeadlinePage,
    DeadlinePatch,
    DeadlineQuery,
    PolicyOut,
    PolicyPatch,
)
from omd_gov.errors import NotFound

bp = APIBlueprint("deadlines", __name__, tag="Deadlines")


def _today() -> date:
    return office_today(current_app.config)


def _assignee(value: str | None) -> User | None:
    """``?assignee=``: anyone for office staff; partners may only ask for
    themselves (any other id is "not found", whether or not it exists)."""
    if value is None:
        return None
    me = current_user()
    if value in ("me", str(me.id)):
        return me
    user = db.session.get(User, int(value)) if me.is_office else None
    if user is None:
        raise NotFound(f"user {value} not found")
    return user


@bp.get("/deadlines")
@bp.auth_required(auth)
@bp.input(DeadlineQuery, location="query", arg_name="query")
@bp.output(DeadlinePage)
def list_all(query: dict[str, Any]) -> dict[str, Any]:
    """Deadlines, soonest first. Partners' signatories see only their own."""
    flt = DeadlineFilter(today=_today(), **(query | {"assignee": _assignee(query.get("assignee"))}))
    items, has_next = list_deadlines(db.session, current_user(), flt)
    return {"items": items, "page": flt.page, "per_page": flt.per_page, "has_next": has_next}


@bp.get("/deadlines/<int:deadline_id>")
@bp.auth_required(auth)
@bp.output(DeadlineDetail)
def get_one(deadline_id: int) -> dict[str, Any]:
    return get_deadline(db.session, current_user(), deadline_id, _today())


@bp.patch("/deadlines/<int:deadline_id>")
@bp.auth_required(auth)
@roles_required(Role.LEGAL_OFFICER)
@bp.input(DeadlinePatch, arg_name="data")
@bp.output(DeadlineDetail)
def change(deadline_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """Move a deadline and/or assign it to one user (legal officers, admins)."""
    commands.change(db.session, current_actor(), deadline_id, **data)
    return get_deadline(db.session, current_user(), deadline_id, _today())


@bp.post("/deadlines/<int:deadline_id>/complete")
@bp.auth_required(auth)
@roles_required(Role.LEGAL_OFFICER, Role.TRANSPARENCY_OFFICER, Role.DATA_OFFICER)
@bp.input(CompleteIn, arg_name="data")
@bp.output(DeadlineDetail)
def complete(deadline_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """Mark a publication or periodic-review deadline as done."""
    commands.complete(db.session, current_actor(), deadline_id, data["comment"])
    return get_deadline(db.session, current_user(), deadline_id, _today())


@bp.get("/deadlines/policy")
@bp.auth_required(auth)
@bp.output(PolicyOut(many=True))
def get_policy() -> list[dict[str, Any]]:
    return [policy.as_dict() for policy in load_policies(db.session).values()]


@bp.patch("/deadlines/policy/<kind>")
@bp.auth_required(auth)
@roles_required(Role.ADMIN)
@bp.input(PolicyPatch(partial=True), arg_name="data")
@bp.output(PolicyOut)
def patch_policy(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """Change one kind's policy (admins). It applies to deadlines opened from now on."""
    return update_policy(db.session, current_actor(), kind, data).as_dict()
