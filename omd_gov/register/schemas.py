"""Request and response shapes of the register: the officer's publication
API, and the public entry (the same field names as the JSON and CSV feeds)."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, Date, DateTime, Dict, Integer, List, Nested, Raw, String
from apiflask.validators import Length


class OverrideIn(Schema):
    public = Boolean(required=True)
    justification = String(load_default="", validate=Length(max=2000))


class PublicationIn(Schema):
    overrides = Dict(
        keys=String(validate=Length(1, 60)),
        values=Nested(OverrideIn),
        load_default=dict,
        metadata={"description": "field -> {public, justification}: departures from the "
                  "office's redaction policy (docs/REGISTER.md)"},
    )  # fmt: skip


class UnpublishIn(Schema):
    reason = String(required=True, validate=Length(1, 2000))


class ModificationOut(Schema):
    type = String(metadata={"description": "amendment, or extension (a renewal)"})
    date = Date()
    reference = String()
    summary = String()
    end_date = Date(allow_none=True)
    uri = String()


class PublicEntryOut(Schema):
    """A register entry as the public sees it; a redacted field is null and
    named in ``redacted``."""

    reference = String()
    uri = String()
    status = String(
        metadata={"description": "in_force, expired, terminated, superseded, withdrawn"}
    )
    published_at = DateTime()
    updated_at = DateTime()
    title = String(allow_none=True)
    object = String(allow_none=True)
    sharing_model = String(allow_none=True)
    gdpr_roles = List(Dict(), allow_none=True)
    signing_body = String(allow_none=True)
    parties = List(String(), allow_none=True)
    party_tax_ids = Dict(keys=String(), values=String(), allow_none=True)
    signatories = List(Dict(), allow_none=True, metadata={"description": "name and office only"})
    signature_date = Date(allow_none=True)
    start_date = Date(allow_none=True)
    end_date = Date(allow_none=True)
    modifications = List(Nested(ModificationOut), allow_none=True)
    obligations = List(Dict(), allow_none=True, metadata={"description": "who does what"})
    economic_terms = Dict(allow_none=True, metadata={"description": "null: no money moves"})
    exclusivity = Dict(allow_none=True)
    data_assets = List(Dict(), allow_none=True)
    personal_data = Boolean(allow_none=True)
    purposes = List(String(), allow_none=True)
    statutory_power = String(allow_none=True)
    retention = String(allow_none=True)
    signed_document_sha256 = String(allow_none=True)
    security_measures = String(allow_none=True)
    renewal_terms = String(allow_none=True)
    redacted = List(String())
    withdrawn_at = DateTime(allow_none=True)
    withdrawal_reason = String(allow_none=True)


class PublicationOut(Schema):
    """The officer's view: the public entry, and how it came to be."""

    entry = Nested(PublicEntryOut)
    overrides = Raw()
    published_by_id = Integer(allow_none=True)
