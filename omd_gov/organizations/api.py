"""/api/v1/organizations"""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from omd_gov.auth.models import Role
from omd_gov.auth.security import auth, current_actor, current_user, roles_required
from omd_gov.db import db
from omd_gov.organizations import queries, services
from omd_gov.organizations.schemas import OrganizationIn, OrganizationOut

bp = APIBlueprint("organizations", __name__, tag="Organizations")


@bp.post("/organizations")
@bp.auth_required(auth)
@roles_required(Role.DATA_OFFICER)
@bp.input(OrganizationIn, arg_name="data")
@bp.output(OrganizationOut, status_code=201)
def create_organization(data: dict[str, Any]) -> Any:
    return services.create(db.session, current_actor(), data)


@bp.get("/organizations")
@bp.auth_required(auth)
@bp.output(OrganizationOut(many=True))
def list_organizations() -> Any:
    return queries.list_visible(db.session, current_user())


@bp.get("/organizations/<int:organization_id>")
@bp.auth_required(auth)
@bp.output(OrganizationOut)
def get_organization(organization_id: int) -> Any:
    return queries.get_visible(db.session, current_user(), organization_id)
