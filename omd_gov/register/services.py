"""Publishing to the register and withdrawing from it: transparency officers
only, one unit of work each, audited on the agreement (so the entry's story
is in the agreement's trail). Publishing closes the "publication" deadline."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from omd_gov.agreements.models import Agreement
from omd_gov.agreements.queries import get_visible
from omd_gov.audit.chain import record
from omd_gov.auth.actors import Actor
from omd_gov.auth.models import Role
from omd_gov.db import transaction, utcnow
from omd_gov.deadlines.scheduling import complete_open
from omd_gov.errors import Conflict, Forbidden, Unprocessable
from omd_gov.notifications.lifecycle import announce_after_commit
from omd_gov.register import queries
from omd_gov.register.entries import search_text
from omd_gov.register.models import RegisterEntry
from omd_gov.register.policy import check_overrides

# Signed agreements, in force or ended: the register keeps their status current.
PUBLISHABLE = ("active", "expired", "terminated", "superseded")


def _require_transparency(actor: Actor) -> None:
    """Only a transparency officer publishes: not even an admin (the law
    names the office's transparency function, and the trail says who)."""
    if actor.role != Role.TRANSPARENCY_OFFICER:
        raise Forbidden(
            "only transparency officers publish to the register",
            required_roles=[Role.TRANSPARENCY_OFFICER.value],
        )


def _agreement(session: Session, actor: Actor, agreement_id: int) -> Agreement:
    _require_transparency(actor)
    return get_visible(session, actor.require_user(), agreement_id, for_update=True)


def publish(
    session: Session, actor: Actor, agreement_id: int, overrides: dict[str, dict[str, Any]]
) -> RegisterEntry:
    """Publish (or publish again after a withdrawal), or, when the entry is
    live, replace its overrides."""
    check_overrides(overrides)
    with transaction(session):
        agreement = _agreement(session, actor, agreement_id)
        if agreement.state not in PUBLISHABLE:
            raise Conflict(
                f"a {agreement.state} agreement cannot be published: only signed ones "
                f"({', '.join(PUBLISHABLE)})",
                state=agreement.state,
            )
        entry = queries.entry_of(session, agreement.id)
        action = "publish" if entry is None or not entry.is_live else "update_publication"
        before = None if entry is None or not entry.is_live else dict(entry.overrides or {})
        now = utcnow()
        if entry is None:
            entry = RegisterEntry(agreement_id=agreement.id, reference=agreement.reference)
            session.add(entry)
        if action == "publish":
            entry.published_at, entry.published_by_id = now, actor.user_id
            entry.withdrawn_at, entry.withdrawal_reason = None, ""
        entry.overrides, entry.updated_at = overrides, now
        session.flush()
        entry.search_text = search_text(queries.shown(session, entry, ""))
        changes = {"overrides": {"from": before, "to": overrides}} if overrides or before else {}
        record(session, actor, agreement, action, changes=changes)
        for deadline in complete_open(session, agreement.id, "publication", "published"):
            done = {"status": {"from": "open", "to": "closed"}}
            record(session, actor, deadline, "complete_deadline", changes=done)
        announce_after_commit(session)  # the lifecycle webhooks' event is the audit event
    return entry


def unpublish(session: Session, actor: Actor, agreement_id: int, reason: str) -> RegisterEntry:
    """Withdraw the entry: a tombstone keeps the reference, the date and the reason."""
    if not reason.strip():
        raise Unprocessable("a reason is required", [{"field": "reason", "message": "required"}])
    with transaction(session):
        agreement = _agreement(session, actor, agreement_id)
        entry = queries.entry_of(session, agreement.id)
        if entry is None or not entry.is_live:
            raise Conflict("the agreement is not published")
        entry.withdrawn_at = entry.updated_at = utcnow()
        entry.withdrawal_reason = reason.strip()
        entry.search_text = entry.reference.lower()
        session.flush()
        record(session, actor, agreement, "unpublish", comment=entry.withdrawal_reason)
        announce_after_commit(session)
    return entry
