"""Editing an agreement's content from its workspace (data officers, while
it is a draft or changes were requested). The form is checked with the
API's own schema (``AgreementPatch``), so the messages next to the fields
are the API's; the row version travels in a hidden field, so an edit made
on a page someone else changed meanwhile is refused, never merged."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from omd_gov.agreements import services as agreement_services
from omd_gov.agreements.queries import get_visible
from omd_gov.agreements.schemas import AgreementPatch
from omd_gov.db import db
from omd_gov.errors import PreconditionFailed, PreconditionRequired, ServiceError
from omd_gov.web.accounts import login_required, web_actor, web_user
from omd_gov.web.blueprint import bp
from omd_gov.web.workspace_view import EDIT_FIELDS, form_values, render_workspace

DATES = ("start_date", "end_date")
STALE = (PreconditionFailed, PreconditionRequired)


def _posted() -> dict[str, str]:
    """The form as typed (what the page shows again if it is refused)."""
    return {name: request.form.get(name, "").strip() for name in EDIT_FIELDS}


def _version() -> int | None:
    value = request.form.get("version", "")
    return int(value) if value.isdigit() else None


def _changed(posted: dict[str, str], current: dict[str, str]) -> dict[str, Any]:
    """Only the fields the officer changed: an untouched field is not
    re-sent (its audit diff would be empty, and a signature level below a
    raised office floor would be refused though nobody touched it). A changed
    date sends both, so that the schema checks their order."""
    names = {name for name, value in posted.items() if value != current.get(name, "")}
    if names & set(DATES):
        names |= set(DATES)
    return {name: (posted[name] or None) if name in DATES else posted[name] for name in names}


@bp.post("/agreements/<int:agreement_id>/edit")
@login_required
def edit(agreement_id: int) -> Response | tuple[str, int]:
    posted = _posted()
    current = form_values(get_visible(db.session, web_user(), agreement_id))
    changed = _changed(posted, current)
    if not changed:
        flash(gettext("Nothing changed."))
        return _back(agreement_id)
    try:
        data = AgreementPatch(partial=True).load(changed)
    except ValidationError as error:
        messages = (
            error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        )
        return render_workspace(agreement_id, status=422, form=posted, form_errors=messages)
    try:
        agreement_services.edit_draft(db.session, web_actor(), agreement_id, data, _version())
    except STALE:
        return render_workspace(agreement_id, status=409, form=posted, stale=True)
    except ServiceError as error:
        return render_workspace(agreement_id, status=error.status, refusal=error, form=posted)
    flash(gettext("Saved."))
    return _back(agreement_id)


def _back(agreement_id: int) -> Response:
    target = url_for("web.workspace", agreement_id=agreement_id, _anchor="details")
    return redirect(target, code=303)
