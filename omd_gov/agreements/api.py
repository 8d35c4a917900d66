"""/api/v1/agreements: drafting, the lifecycle, and the audit trail."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from flask import current_app

from omd_gov.agreements import hooks, services
from omd_gov.agreements.models import Agreement
from omd_gov.agreements.queries import AgreementFilter, events_of, get_visible, list_visible
from omd_gov.agreements.schemas import (
    AgreementIn,
    AgreementOut,
    AgreementPage,
    AgreementPatch,
    AgreementQuery,
    AuditEventOut,
    TransitionIn,
)
from omd_gov.agreements.transitions import allowed_triggers
from omd_gov.auth.models import Role
from omd_gov.auth.security import auth, current_actor, current_user, roles_required
from omd_gov.db import PageRequest, db
from omd_gov.preconditions import etag, if_match

bp = APIBlueprint("agreements", __name__, tag="Agreements")


def agreement_response(agreement: Agreement, status: int = 200) -> tuple[Any, int, dict[str, str]]:
    body = AgreementOut().dump(agreement)
    body["allowed_triggers"] = allowed_triggers(agreement, current_actor())
    body |= hooks.detail_extras(db.session, current_user(), agreement)
    return body, status, {"ETag": etag(agreement.version)}


@bp.get("/agreements")
@bp.auth_required(auth)
@bp.input(AgreementQuery, location="query", arg_name="query")
@bp.output(AgreementPage)
def list_agreements(query: dict[str, Any]) -> dict[str, Any]:
    page = PageRequest(query.pop("page"), query.pop("per_page"), query.pop("cursor", None))
    return page.answer(list_visible(db.session, current_user(), AgreementFilter(**query), page))


@bp.post("/agreements")
@bp.auth_required(auth)
@roles_required(Role.DATA_OFFICER)
@bp.input(AgreementIn, arg_name="data")
@bp.doc(responses={201: "The new draft (AgreementOut), with its ETag"})
def create_agreement(data: dict[str, Any]) -> Any:
    prefix = current_app.config["OMD_REFERENCE_PREFIX"]
    agreement = services.create_draft(db.session, current_actor(), data, prefix)
    return agreement_response(agreement, 201)


@bp.get("/agreements/<int:agreement_id>")
@bp.auth_required(auth)
@bp.doc(responses={200: "The agreement (AgreementOut) with ETag and allowed_triggers"})
def get_agreement(agreement_id: int) -> Any:
    return agreement_response(get_visible(db.session, current_user(), agreement_id))


@bp.patch("/agreements/<int:agreement_id>")
@bp.auth_required(auth)
@bp.input(AgreementPatch(partial=True), arg_name="data")
@bp.doc(responses={200: "The edited agreement", 412: "Stale If-Match", 428: "If-Match missing"})
def patch_agreement(agreement_id: int, data: dict[str, Any]) -> Any:
    agreement = services.edit_draft(db.session, current_actor(), agreement_id, data, if_match())
    return agreement_response(agreement)


@bp.post("/agreements/<int:agreement_id>/transitions")
@bp.auth_required(auth)
@bp.input(TransitionIn, arg_name="data")
@bp.doc(
    responses={200: "The agreement after the transition", 409: "Illegal trigger", 422: "Guards"}
)
def post_transition(agreement_id: int, data: dict[str, Any]) -> Any:
    agreement = services.fire_trigger(
        db.session, current_actor(), agreement_id, data["trigger"], data["comment"]
    )
    return agreement_response(agreement)


@bp.post("/agreements/<int:agreement_id>/<any(amendments, renewals):kind>")
@bp.auth_required(auth)
@roles_required(Role.DATA_OFFICER)
@bp.doc(responses={201: "The new linked draft"})
def derive_agreement(agreement_id: int, kind: str) -> Any:
    prefix = current_app.config["OMD_REFERENCE_PREFIX"]
    draft = services.derive_draft(
        db.session, current_actor(), agreement_id, kind.removesuffix("s"), prefix
    )
    return agreement_response(draft, 201)


@bp.get("/agreements/<int:agreement_id>/events")
@bp.auth_required(auth)
@bp.output(AuditEventOut(many=True))
def list_events(agreement_id: int) -> Any:
    return events_of(db.session, current_user(), agreement_id)
