"""Transition hooks: features that react to a lifecycle step (deadlines,
notifications) register here instead of the lifecycle importing them.

Hooks run inside the transition's transaction, so their rows commit with the
transition and its audit event, or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from omd_gov.agreements.models import Agreement
from omd_gov.auth.actors import Actor


@dataclass(frozen=True)
class TransitionStep:
    agreement: Agreement
    trigger: str
    from_state: str
    to_state: str
    actor: Actor
    comment: str


TransitionHook = Callable[[Session, TransitionStep], None]
_HOOKS: list[TransitionHook] = []


def on_transition(hook: TransitionHook) -> TransitionHook:
    if hook not in _HOOKS:
        _HOOKS.append(hook)
    return hook


def run_hooks(session: Session, step: TransitionStep) -> None:
    for hook in _HOOKS:
        hook(session, step)
