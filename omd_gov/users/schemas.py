"""The shape of a new user account, checked before ``services.create_user``
(which keeps the rules: known role, a signatory's organisation, the
password's length, a unique e-mail)."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Email, String
from apiflask.validators import Length, OneOf

from omd_gov.api_contract import IdField
from omd_gov.auth.models import Role
from omd_gov.users.services import LANGUAGES


class UserIn(Schema):
    email = Email(required=True, validate=Length(3, 254))
    name = String(required=True, validate=Length(1, 200))
    role = String(required=True, validate=OneOf([role.value for role in Role]))
    organization_id = IdField(load_default=None, allow_none=True)
    language = String(load_default="en", validate=OneOf(LANGUAGES))
    signing_identity = String(load_default=None, allow_none=True, validate=Length(max=200))
    password = String(load_default=None, allow_none=True)
