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
    """A value as text: a mapping as "key: value; …", a list one entry after
    another, nothing as a dash."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "; ".join(f"{key.replace('_', ' ')}: {shown(item)}" for key, item in value.items())
    if isinstance(value, list):
        return " · ".join(shown(item) for item in value)
    return json.dumps(value, default=str)


def _records(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def diffs(field: str, before: Any, after: Any) -> list[Change]:
    """Before and after, down to the changed key: "gdpr › retention", or
    "data assets 2 › standard" for an entry of a list (a whole entry when it
    was added or removed)."""
    if isinstance(before, dict) and isinstance(after, dict):
        return _mapping_diffs(field, before, after)
    if _records(before) and _records(after):
        return _list_diffs(field, before, after)
    return [Change(field, shown(before), shown(after), True)]


def _mapping_diffs(field: str, before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    keys = [*after, *(key for key in before if key not in after)]
    out: list[Change] = []
    for key in keys:
        if before.get(key) != after.get(key):
            out += diffs(f"{field} › {key}", before.get(key), after.get(key))
    return out


def _list_diffs(field: str, before: list[Any], after: list[Any]) -> list[Change]:
    out: list[Change] = []
    for index in range(max(len(before), len(after))):
        old = before[index] if index < len(before) else None
        new = after[index] if index < len(after) else None
        name = f"{field} {index + 1}"
        if old is None or new is None:
            out.append(Change(name, shown(old), shown(new), True))
        elif old != new:
            out += diffs(name, old, new)
    return out


def changes_of(changes: dict[str, Any] | None) -> list[Change]:
    out = []
    for field, value in (changes or {}).items():
        if isinstance(value, dict) and set(value) == {"from", "to"}:
            out += diffs(field, value["from"], value["to"])
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
