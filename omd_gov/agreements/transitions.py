"""Lifecycle commands: fire a trigger with its guards, effects and audit event
in one transaction; derive amendments and renewals."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from omd_gov.agreements import editing, guards, lifecycle
from omd_gov.agreements.hooks import TransitionStep, run_hooks
from omd_gov.agreements.models import Agreement, Signature
from omd_gov.auth.actors import Actor
from omd_gov.auth.models import User
from omd_gov.db import utcnow
from omd_gov.documents import services as documents
from omd_gov.errors import Conflict, Forbidden, GuardFailed, IllegalTrigger, Unprocessable


def guard_context(
    session: Session, agreement: Agreement, user: User, comment: str = ""
) -> guards.GuardContext:
    return guards.GuardContext(
        user_id=user.id,
        role=user.role,
        organization_id=user.organization_id,
        comment=comment,
        document_ready=documents.document_ready(session, agreement),
        today=utcnow().date(),
    )


def allowed_triggers(agreement: Agreement, user: User) -> list[str]:
    """Triggers this caller may fire in the current state (guards may still refuse)."""
    ctx = guards.GuardContext(user.id, user.role, user.organization_id)
    out = []
    for trigger in lifecycle.triggers_from(agreement.state):
        if not lifecycle.role_may_fire(user.role, trigger):
            continue
        if trigger in ("sign", "decline") and guards.signs_for_party(agreement, ctx):
            continue
        if trigger == "approve" and guards.approve_guard(agreement, ctx):
            continue  # four-eyes: this caller may never approve this version
        out.append(trigger)
    return out


def transition(
    session: Session,
    user: User,
    actor: Actor,
    agreement: Agreement,
    trigger: str,
    comment: str = "",
) -> Agreement:
    """Check legality, role and every guard; then fire, apply effects and audit."""
    if trigger not in lifecycle.TRIGGERS or trigger in lifecycle.SYSTEM_TRIGGERS:
        raise Unprocessable(
            f"unknown trigger {trigger!r}",
            [{"field": "trigger", "message": "not a trigger of the agreement lifecycle"}],
            allowed_triggers=allowed_triggers(agreement, user),
        )
    if trigger not in lifecycle.triggers_from(agreement.state):
        raise IllegalTrigger(
            f"'{trigger}' is not possible while the agreement is {agreement.state}",
            state=agreement.state,
            allowed_triggers=allowed_triggers(agreement, user),
        )
    if not lifecycle.role_may_fire(user.role, trigger):
        raise Forbidden(
            f"the {user.role} role may not '{trigger}' an agreement",
            allowed_triggers=allowed_triggers(agreement, user),
        )
    problems = guards.unmet_conditions(
        agreement, trigger, guard_context(session, agreement, user, comment)
    )
    if problems:
        raise GuardFailed(
            f"{len(problems)} condition(s) not met for '{trigger}'",
            [problem.as_dict() for problem in problems],
        )
    return _apply(session, agreement, trigger, actor, comment, user)


def fire_system(session: Session, agreement: Agreement, trigger: str, comment: str) -> Agreement:
    """System triggers (expire, supersede): no role, no guards beyond the state."""
    if trigger not in lifecycle.triggers_from(agreement.state):
        raise IllegalTrigger(
            f"'{trigger}' is not possible while the agreement is {agreement.state}"
        )
    return _apply(session, agreement, trigger, Actor.system(), comment, None)


def _apply(
    session: Session,
    agreement: Agreement,
    trigger: str,
    actor: Actor,
    comment: str,
    user: User | None,
) -> Agreement:
    changes = _before_effects(session, agreement, trigger, actor, comment, user)
    from_state, to_state = lifecycle.fire(agreement, trigger)
    # Every step bumps the row version, even signing->signing, so two racing
    # signatures cannot both miss that they were the last one.
    agreement.updated_at = utcnow()
    changes |= _after_effects(session, agreement, to_state, actor)
    session.flush()  # the version check happens here: a stale row raises StaleDataError
    editing.record(
        session,
        actor,
        agreement,
        trigger,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        changes=changes,
    )
    run_hooks(session, TransitionStep(agreement, trigger, from_state, to_state, actor, comment))
    return agreement


def _before_effects(
    session: Session,
    agreement: Agreement,
    trigger: str,
    actor: Actor,
    comment: str,
    user: User | None,
) -> dict[str, object]:
    if trigger == "submit":
        agreement.submitted_by_id = actor.user_id
    elif trigger == "send_for_signature":
        document = documents.freeze_for_signature(session, agreement, actor)
        return {"frozen_sha256": document.sha256}
    elif trigger == "sign" and user is not None:
        party = guards.signing_party(agreement, guard_context(session, agreement, user))
        assert party is not None  # the guard has checked it
        agreement.signatures.append(
            Signature(
                party_id=party.id,
                user_id=user.id,
                agreement_version=agreement.content_version,
                document_sha256=agreement.frozen_sha256 or "",
                signed_at=utcnow(),
            )
        )
        return {
            "signed_for_organization_id": party.organization_id,
            "document_sha256": agreement.frozen_sha256,
        }
    elif trigger == "decline":
        for signature in agreement.live_signatures:
            signature.voided_at = utcnow()
        agreement.frozen_sha256 = None
    elif trigger in ("terminate", "withdraw", "expire", "supersede"):
        agreement.closed_reason = comment
    return {}


def _after_effects(
    session: Session, agreement: Agreement, to_state: str, actor: Actor
) -> dict[str, object]:
    if to_state != "active" or agreement.activated_at is not None:
        return {}
    agreement.activated_at = utcnow()
    if agreement.amends_id is not None:
        previous = session.get(Agreement, agreement.amends_id, with_for_update=True)
        if previous is not None and previous.state == "active":
            fire_system(
                session, previous, "supersede", f"superseded by amendment {agreement.reference}"
            )
    return {"activated_at": agreement.activated_at.isoformat()}


def derive(
    session: Session, actor: Actor, owner: User, source: Agreement, kind: str, prefix: str
) -> Agreement:
    """Create a linked new draft: an amendment (of an active agreement) or a
    renewal (of an active or expired one). Content is copied for editing."""
    allowed = {"amendment": ("active",), "renewal": ("active", "expired")}[kind]
    if source.state not in allowed:
        raise Conflict(
            f"a {kind} needs an agreement that is {' or '.join(allowed)}", state=source.state
        )
    data = editing.snapshot(source)
    data["cooperation_id"] = source.cooperation_id
    if kind == "renewal":
        data["start_date"] = data["end_date"] = None
        data["title"] = source.title
    for key in ("start_date", "end_date"):
        data[key] = date.fromisoformat(data[key]) if data[key] else None
    data["amends_id" if kind == "amendment" else "renews_id"] = source.id
    draft = editing.create(session, actor, owner.id, data, prefix)
    editing.record(
        session, actor, source, f"derive_{kind}", changes={"new_agreement": draft.reference}
    )
    return draft
