"""The cooperation pages: the list (and a new cooperation), and one
cooperation with its Data Cooperation Canvas as a grid, its stage as a
stepper, and its agreements. Reads go through the cooperations' and
agreements' queries (visibility written once there), writes through the
cooperations' services; refusals come back onto the page."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from omd_gov.agreements.queries import AgreementFilter
from omd_gov.agreements.queries import list_visible as visible_agreements
from omd_gov.cooperations import services
from omd_gov.cooperations.canvas import CANVAS_SECTIONS, STAGES, missing_sections
from omd_gov.cooperations.hooks import canvas_holders
from omd_gov.cooperations.queries import get_visible, list_visible
from omd_gov.cooperations.schemas import CanvasIn, CooperationIn, StageIn
from omd_gov.db import PageRequest, db
from omd_gov.errors import Forbidden, NotFound, ServiceError
from omd_gov.organizations.queries import list_visible as visible_organizations
from omd_gov.web import agreement_drafts  # noqa: F401 - its pages join the blueprint
from omd_gov.web.accounts import login_required, web_actor, web_user
from omd_gov.web.blueprint import bp
from omd_gov.web.cooperation_forms import (
    Errors,
    by_section,
    canvas_input,
    cooperation_input,
    load,
    may_write,
    refusal_errors,
    require_writer,
    stage_input,
)
from omd_gov.web.terms import term

SECTION_GROUPS = ("data_technical", "organisational", "shared_process")


@bp.get("/cooperations")
@login_required
def cooperations() -> str:
    return _list_page()


def _list_page(form: dict[str, Any] | None = None, errors: Errors | None = None) -> str:
    user = web_user()
    return render_template(
        "cooperations.html",
        cooperations=list_visible(db.session, user),
        organizations=visible_organizations(db.session, user) if may_write(user) else [],
        may_write=may_write(user),
        missing_sections=missing_sections,
        section_count=len(CANVAS_SECTIONS),
        form=form or {},
        errors=errors or {},
    )


@bp.post("/cooperations")
@login_required
def create_cooperation() -> Response | tuple[str, int]:
    require_writer(web_user())
    raw = cooperation_input(request.form)
    data, errors = load(CooperationIn(), raw)
    if data is not None:
        try:
            cooperation = services.create(db.session, web_actor(), data)
        except ServiceError as error:
            if error.status != 422:
                raise
            errors = refusal_errors(error)
        else:
            return redirect(url_for("web.cooperation", cooperation_id=cooperation.id), code=303)
    return _list_page(raw, errors), 422


@bp.get("/cooperations/<int:cooperation_id>")
@login_required
def cooperation(cooperation_id: int) -> str:
    return _page(cooperation_id)


def _page(
    cooperation_id: int,
    *,
    draft: dict[str, str] | None = None,
    errors: Errors | None = None,
    stage_errors: Errors | None = None,
    refusal: ServiceError | None = None,
) -> str:
    user = web_user()
    found = get_visible(db.session, user, cooperation_id)
    agreements = visible_agreements(
        db.session, user, AgreementFilter(cooperation_id=found.id), PageRequest(1, 50)
    )
    return render_template(
        "cooperation.html",
        cooperation=found,
        sections=CANVAS_SECTIONS,
        groups=SECTION_GROUPS,
        texts={**(found.canvas or {}), **(draft or {})},
        missing=missing_sections(found.canvas),
        holders=canvas_holders(db.session, found.id),
        stages=STAGES,
        stage_index=STAGES.index(found.stage),
        agreements=agreements,
        may_write=may_write(user),
        cell_errors=by_section(errors or {}),
        stage_errors=stage_errors or {},
        refusal=refusal,
    )


def _refused(cooperation_id: int, error: ServiceError, **kw: Any) -> tuple[str, int]:
    """The page again with the refusal on it; a hidden or missing cooperation
    (or a role that may not write) is the plain error page."""
    if isinstance(error, NotFound | Forbidden):
        raise error
    return _page(cooperation_id, refusal=error, errors=refusal_errors(error), **kw), error.status


@bp.post("/cooperations/<int:cooperation_id>/canvas")
@login_required
def save_canvas(cooperation_id: int) -> Response | tuple[str, int]:
    """Save one section (and, with the technical concepts, the MIMs)."""
    require_writer(web_user())
    current = get_visible(db.session, web_user(), cooperation_id)
    key, version = request.form.get("section", ""), current.version
    data, errors = load(CanvasIn(), canvas_input(request.form, current.canvas, current.mims))
    draft = {key: request.form.get("text", "")}
    if data is None:
        return _page(cooperation_id, draft=draft, errors=errors), 422
    try:
        services.put_canvas(
            db.session, web_actor(), cooperation_id, data["sections"], data["mims"], version
        )
    except ServiceError as error:
        return _refused(cooperation_id, error, draft=draft)
    flash(gettext("Saved: %(section)s", section=term(key, "canvas_section")))
    url = url_for("web.cooperation", cooperation_id=cooperation_id, _anchor=f"cell-{key}")
    return redirect(url, code=303)


@bp.post("/cooperations/<int:cooperation_id>/stage")
@login_required
def change_stage(cooperation_id: int) -> Response | tuple[str, int]:
    require_writer(web_user())
    data, errors = load(StageIn(), stage_input(request.form))
    if data is None:
        return _page(cooperation_id, stage_errors=errors), 422
    try:
        services.change_stage(db.session, web_actor(), cooperation_id, data["to"], data["reason"])
    except ServiceError as error:
        if isinstance(error, NotFound | Forbidden):
            raise
        return _page(cooperation_id, stage_errors=refusal_errors(error)), error.status
    flash(gettext("Stage: %(stage)s", stage=term(data["to"], "stage")))
    return redirect(url_for("web.cooperation", cooperation_id=cooperation_id), code=303)
