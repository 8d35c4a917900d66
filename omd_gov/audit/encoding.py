"""How an audit event is encoded for hashing: the one canonical content
whose bytes are both the chain's hash input and the event's Merkle leaf."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from omd_gov.audit.models import AuditEvent
from omd_gov.audit.verifier import event_leaf
from omd_gov.db import as_utc

HASHED_FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_label",
    "acting_role",
    "source",
    "entity_type",
    "entity_id",
    "agreement_id",
    "action",
    "from_state",
    "to_state",
    "changes",
    "comment",
    "prev_hash",
)


def _iso_utc(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_content(audit_event: AuditEvent) -> dict[str, Any]:
    content = {name: getattr(audit_event, name) for name in HASHED_FIELDS}
    content["occurred_at"] = _iso_utc(audit_event.occurred_at)
    return content


def leaf_of(audit_event: AuditEvent) -> bytes:
    """The event's Merkle leaf: its canonical content, as bytes."""
    return event_leaf(event_content(audit_event))


def event_hash(audit_event: AuditEvent) -> str:
    """The chain's hash: sha256 of the event's leaf bytes."""
    return hashlib.sha256(leaf_of(audit_event)).hexdigest()
