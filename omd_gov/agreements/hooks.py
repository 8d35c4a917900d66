"""How features built on agreements join a transition, without the lifecycle
core importing them. The app factory registers each feature's hooks.

- A **fact** is something a guard needs to know that only a feature can tell
  (e.g. "a DSA exists for this version"). It is asked for only for the
  triggers that registered it.
- A **before** hook runs after the guards pass and before the machine fires
  (e.g. freeze the DSA on ``send_for_signature``). What it returns is added to
  the transition's audit event. It may still refuse by raising a ServiceError.
- An **after** hook runs once the new state is set and audited (e.g. deadlines
  follow the state).

All hooks run inside the transition's unit of work: their rows commit with
the transition and its audit event, or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from omd_gov.agreements.lifecycle import State, Trigger
from omd_gov.agreements.models import Agreement
from omd_gov.auth.actors import Actor
from omd_gov.auth.models import User


@dataclass(frozen=True)
class TransitionStep:
    agreement: Agreement
    trigger: Trigger
    from_state: State
    to_state: State | None  # None in the before phase: the machine has not fired yet
    actor: Actor
    comment: str


FactProvider = Callable[[Session, Agreement], bool]
BeforeHook = Callable[[Session, TransitionStep], Mapping[str, object]]
AfterHook = Callable[[Session, TransitionStep], None]

_FACTS: dict[Trigger, dict[str, FactProvider]] = {}
_BEFORE: dict[Trigger, list[BeforeHook]] = {}
_AFTER: list[AfterHook] = []


def provide_fact(trigger: Trigger, fact: str, provider: FactProvider) -> None:
    _FACTS.setdefault(trigger, {})[fact] = provider


def before(trigger: Trigger, hook: BeforeHook) -> None:
    hooks = _BEFORE.setdefault(trigger, [])
    if hook not in hooks:
        hooks.append(hook)


def after_transition(hook: AfterHook) -> None:
    if hook not in _AFTER:
        _AFTER.append(hook)


def facts_for(session: Session, agreement: Agreement, trigger: Trigger) -> dict[str, bool]:
    return {fact: ask(session, agreement) for fact, ask in _FACTS.get(trigger, {}).items()}


def run_before(session: Session, step: TransitionStep) -> dict[str, object]:
    changes: dict[str, object] = {}
    for hook in _BEFORE.get(step.trigger, []):
        changes.update(hook(session, step))
    return changes


def run_after(session: Session, step: TransitionStep) -> None:
    for hook in _AFTER:
        hook(session, step)


# What features add to an agreement's detail view (e.g. its open deadlines):
# name -> provider(session, user, agreement).
DetailProvider = Callable[[Session, User, Agreement], object]
_DETAIL: dict[str, DetailProvider] = {}


def extend_detail(name: str, provider: DetailProvider) -> None:
    _DETAIL[name] = provider


def detail_extras(session: Session, user: User, agreement: Agreement) -> dict[str, object]:
    return {name: provide(session, user, agreement) for name, provide in _DETAIL.items()}
