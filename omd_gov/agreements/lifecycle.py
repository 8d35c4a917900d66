"""The agreement lifecycle: its vocabulary, and one module-level ``transitions``
machine.

The machine has no models attached (``model=None``). ``transitions.py`` fires
an event on a loaded row with :func:`fire`, so thousands of rows never get registered
on the machine. Concurrency control is the database's job (the row's
``version_id_col``), not the machine's. Every list of states lives here.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, cast

from transitions import EventData, Machine

if TYPE_CHECKING:
    from omd_gov.agreements.models import Agreement


class State(enum.StrEnum):
    DRAFT = "draft"
    LEGAL_REVIEW = "legal_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    SIGNING = "signing"
    ACTIVE = "active"
    EXPIRED = "expired"
    TERMINATED = "terminated"
    SUPERSEDED = "superseded"
    WITHDRAWN = "withdrawn"


class Trigger(enum.StrEnum):
    SUBMIT = "submit"
    REQUEST_CHANGES = "request_changes"
    APPROVE = "approve"
    SEND_FOR_SIGNATURE = "send_for_signature"
    SIGN = "sign"
    DECLINE = "decline"
    EXPIRE = "expire"
    TERMINATE = "terminate"
    SUPERSEDE = "supersede"
    WITHDRAW = "withdraw"


S, T = State, Trigger
BEFORE_ACTIVE = (S.DRAFT, S.LEGAL_REVIEW, S.CHANGES_REQUESTED, S.APPROVED, S.SIGNING)
EDITABLE_STATES = (S.DRAFT, S.CHANGES_REQUESTED)
# Every party signed: in force, or ended after it was.
SIGNED_STATES = (S.ACTIVE, S.EXPIRED, S.TERMINATED, S.SUPERSEDED)
# Between submission and signature the documents quote the cooperation's
# canvas as legal reviewed it, so the canvas must hold still.
CANVAS_FROZEN_STATES = (S.LEGAL_REVIEW, S.APPROVED, S.SIGNING)
# What an amendment or a renewal may be derived from.
DERIVABLE_FROM = {"amendment": (S.ACTIVE,), "renewal": (S.ACTIVE, S.EXPIRED)}
# Triggers fired only by the system (the expiry sweep, an amendment
# activating), never through the API.
SYSTEM_TRIGGERS = frozenset({T.EXPIRE, T.SUPERSEDE})


def _all_parties_signed(event: EventData) -> bool:
    agreement = cast("Agreement", event.model)
    signed = {signature.party_id for signature in agreement.live_signatures}
    return all(party.id in signed for party in agreement.signing_parties)


TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": T.SUBMIT, "source": [S.DRAFT, S.CHANGES_REQUESTED], "dest": S.LEGAL_REVIEW},
    {"trigger": T.REQUEST_CHANGES, "source": S.LEGAL_REVIEW, "dest": S.CHANGES_REQUESTED},
    {"trigger": T.APPROVE, "source": S.LEGAL_REVIEW, "dest": S.APPROVED},
    {"trigger": T.SEND_FOR_SIGNATURE, "source": S.APPROVED, "dest": S.SIGNING},
    # The first matching transition wins: the last signature activates.
    {"trigger": T.SIGN, "source": S.SIGNING, "dest": S.ACTIVE, "conditions": _all_parties_signed},
    {"trigger": T.SIGN, "source": S.SIGNING, "dest": S.SIGNING},
    {"trigger": T.DECLINE, "source": S.SIGNING, "dest": S.CHANGES_REQUESTED},
    {"trigger": T.EXPIRE, "source": S.ACTIVE, "dest": S.EXPIRED},
    {"trigger": T.TERMINATE, "source": S.ACTIVE, "dest": S.TERMINATED},
    {"trigger": T.SUPERSEDE, "source": S.ACTIVE, "dest": S.SUPERSEDED},
    {"trigger": T.WITHDRAW, "source": list(BEFORE_ACTIVE), "dest": S.WITHDRAWN},
]


def _plain(value: Any) -> Any:
    """``transitions`` names Enum states by their *name* ("DRAFT"); the rows
    store the value ("draft"), so the machine gets plain strings."""
    return [str(item) for item in value] if isinstance(value, list) else str(value)


MACHINE = Machine(
    model=None,
    states=[str(state) for state in State],
    transitions=[
        {key: _plain(v) if key != "conditions" else v for key, v in t.items()} for t in TRANSITIONS
    ],  # fmt: skip
    initial=None,
    auto_transitions=False,
    send_event=True,
    model_attribute="state",
)


def triggers_from(state: str) -> list[Trigger]:
    """Triggers that are legal in ``state``, in table order."""
    source = str(state)  # an Enum would be looked up by its name
    return [t for t in Trigger if MACHINE.get_transitions(str(t), source=source)]


def fire(agreement: Agreement, trigger: Trigger) -> tuple[State, State]:
    """Fire ``trigger`` on a loaded row; return (from_state, to_state).

    Callers check legality and guards first; a MachineError here is a bug.
    """
    before = State(agreement.state)
    agreement.state = before.value  # the machine looks states up by plain name
    MACHINE.events[str(trigger)].trigger(agreement)
    return before, State(agreement.state)
