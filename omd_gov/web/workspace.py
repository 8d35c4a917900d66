"""The agreement workspace (``/agreements/{id}``, the target of every e-mail
link): what the agreement says, what this user may do now, its documents,
deadlines and history, and where it stands in the lifecycle. Changes go
through the features' services only; the page is built in
``workspace_view.py``, and its edit form and document actions live in
``workspace_edit.py`` and ``workspace_documents.py``."""

from __future__ import annotations

from flask import Response, flash, redirect, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response as BaseResponse

import omd_gov.web.workspace_documents  # noqa: F401 - its routes
import omd_gov.web.workspace_edit  # noqa: F401 - its routes
from omd_gov.agreements import services as agreement_services
from omd_gov.agreements.queries import get_visible
from omd_gov.db import db
from omd_gov.errors import GuardFailed, ServiceError
from omd_gov.web.accounts import login_required, web_actor, web_user
from omd_gov.web.blueprint import bp
from omd_gov.web.diagram import lifecycle_svg
from omd_gov.web.terms import term
from omd_gov.web.workspace_view import render_workspace

SVG = "image/svg+xml"


@bp.get("/agreements/<int:agreement_id>")
@login_required
def workspace(agreement_id: int) -> tuple[str, int]:
    return render_workspace(agreement_id)


@bp.post("/agreements/<int:agreement_id>/transitions")
@login_required
def fire(agreement_id: int) -> BaseResponse | tuple[str, int]:
    trigger = request.form.get("trigger", "")
    comment = request.form.get("comment", "").strip()
    try:
        agreement_services.fire_trigger(db.session, web_actor(), agreement_id, trigger, comment)
    except ServiceError as error:
        status = 422 if isinstance(error, GuardFailed) else error.status
        return render_workspace(agreement_id, status=status, refusal=error)
    flash(gettext("%(action)s: done", action=term(trigger, "trigger")))
    return redirect(url_for("web.workspace", agreement_id=agreement_id), code=303)


@bp.get("/agreements/<int:agreement_id>/lifecycle.svg")
@login_required
def agreement_diagram(agreement_id: int) -> Response:
    agreement = get_visible(db.session, web_user(), agreement_id)
    return Response(str(lifecycle_svg(agreement.state)), mimetype=SVG)
