"""/api/v1/organizations"""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema
from apiflask.fields import DateTime, Dict, Integer, List, String
from apiflask.validators import Length, OneOf, Regexp
from sqlalchemy import select

from omd_gov.auth.models import Role
from omd_gov.auth.security import auth, current_actor, current_user, roles_required
from omd_gov.db import db
from omd_gov.errors import NotFound
from omd_gov.organizations import services
from omd_gov.organizations.models import ORGANIZATION_KINDS, Organization

bp = APIBlueprint("organizations", __name__, tag="Organizations")


class OrganizationIn(Schema):
    name = String(required=True, validate=Length(1, 200))
    kind = String(required=True, validate=OneOf(ORGANIZATION_KINDS))
    country = String(
        required=True, validate=Regexp(r"^[A-Z]{2}$", error="ISO 3166-1 alpha-2, e.g. PT")
    )
    tax_id = String(required=True, validate=Length(1, 40))
    contacts = List(Dict(keys=String(), values=String()), load_default=list)


class OrganizationOut(OrganizationIn):
    id = Integer()
    created_at = DateTime()


def _visible(organization_id: int) -> Any:
    """Partners see only their own organisation; others answer 404."""
    user = current_user()
    organization = db.session.get(Organization, organization_id)
    if organization is None or (not user.is_office and user.organization_id != organization_id):
        raise NotFound(f"organisation {organization_id} not found")
    return organization


@bp.post("/organizations")
@bp.auth_required(auth)
@roles_required(Role.DATA_OFFICER)
@bp.input(OrganizationIn, arg_name="data")
@bp.output(OrganizationOut, status_code=201)
def create_organization(data: dict[str, Any]) -> Any:
    organization = services.create(db.session, current_actor(), data)
    return organization


@bp.get("/organizations")
@bp.auth_required(auth)
@bp.output(OrganizationOut(many=True))
def list_organizations() -> Any:
    user = current_user()
    statement = select(Organization).order_by(Organization.name)
    if not user.is_office:
        statement = statement.where(Organization.id == user.organization_id)
    return db.session.execute(statement).scalars().all()


@bp.get("/organizations/<int:organization_id>")
@bp.auth_required(auth)
@bp.output(OrganizationOut)
def get_organization(organization_id: int) -> Any:
    return _visible(organization_id)
