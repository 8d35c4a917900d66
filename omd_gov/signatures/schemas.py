"""Request and response shapes of the signatures API."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, Dict, File, Integer, List, Nested, String
from apiflask.validators import Length, Regexp


class SignedPdfIn(Schema):
    file = File(required=True)


class IdentityAcceptanceIn(Schema):
    certificate_sha256 = String(required=True, validate=Regexp(r"^[0-9a-f]{64}$"))
    comment = String(required=True, validate=Length(1, 2000))


class IdentityAcceptanceOut(Schema):
    id = Integer()
    agreement_id = Integer()
    certificate_sha256 = String()
    comment = String()
    accepted_by_id = Integer()
    accepted_at = DateTime()


class SignerOut(Schema):
    common_name = String()
    subject = String()
    issuer = String()
    serial_number = String()
    national_id = String(allow_none=True)
    certificate_sha256 = String()


class SignatureCheckOut(Schema):
    field_name = String()
    signer = Nested(SignerOut)
    signing_time = String(allow_none=True)  # ISO 8601, as stored in the report
    timestamp_time = String(allow_none=True)
    intact = Boolean()
    covers_whole_document = Boolean()
    trusted = Boolean()
    revocation = String()
    ok = Boolean()
    party_id = Integer(allow_none=True)
    organization = String(allow_none=True)
    kind = String(allow_none=True)
    identity_accepted = Boolean()


class SignatureReportOut(Schema):
    agreement_id = Integer()
    reference = String()
    state = String()
    signature_level = String()
    document = Dict(allow_none=True)  # the document of record: round, seq, sha256
    signatures = List(Nested(SignatureCheckOut))
    missing_parties = List(Dict())
    ok = Boolean()
    problems = List(String())
