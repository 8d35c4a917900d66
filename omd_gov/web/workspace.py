"""The agreement workspace (``/agreements/{id}``, the target of every e-mail
link): what the agreement says, what this user may do now, and its history.
Changes go through the agreements' services only."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from omd_gov.agreements import services as agreement_services
from omd_gov.agreements.queries import events_of, get_visible
from omd_gov.agreements.transitions import allowed_triggers
from omd_gov.db import db
from omd_gov.errors import GuardFailed, ServiceError
from omd_gov.web.accounts import login_required, web_actor, web_user
from omd_gov.web.blueprint import bp


@bp.get("/agreements/<int:agreement_id>")
@login_required
def workspace(agreement_id: int) -> str:
    return _workspace(agreement_id)


def _workspace(agreement_id: int, refusal: ServiceError | None = None) -> str:
    user = web_user()
    agreement = get_visible(db.session, user, agreement_id)
    return render_template(
        "agreement.html",
        agreement=agreement,
        triggers=allowed_triggers(agreement, web_actor()),
        events=events_of(db.session, user, agreement_id),
        refusal=refusal,
    )


@bp.post("/agreements/<int:agreement_id>/transitions")
@login_required
def fire(agreement_id: int) -> Response | tuple[str, int]:
    trigger = request.form.get("trigger", "")
    comment = request.form.get("comment", "").strip()
    try:
        agreement_services.fire_trigger(db.session, web_actor(), agreement_id, trigger, comment)
    except ServiceError as error:
        status = 422 if isinstance(error, GuardFailed) else error.status
        return _workspace(agreement_id, refusal=error), status
    flash(f"{trigger.replace('_', ' ')}: done")
    return redirect(url_for("web.workspace", agreement_id=agreement_id), code=303)


def problems_of(error: ServiceError) -> list[Any]:
    """A refusal's field-level problems, for the page's list."""
    return [problem.get("message", "") for problem in error.errors] or [error.detail]
