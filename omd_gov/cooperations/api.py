"""/api/v1/cooperations and their Data Cooperation Canvas."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from omd_gov.auth.models import Role
from omd_gov.auth.security import auth, current_actor, current_user, roles_required
from omd_gov.cooperations import queries, services
from omd_gov.cooperations.models import Cooperation
from omd_gov.cooperations.schemas import CanvasIn, CooperationIn, CooperationOut, StageIn
from omd_gov.db import db
from omd_gov.preconditions import etag, if_match

bp = APIBlueprint("cooperations", __name__, tag="Cooperations")


@bp.post("/cooperations")
@bp.auth_required(auth)
@roles_required(Role.DATA_OFFICER)
@bp.input(CooperationIn, arg_name="data")
@bp.output(CooperationOut, status_code=201)
def create_cooperation(data: dict[str, Any]) -> Any:
    return _tagged(services.create(db.session, current_actor(), data), 201)


@bp.get("/cooperations")
@bp.auth_required(auth)
@bp.output(CooperationOut(many=True))
def list_cooperations() -> Any:
    return queries.list_visible(db.session, current_user())


def _tagged(cooperation: Cooperation, status: int = 200) -> tuple[Cooperation, int, dict[str, str]]:
    return cooperation, status, {"ETag": etag(cooperation.version)}


@bp.get("/cooperations/<int:cooperation_id>")
@bp.auth_required(auth)
@bp.output(CooperationOut)
def get_cooperation(cooperation_id: int) -> Any:
    return _tagged(queries.get_visible(db.session, current_user(), cooperation_id))


# Writes honour an optional If-Match (clients written before ETags send none).


@bp.patch("/cooperations/<int:cooperation_id>")
@bp.auth_required(auth)
@roles_required(Role.DATA_OFFICER)
@bp.input(CooperationIn(partial=True), arg_name="data")
@bp.output(CooperationOut)
def patch_cooperation(cooperation_id: int, data: dict[str, Any]) -> Any:
    cooperation = services.update(db.session, current_actor(), cooperation_id, data, if_match())
    return _tagged(cooperation)


@bp.put("/cooperations/<int:cooperation_id>/canvas")
@bp.auth_required(auth)
@roles_required(Role.DATA_OFFICER)
@bp.input(CanvasIn, arg_name="data")
@bp.output(CooperationOut)
def put_canvas(cooperation_id: int, data: dict[str, Any]) -> Any:
    cooperation = services.put_canvas(
        db.session,
        current_actor(),
        cooperation_id,
        data["sections"],
        data["mims"],
        if_match(),
    )
    return _tagged(cooperation)


@bp.post("/cooperations/<int:cooperation_id>/stage")
@bp.auth_required(auth)
@roles_required(Role.DATA_OFFICER)
@bp.input(StageIn, arg_name="data")
@bp.output(CooperationOut)
def change_stage(cooperation_id: int, data: dict[str, Any]) -> Any:
    cooperation = services.change_stage(
        db.session,
        current_actor(),
        cooperation_id,
        data["to"],
        data["reason"],
        if_match(),
    )
    return _tagged(cooperation)
