"""The workspace's history: audit events as timeline entries with their
field-level diffs, and the audit chain's verification status.

The status is the last successful verification run's checkpoint (one read),
not a verification per page view: ``audit.services.verify_incrementally``
(what ``GET /api/v1/audit/verify`` runs) walks every event since that
checkpoint and records a run, which is a job, not a page's read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from omd_gov.audit.models import AuditEvent
from omd_gov.audit.queries import last_verified_checkpoint


@dataclass(frozen=True)
class Change:
    """One field of an event's ``changes``: before and after for an edit,
    or a plain value (e.g. the frozen document's sha256)."""

    field: str
    before: str | None
    after: str
    is_diff: bool


@dataclass(frozen=True)
class Entry:
    event: AuditEvent
    changes: list[Change]
    verified: bool  # inside the last verified checkpoint


@dataclass(frozen=True)
class ChainStatus:
    verified_size: int  # events covered by the last verified checkpoint (0: none)
    checkpoint_at: datetime | None


def shown(value: Any) -> str:
    """A value as text: lists and mappings as compact JSON, nothing as a dash."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def changes_of(changes: dict[str, Any] | None) -> list[Change]:
    out = []
    for field, value in (changes or {}).items():
        if isinstance(value, dict) and set(value) == {"from", "to"}:
            out.append(Change(field, shown(value["from"]), shown(value["to"]), True))
        else:
            out.append(Change(field, None, shown(value), False))
    return out


def chain_status(session: Session) -> ChainStatus:
    checkpoint = last_verified_checkpoint(session)
    if checkpoint is None:
        return ChainStatus(0, None)
    return ChainStatus(checkpoint.size, checkpoint.created_at)


def timeline(events: list[AuditEvent], chain: ChainStatus) -> list[Entry]:
    return [
        Entry(event, changes_of(event.changes), event.seq <= chain.verified_size)
        for event in events
    ]
