"""Transition steps: check a trigger's legality, role and guards, then fire it
with its effects, hooks and audit event. These are domain steps: they join
the caller's unit of work (``agreements.services``) and never commit."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from omd_gov.agreements import editing, hooks, lifecycle, stays
from omd_gov.agreements.guards import GuardContext, approve_guard, signs_for_party
from omd_gov.agreements.hooks import TransitionStep
from omd_gov.agreements.lifecycle import State, Trigger
from omd_gov.agreements.models import Agreement
from omd_gov.agreements.rules import RULES, role_may_fire, unmet_conditions
from omd_gov.audit.chain import record
from omd_gov.auth.actors import Actor
from omd_gov.db import call_after_commit, utcnow
from omd_gov.errors import Conflict, Forbidden, GuardFailed, IllegalTrigger, Unprocessable
from omd_gov.observability.metrics import TRANSITIONS


def _context(
    actor: Actor, comment: str = "", today: date | None = None, facts: dict[str, bool] | None = None
) -> GuardContext:
    user = actor.user
    return GuardContext(
        user_id=actor.user_id,
        role=actor.role,
        organization_id=user.organization_id if user is not None else None,
        comment=comment,
        today=today,
        facts=facts or {},
    )


def allowed_triggers(agreement: Agreement, actor: Actor) -> list[Trigger]:
    """Triggers this caller may fire in the current state (guards may still refuse)."""
    ctx = _context(actor)
    out = []
    for trigger in lifecycle.triggers_from(agreement.state):
        if not role_may_fire(actor.role, trigger):
            continue
        if trigger in (Trigger.SIGN, Trigger.DECLINE) and signs_for_party(agreement, ctx):
            continue
        if trigger == Trigger.APPROVE and approve_guard(agreement, ctx):
            continue  # four-eyes: this caller may never approve this version
        out.append(trigger)
    return out


def transition(
    session: Session, actor: Actor, agreement: Agreement, name: str, comment: str = ""
) -> Agreement:
    """Check legality, role and every guard; then fire, apply effects and audit."""
    trigger = _known_trigger(agreement, actor, name)
    if trigger not in lifecycle.triggers_from(agreement.state):
        raise IllegalTrigger(
            f"'{trigger}' is not possible while the agreement is {agreement.state}",
            state=agreement.state,
            allowed_triggers=allowed_triggers(agreement, actor),
        )
    if not role_may_fire(actor.role, trigger):
        raise Forbidden(
            f"the {actor.role} role may not '{trigger}' an agreement",
            allowed_triggers=allowed_triggers(agreement, actor),
        )
    facts = hooks.facts_for(session, agreement, trigger)
    ctx = _context(actor, comment, today=utcnow().date(), facts=facts)
    problems = unmet_conditions(agreement, trigger, ctx)
    if problems:
        raise GuardFailed(
            f"{len(problems)} condition(s) not met for '{trigger}'",
            [problem.as_dict() for problem in problems],
        )
    return _apply(session, agreement, trigger, actor, comment)


API_TRIGGERS = frozenset(Trigger) - lifecycle.SYSTEM_TRIGGERS


def _known_trigger(agreement: Agreement, actor: Actor, name: str) -> Trigger:
    if name in API_TRIGGERS:
        return Trigger(name)
    raise Unprocessable(
        f"unknown trigger {name!r}",
        [{"field": "trigger", "message": "not a trigger of the agreement lifecycle"}],
        allowed_triggers=allowed_triggers(agreement, actor),
    )


def fire_system(
    session: Session, agreement: Agreement, trigger: Trigger, comment: str
) -> Agreement:
    """System triggers (expire, supersede): no role, no guards beyond the state."""
    if trigger not in lifecycle.triggers_from(agreement.state):
        raise IllegalTrigger(
            f"'{trigger}' is not possible while the agreement is {agreement.state}"
        )
    fired = _apply(session, agreement, trigger, Actor.system(), comment)
    # Counted once it is real, like the triggers users fire (services.fire_trigger).
    call_after_commit(session, TRANSITIONS.labels(str(trigger), "fired").inc)
    return fired


def _apply(
    session: Session, agreement: Agreement, trigger: Trigger, actor: Actor, comment: str
) -> Agreement:
    state = State(agreement.state)
    changes = hooks.run_before(
        session, TransitionStep(agreement, trigger, state, None, actor, comment)
    )
    changes |= RULES[trigger].effect(agreement, actor, comment)
    from_state, to_state = lifecycle.fire(agreement, trigger)
    # Every step bumps the row version, even signing->signing, so two racing
    # signatures cannot both miss that they were the last one.
    agreement.updated_at = utcnow()
    if to_state == State.ACTIVE and agreement.activated_at is None:
        changes |= _activate(session, agreement)
    session.flush()  # the version check happens here: a stale row raises StaleDataError
    event = record(
        session,
        actor,
        agreement,
        trigger,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        changes=changes,
    )
    stays.follow(session, event)  # the analytics' stays, kept with the trail
    hooks.run_after(
        session, TransitionStep(agreement, trigger, from_state, to_state, actor, comment)
    )
    return agreement


def _activate(session: Session, agreement: Agreement) -> dict[str, object]:
    """The agreement comes into force; an amendment supersedes what it amends."""
    agreement.activated_at = utcnow()
    if agreement.amends_id is not None:
        previous = session.get(Agreement, agreement.amends_id, with_for_update=True)
        if previous is not None and previous.state == State.ACTIVE:
            fire_system(
                session,
                previous,
                Trigger.SUPERSEDE,
                f"superseded by amendment {agreement.reference}",
            )
    return {"activated_at": agreement.activated_at.isoformat()}


def derive(session: Session, actor: Actor, source: Agreement, kind: str, prefix: str) -> Agreement:
    """Create a linked new draft: an amendment (of an active agreement) or a
    renewal (of an active or expired one). Content is copied for editing."""
    allowed = lifecycle.DERIVABLE_FROM[kind]
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
    draft = editing.create(session, actor, data, prefix)
    record(session, actor, source, f"derive_{kind}", changes={"new_agreement": draft.reference})
    return draft
