"""Request and response shapes for the audit API."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, Dict, Integer, List, String
from apiflask.validators import Range

from omd_gov.api_contract import MAX_INT


class ProofQuery(Schema):
    size = Integer(validate=Range(1, MAX_INT), metadata={"description": "default: now"})


class ConsistencyQuery(Schema):
    from_ = Integer(data_key="from", required=True, validate=Range(0, MAX_INT))
    to = Integer(validate=Range(0, MAX_INT), metadata={"description": "default: now"})


class InclusionOut(Schema):
    seq = Integer()
    index = Integer()
    tree_size = Integer()
    leaf = String(metadata={"description": "the event's canonical JSON: the leaf's bytes"})
    leaf_hash = String()
    root_hash = String()
    proof = List(String())
    checkpoint = String(allow_none=True)


class ConsistencyOut(Schema):
    from_ = Integer(data_key="from", attribute="from")  # queries.consistency's key
    to = Integer()
    from_root = String()
    to_root = String()
    proof = List(String())


class CheckpointOut(Schema):
    id = Integer()
    size = Integer()
    root_hash = String(attribute="root_hex")
    key_id = String()
    note = String()
    created_at = DateTime()


class VerificationOut(Schema):
    id = Integer()
    full = Boolean()
    status = String()
    ok = Boolean(allow_none=True)
    from_size = Integer()
    to_size = Integer(allow_none=True)
    checkpoint_id = Integer(allow_none=True)
    report = Dict()
    requested_at = DateTime()
    finished_at = DateTime(allow_none=True)
