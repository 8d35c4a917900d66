"""Editing an agreement's content: its own page (``/agreements/{id}/edit``,
linked from the workspace for data officers while the agreement is a draft
or changes were requested), with the same fields as the new-draft page
(``agreement_forms``): parties, data assets and GDPR profile included. The
post is checked with the API's own schema (``AgreementPatch``) and service,
so the messages next to the fields are the API's; the row version travels in
a hidden field, so an edit made on a page someone else changed meanwhile is
refused, never merged."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from omd_gov.agreements import services as agreement_services
from omd_gov.agreements.models import Agreement
from omd_gov.agreements.queries import get_visible
from omd_gov.agreements.schemas import AgreementPatch
from omd_gov.auth.security import require_role
from omd_gov.db import db
from omd_gov.errors import PreconditionFailed, PreconditionRequired, ServiceError
from omd_gov.web.accounts import login_required, web_actor, web_user
from omd_gov.web.agreement_forms import (
    ASSET_ROWS,
    DATES,
    PARTY_ROWS,
    content_form,
    content_input,
    form_choices,
    on_form_rows,
    row_range,
)
from omd_gov.web.blueprint import bp
from omd_gov.web.cooperation_forms import Errors, load, refusal_errors
from omd_gov.web.workspace_view import EDITORS, may_edit

STALE = (PreconditionFailed, PreconditionRequired)


def _editable(agreement_id: int) -> Agreement | Response:
    """The agreement, or the way back to its workspace when it cannot be
    edited now (403 for a role that never edits, 404 when hidden)."""
    user = web_user()
    require_role(user, *EDITORS)
    agreement = get_visible(db.session, user, agreement_id)
    if may_edit(user, agreement):
        return agreement
    flash(gettext("This agreement cannot be edited in its current state."))
    return _back(agreement_id)


def _page(
    agreement: Agreement,
    form: dict[str, str],
    errors: Errors | None = None,
    status: int = 200,
    **extra: Any,
) -> tuple[str, int]:
    page = render_template(
        "agreement_edit.html",
        agreement=agreement,
        form=form,
        errors=errors or {},
        party_rows=row_range(form, "parties", PARTY_ROWS),
        asset_rows=row_range(form, "assets", ASSET_ROWS),
        **form_choices(web_user()),
        **extra,
    )
    return page, status


@bp.get("/agreements/<int:agreement_id>/edit")
@login_required
def edit_form(agreement_id: int) -> Response | tuple[str, int]:
    agreement = _editable(agreement_id)
    if isinstance(agreement, Response):
        return agreement
    return _page(agreement, content_form(agreement))


def _version() -> int | None:
    value = request.form.get("version", "")
    return int(value) if value.isdigit() else None


def _changed(posted: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """Only what the officer changed, a whole list or profile at a time: an
    untouched field is not re-sent (its audit diff would be empty, and a
    signature level below a raised office floor would be refused though
    nobody touched it). A changed date sends both, so that the schema checks
    their order."""
    names = {name for name, value in posted.items() if value != current.get(name)}
    if names & set(DATES):
        names |= set(DATES) & set(posted)
    return {name: posted[name] for name in names}


@bp.post("/agreements/<int:agreement_id>/edit")
@login_required
def edit(agreement_id: int) -> Response | tuple[str, int]:
    agreement = _editable(agreement_id)
    if isinstance(agreement, Response):
        return agreement
    posted, rows = content_input(request.form)
    changed = _changed(posted, content_input(MultiDict(content_form(agreement)))[0])
    if not changed:
        flash(gettext("Nothing changed."))
        return _back(agreement_id)
    form = request.form.to_dict()
    data, errors = load(AgreementPatch(partial=True), changed)
    if data is None:
        return _page(agreement, form, on_form_rows(errors, rows), 422)
    try:
        agreement_services.edit_draft(db.session, web_actor(), agreement_id, data, _version())
    except STALE:
        return _page(agreement, form, status=409, stale=True)
    except ServiceError as error:
        if error.status != 422:
            return _page(agreement, form, status=error.status, refusal=error)
        return _page(agreement, form, on_form_rows(refusal_errors(error), rows), 422)
    flash(gettext("Saved."))
    return _back(agreement_id)


def _back(agreement_id: int) -> Response:
    target = url_for("web.workspace", agreement_id=agreement_id, _anchor="details")
    return redirect(target, code=303)
