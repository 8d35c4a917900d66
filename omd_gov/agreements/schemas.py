"""Request and response shapes for the agreements API (marshmallow, via APIFlask).

Unknown fields are refused (marshmallow's default ``RAISE``), so a typo in a
field name is a 422, never silently ignored.
"""

from __future__ import annotations

import re
from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, Date, DateTime, Dict, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range, Regexp
from marshmallow import ValidationError, validates_schema

from omd_gov.agreements.lifecycle import State
from omd_gov.agreements.models import DELIVERIES, PARTY_ROLES, SHARING_MODELS, SIGNATURE_LEVELS
from omd_gov.agreements.queries import SORTS
from omd_gov.agreements.terms import (
    ContactIn,
    ContactOut,
    DpoIn,
    EconomicTermsIn,
    EconomicTermsOut,
    ExclusivityIn,
    ExclusivityOut,
    WholeSchema,
)
from omd_gov.api_contract import IdField

LAWFUL_BASES = (
    "consent",
    "contract",
    "legal_obligation",
    "vital_interests",
    "public_task",
    "legitimate_interests",
)
DPIA_DECISIONS = ("required", "not_required", "done")
ISO_DURATION = re.compile(r"^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?$")


class PartyIn(WholeSchema):
    """``obligations``, ``contact`` and ``dpo`` left out keep what the party
    had (a form that does not show them never clears them); null clears."""

    organization_id = IdField(required=True)
    role = String(required=True, validate=OneOf(PARTY_ROLES))
    signs = Boolean(load_default=True)
    obligations = String(validate=Length(max=2000))
    contact = Nested(ContactIn, allow_none=True)
    dpo = Nested(DpoIn, allow_none=True)


class DataAssetIn(Schema):
    name = String(required=True, validate=Length(1, 300))
    description = String(load_default="", validate=Length(max=5000))
    standard = String(required=True, validate=Length(1, 100))
    delivery = String(required=True, validate=OneOf(DELIVERIES))
    personal_data = Boolean(load_default=False)


class GdprIn(Schema):
    lawful_basis = String(allow_none=True, validate=OneOf(LAWFUL_BASES))
    personal_data_categories = List(String(validate=Length(1, 200)), load_default=list)
    data_subject_categories = List(String(validate=Length(1, 200)), load_default=list)
    special_categories = List(String(validate=Length(1, 200)), load_default=list)
    art9_condition = String(allow_none=True, validate=Length(max=500))
    dpia = String(allow_none=True, validate=OneOf(DPIA_DECISIONS))
    dpia_reference = String(allow_none=True, validate=Length(max=200))
    retention = String(
        allow_none=True, validate=Regexp(ISO_DURATION, error="an ISO 8601 duration, e.g. P2Y")
    )
    transfers_outside_eea = Boolean(load_default=False)
    transfer_mechanism = String(allow_none=True, validate=Length(max=500))
    recipients = List(String(validate=Length(1, 200)), load_default=list)


class AgreementIn(Schema):
    cooperation_id = IdField(required=True)
    title = String(required=True, validate=Length(1, 300))
    purpose = String(required=True, validate=Length(1, 10000))
    sharing_model = String(required=True, validate=OneOf(SHARING_MODELS))
    parties = List(Nested(PartyIn), load_default=list)
    data_assets = List(Nested(DataAssetIn), load_default=list)
    gdpr = Nested(GdprIn, load_default=dict)
    start_date = Date(allow_none=True)
    end_date = Date(allow_none=True)
    statutory_power = String(load_default="", validate=Length(max=2000))
    security_measures = String(load_default="", validate=Length(max=10000))
    renewal_terms = String(load_default="", validate=Length(max=5000))
    review_interval_months = Integer(load_default=12, validate=Range(1, 120))
    # Omitted: the office default (OMD_SIGNATURE_LEVEL), which is also the floor.
    signature_level = String(validate=OneOf(SIGNATURE_LEVELS))
    economic_terms = Nested(EconomicTermsIn, allow_none=True, load_default=None)
    exclusivity = Nested(ExclusivityIn, load_default=lambda: {"exclusive": False})

    @validates_schema
    def _dates_in_order(self, data: dict[str, Any], **_kwargs: Any) -> None:
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end <= start:
            raise ValidationError("the end date must follow the start date", "end_date")


