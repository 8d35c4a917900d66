"""Each trigger's rules, side by side: who may fire it, what must hold first,
and what it changes on the agreement before the machine moves it.

Adding a trigger means one row in ``TRANSITIONS`` (lifecycle.py) and one
``Rule`` here; a test checks that every trigger has one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from omd_gov.agreements import effects, guards
from omd_gov.agreements.guards import GuardContext, Problem
from omd_gov.agreements.lifecycle import Trigger
from omd_gov.agreements.models import Agreement
from omd_gov.auth.models import OFFICE_ROLES, Role

Guard = Callable[[Agreement, GuardContext], list[Problem]]


@dataclass(frozen=True)
class Rule:
    roles: frozenset[Role]  # empty: only the system fires it
    guard: Guard = guards.nothing
    effect: effects.Effect = effects.nothing


def _roles(*roles: Role) -> frozenset[Role]:
    return frozenset(roles)


RULES: dict[Trigger, Rule] = {
    Trigger.SUBMIT: Rule(_roles(Role.DATA_OFFICER), guards.submit_guard, effects.record_submitter),
    Trigger.REQUEST_CHANGES: Rule(
        _roles(Role.LEGAL_OFFICER), guards.reason_required("a comment explaining the changes")
    ),
    Trigger.APPROVE: Rule(_roles(Role.LEGAL_OFFICER), guards.approve_guard),
    Trigger.SEND_FOR_SIGNATURE: Rule(_roles(Role.LEGAL_OFFICER), guards.send_for_signature_guard),
    Trigger.SIGN: Rule(_roles(Role.SIGNATORY), guards.sign_guard, effects.add_signature),
    Trigger.DECLINE: Rule(_roles(Role.SIGNATORY), guards.decline_guard, effects.void_round),
    Trigger.TERMINATE: Rule(
        _roles(Role.LEGAL_OFFICER),
        guards.reason_required("a reason for termination"),
        effects.close_with_reason,
    ),
    Trigger.WITHDRAW: Rule(
        _roles(Role.DATA_OFFICER, Role.LEGAL_OFFICER),
        guards.reason_required("a reason for withdrawal"),
        effects.close_with_reason,
    ),
    Trigger.EXPIRE: Rule(_roles(), effect=effects.close_with_reason),
    Trigger.SUPERSEDE: Rule(_roles(), effect=effects.close_with_reason),
}


def role_may_fire(role: str, trigger: Trigger) -> bool:
    """An admin may act in any internal office role, but never signs for a party."""
    rule = RULES.get(trigger)
    allowed = rule.roles if rule is not None else frozenset()
    if role == Role.ADMIN:
        return bool(allowed & OFFICE_ROLES)
    return role in allowed


def unmet_conditions(agreement: Agreement, trigger: Trigger, ctx: GuardContext) -> list[Problem]:
    """Every condition of ``trigger`` that does not hold (all at once)."""
    return RULES[trigger].guard(agreement, ctx)
