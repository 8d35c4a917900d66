"""Deadline policy: how long each deadline runs and when it reminds.

The defaults below are the office's (and are seeded into ``deadline_policies``
by the migration); an admin may change them. A kind without a row uses its
default, so an emptied table never leaves a deadline without a policy.
Changing it is ``services.update_policy``; this module holds the domain steps.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omd_gov.db import utcnow
from omd_gov.deadlines.models import DEADLINE_KINDS, DeadlinePolicy
from omd_gov.errors import NotFound


@dataclass(frozen=True)
class Policy:
    kind: str
    due_business_days: int | None = None
    remind_before_business_days: tuple[int, ...] = ()  # 0 = on the due day
    remind_every_business_days: int | None = None  # from the start, until the due day
    escalate_after_business_days: int | None = None  # after the due day, to supervisors
    notice_days_before: tuple[int, ...] = ()  # calendar days before the due day
    notify_on_start: bool = False
    review_every_months: int | None = None  # periodic review; None = the agreement's interval

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["remind_before_business_days"] = list(self.remind_before_business_days)
        data["notice_days_before"] = list(self.notice_days_before)
        return data


DEFAULTS: dict[str, Policy] = {
    "legal_review": Policy(
        "legal_review",
        due_business_days=10,
        remind_before_business_days=(2, 0),
        escalate_after_business_days=3,
        notify_on_start=True,
    ),
    "changes": Policy("changes", due_business_days=10, notify_on_start=True),
    "signature": Policy(
        "signature", due_business_days=15, remind_every_business_days=5, notify_on_start=True
    ),
    "publication": Policy("publication", due_business_days=20, notify_on_start=True),
    "expiry": Policy("expiry", notice_days_before=(90, 30, 7)),
    "periodic_review": Policy("periodic_review", notice_days_before=(0,)),
}
assert set(DEFAULTS) == set(DEADLINE_KINDS)


def _from_row(row: DeadlinePolicy) -> Policy:
    data = row.as_dict()
    data["remind_before_business_days"] = tuple(data["remind_before_business_days"])
    data["notice_days_before"] = tuple(data["notice_days_before"])
    return Policy(kind=row.kind, **data)


def policies_from(rows: Iterable[DeadlinePolicy]) -> dict[str, Policy]:
    """The effective policy of every kind: these table rows over the defaults."""
    policies = dict(DEFAULTS)
    policies.update((row.kind, _from_row(row)) for row in rows if row.kind in policies)
    return policies


def load_policies(session: Session) -> dict[str, Policy]:
    return policies_from(session.execute(select(DeadlinePolicy)).scalars())


def store_policy(
    session: Session, kind: str, changes: dict[str, Any], updated_by_id: int | None
) -> tuple[Policy, Policy]:
    """Write one kind's changed policy (inside the caller's unit of work);
    returns it before and after the change."""
    if kind not in DEFAULTS:
        raise NotFound(f"no deadline kind {kind!r}")
    before = load_policies(session)[kind]
    sets = {
        key: tuple(sorted(set(value), reverse=True))
        for key, value in changes.items()
        if key in ("remind_before_business_days", "notice_days_before")
    }
    after = replace(before, **(changes | sets))
    row = session.get(DeadlinePolicy, kind, with_for_update=True)
    if row is None:
        row = DeadlinePolicy(kind=kind)
        session.add(row)
    for key, value in after.as_dict().items():
        if key != "kind":
            setattr(row, key, value)
    row.updated_by_id = updated_by_id
    row.updated_at = utcnow()
    return before, after


def policy_changes(before: Policy, after: Policy) -> dict[str, Any]:
    """What the audit event of a policy change records."""
    old, new = before.as_dict(), after.as_dict()
    changed = {key: {"from": old[key], "to": new[key]} for key in new if old[key] != new[key]}
    return changed | {"kind": after.kind}
