"""A new agreement draft from its cooperation's page: the form, validated
with the API's ``AgreementIn`` and created by ``agreements.services.create_draft``,
then on to the new agreement's workspace."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from omd_gov.agreements import services as agreement_services
from omd_gov.agreements.schemas import AgreementIn
from omd_gov.cooperations.queries import get_visible
from omd_gov.db import db
from omd_gov.deadlines.calendar import office_today
from omd_gov.errors import ServiceError
from omd_gov.web.accounts import login_required, web_actor, web_user
from omd_gov.web.agreement_forms import (
    ASSET_ROWS,
    PARTY_ROWS,
    agreement_input,
    form_choices,
    on_form_rows,
    row_range,
)
from omd_gov.web.blueprint import bp
from omd_gov.web.cooperation_forms import Errors, load, refusal_errors, require_writer


def _suggested(cooperation: Any) -> dict[str, str]:
    """A fresh form: the cooperation's organisations as the first parties
    (each signing), a term from today, for two years, the office's signature level."""
    today = office_today(current_app.config)
    form = {
        "start_date": today.isoformat(),
        "end_date": (today + timedelta(days=730)).isoformat(),
        "signature_level": current_app.config["OMD_SIGNATURE_LEVEL"],
    }
    for row, organization in enumerate(cooperation.organizations[:PARTY_ROWS]):
        form[f"parties-{row}-organization_id"] = str(organization.id)
        form[f"parties-{row}-signs"] = "on"
    return form


def _form_page(cooperation_id: int, form: dict[str, Any], errors: Errors) -> str:
    user = web_user()
    return render_template(
        "agreement_new.html",
        cooperation=get_visible(db.session, user, cooperation_id),
        form=form,
        errors=errors,
        party_rows=row_range(form, "parties", PARTY_ROWS),
        asset_rows=row_range(form, "assets", ASSET_ROWS),
        **form_choices(user),
    )


@bp.get("/cooperations/<int:cooperation_id>/agreements/new")
@login_required
def new_agreement(cooperation_id: int) -> str:
    require_writer(web_user())
    cooperation = get_visible(db.session, web_user(), cooperation_id)
    return _form_page(cooperation_id, _suggested(cooperation), {})


@bp.post("/cooperations/<int:cooperation_id>/agreements")
@login_required
def create_agreement(cooperation_id: int) -> Response | tuple[str, int]:
    require_writer(web_user())
    get_visible(db.session, web_user(), cooperation_id)  # 404 when hidden or missing
    raw, rows = agreement_input(request.form, cooperation_id)
    data, errors = load(AgreementIn(), raw)
    if data is not None:
        prefix = current_app.config["OMD_REFERENCE_PREFIX"]
        try:
            agreement = agreement_services.create_draft(db.session, web_actor(), data, prefix)
        except ServiceError as error:
            if error.status != 422:
                raise
            errors = refusal_errors(error)
        else:
            url = url_for("web.workspace", agreement_id=agreement.id)
            return redirect(url, code=303)
    return _form_page(cooperation_id, request.form.to_dict(), on_form_rows(errors, rows)), 422
