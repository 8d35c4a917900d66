"""Request and response shapes for the cooperations API."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import DateTime, Dict, Integer, List, Nested, String
from apiflask.validators import Length, OneOf

from omd_gov.api_contract import IdField
from omd_gov.cooperations.canvas import STAGES


class CooperationIn(Schema):
    title = String(required=True, validate=Length(1, 300))
    description = String(load_default="", validate=Length(max=10000))
    organization_ids = List(IdField(), load_default=list)


class CanvasIn(Schema):
    sections = Dict(keys=String(), values=String(validate=Length(max=20000)), required=True)
    mims = List(String(validate=Length(1, 50)), load_default=list)


class StageIn(Schema):
    to = String(required=True, validate=OneOf(STAGES))
    reason = String(load_default="", validate=Length(max=5000))


class OrganizationRef(Schema):
    id = Integer()
    name = String()


class CooperationOut(Schema):
    id = Integer()
    title = String()
    description = String()
    stage = String()
    canvas = Dict(attribute="canvas")
    mims = List(String())
    organizations = List(Nested(OrganizationRef))
    owner_id = Integer(allow_none=True)
    version = Integer()
    created_at = DateTime()
    updated_at = DateTime()
