"""Request and response shapes for the organisations API."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import DateTime, Dict, Integer, List, String
from apiflask.validators import Length, OneOf, Regexp

from omd_gov.organizations.models import ORGANIZATION_KINDS


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