class AgreementPatch(AgreementIn):
    """Every field optional; the agreement's cooperation cannot change."""

    class Meta:
        exclude = ("cooperation_id",)


class TransitionIn(Schema):
    trigger = String(required=True, validate=Length(1, 50))
    comment = String(load_default="", validate=Length(max=5000))


class AgreementQuery(Schema):
    state = String(validate=OneOf([str(state) for state in State]))
    organization_id = IdField()
    cooperation_id = IdField()
    sharing_model = String(validate=OneOf(SHARING_MODELS))
    personal_data = Boolean(
        metadata={"description": "true: agreements sharing personal data (any data asset); "
                  "false: those sharing none"},
    )  # fmt: skip
    q = String(validate=Length(1, 200))
    sort = String(
        load_default="newest",
        validate=OneOf(list(SORTS)),
        metadata={"description": "newest/oldest (by id), reference, title, or end_date "
                  "(soonest first; agreements without one last)"},
    )  # fmt: skip
    page = Integer(load_default=1, validate=Range(min=1, max=100000))
    per_page = Integer(load_default=20, validate=Range(1, 100))
    cursor = String(
        validate=Length(1, 500),
        metadata={"description": "start after this cursor (a page's next_cursor) instead of "
                  "at a page number: as fast on the last page as on the first"},
    )  # fmt: skip


class PartyOut(Schema):
    id = Integer()
    organization_id = Integer()
    organization_name = String(attribute="organization.name")
    role = String()
    signs = Boolean()
    obligations = String()
    contact = Nested(ContactOut, allow_none=True)
    dpo = Nested(ContactOut, allow_none=True)


class DataAssetOut(DataAssetIn):
    id = Integer()


class SignatureOut(Schema):
    party_id = Integer(allow_none=True)
    user_id = Integer()
    document_sha256 = String()
    signed_at = DateTime()
    voided_at = DateTime(allow_none=True)


class AgreementSummary(Schema):
    id = Integer()
    reference = String()
    title = String()
    state = String()
    version = Integer()
    content_version = Integer()
    sharing_model = String()
    cooperation_id = Integer()
    start_date = Date(allow_none=True)
    end_date = Date(allow_none=True)
    parties = List(Nested(PartyOut))
    updated_at = DateTime()


class AgreementOut(AgreementSummary):
    purpose = String()
    owner_id = Integer()
    submitted_by_id = Integer(allow_none=True)
    data_assets = List(Nested(DataAssetOut))
    gdpr = Dict()
    statutory_power = String()
    security_measures = String()
    renewal_terms = String()
    review_interval_months = Integer()
    amends_id = Integer(allow_none=True)
    renews_id = Integer(allow_none=True)
    frozen_sha256 = String(allow_none=True)
    frozen_pdf_sha256 = String(allow_none=True)
    signature_level = String()
    economic_terms = Nested(EconomicTermsOut, allow_none=True)
    exclusivity = Nested(ExclusivityOut, attribute="exclusivity_terms")
    activated_at = DateTime(allow_none=True)
    closed_reason = String()
    signatures = List(Nested(SignatureOut))
    created_at = DateTime()
    allowed_triggers = List(String())


class AgreementPage(Schema):
    items = List(Nested(AgreementSummary))
    page = Integer()
    per_page = Integer()
    has_next = Boolean()
    next_cursor = String(
        allow_none=True,
        metadata={"description": "the cursor of the next page; null on the last one"},
    )


class AuditEventOut(Schema):
    id = Integer()
    seq = Integer()
    occurred_at = DateTime()
    actor_id = Integer(allow_none=True)
    actor_label = String()
    acting_role = String()
    source = String()
    action = String()
    from_state = String(allow_none=True)
    to_state = String(allow_none=True)
    changes = Dict()
    comment = String()
    prev_hash = String()
    hash = String()
