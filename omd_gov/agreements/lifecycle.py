"""The agreement lifecycle: one module-level ``transitions`` machine.

The machine has no models attached (``model=None``). Services fire an event
on a loaded row with :func:`fire`, so thousands of rows never get registered
on the machine. Concurrency control is the database's job (the row's
``version_id_col``), not the machine's.
"""

from __future__ import annotations

from typing import Any

from transitions import EventData, Machine

from omd_gov.auth.models import OFFICE_ROLES, Role

STATES = (
    "draft",
    "legal_review",
    "changes_requested",
    "approved",
    "signing",
    "active",
    "expired",
    "terminated",
    "superseded",
    "withdrawn",
)
BEFORE_ACTIVE = ("draft", "legal_review", "changes_requested", "approved", "signing")
FINAL_STATES = ("expired", "terminated", "superseded", "withdrawn")
EDITABLE_STATES = ("draft", "changes_requested")


def _all_parties_signed(event: EventData) -> bool:
    agreement: Any = event.model
    signed = {signature.party_id for signature in agreement.live_signatures}
    return all(party.id in signed for party in agreement.signing_parties)


TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": "submit", "source": ["draft", "changes_requested"], "dest": "legal_review"},
    {"trigger": "request_changes", "source": "legal_review", "dest": "changes_requested"},
    {"trigger": "approve", "source": "legal_review", "dest": "approved"},
    {"trigger": "send_for_signature", "source": "approved", "dest": "signing"},
    # The first matching transition wins: the last signature activates.
    {"trigger": "sign", "source": "signing", "dest": "active", "conditions": _all_parties_signed},
    {"trigger": "sign", "source": "signing", "dest": "signing"},
    {"trigger": "decline", "source": "signing", "dest": "changes_requested"},
    {"trigger": "expire", "source": "active", "dest": "expired"},
    {"trigger": "terminate", "source": "active", "dest": "terminated"},
    {"trigger": "supersede", "source": "active", "dest": "superseded"},
    {"trigger": "withdraw", "source": list(BEFORE_ACTIVE), "dest": "withdrawn"},
]

MACHINE = Machine(
    model=None,
    states=list(STATES),
    transitions=TRANSITIONS,
    initial=None,
    auto_transitions=False,
    send_event=True,
    model_attribute="state",
)

TRIGGERS: tuple[str, ...] = tuple(dict.fromkeys(t["trigger"] for t in TRANSITIONS))

# Who may fire each trigger. "system" triggers are fired only by the service
# itself (the expiry sweep, an amendment activating), never through the API.
SYSTEM_TRIGGERS = frozenset({"expire", "supersede"})
TRIGGER_ROLES: dict[str, frozenset[str]] = {
    "submit": frozenset({Role.DATA_OFFICER}),
    "request_changes": frozenset({Role.LEGAL_OFFICER}),
    "approve": frozenset({Role.LEGAL_OFFICER}),
    "send_for_signature": frozenset({Role.LEGAL_OFFICER}),
    "sign": frozenset({Role.SIGNATORY}),
    "decline": frozenset({Role.SIGNATORY}),
    "terminate": frozenset({Role.LEGAL_OFFICER}),
    "withdraw": frozenset({Role.DATA_OFFICER, Role.LEGAL_OFFICER}),
    "expire": frozenset(),
    "supersede": frozenset(),
}


def triggers_from(state: str) -> list[str]:
    """Triggers that are legal in ``state``, in table order."""
    return [trigger for trigger in TRIGGERS if MACHINE.get_transitions(trigger, source=state)]


def role_may_fire(role: str, trigger: str) -> bool:
    """An admin may act in any internal office role, but never signs for a party."""
    allowed = TRIGGER_ROLES.get(trigger, frozenset())
    if role == Role.ADMIN:
        return bool(allowed & OFFICE_ROLES)
    return role in allowed


def fire(agreement: Any, trigger: str) -> tuple[str, str]:
    """Fire ``trigger`` on a loaded row; return (from_state, to_state).

    Callers check legality and guards first; a MachineError here is a bug.
    """
    before = agreement.state
    MACHINE.events[trigger].trigger(agreement)
    return before, agreement.state
