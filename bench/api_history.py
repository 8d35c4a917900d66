"""The audit history that leads a seeded agreement to its state.

Each agreement gets exactly ``events_per`` events: ``create``, then edits
while it is a draft, then the lifecycle steps of docs/LIFECYCLE.md that end in the
target state, fired by the roles that may fire them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple


class Party(NamedTuple):
    id: int
    organization_id: int
    role: str
    signs: bool


@dataclass(frozen=True)
class Step:
    index: int
    action: str
    from_state: str | None
    to_state: str
    actor: str  # a key of the seeded users, "signatory" or "system"
    party: Party | None = None
    comment: str = ""
    activates: bool = False

    def changes(self, n: int, sha: str) -> dict[str, Any]:
        """A field-level diff shaped like the one the services record."""
        if self.action == "create":
            return {
                "title": {"from": None, "to": f"Agreement {n + 1}"},
                "sharing_model": {"from": None, "to": "B2G"},
            }
        if self.action == "edit":
            return {"review_interval_months": {"from": 11 + self.index, "to": 12 + self.index}}
        if self.action == "send_for_signature":
            return {"frozen_sha256": sha}
        if self.action == "sign":
            assert self.party is not None
            signed = {
                "signed_for_organization_id": self.party.organization_id,
                "document_sha256": sha,
            }
            return signed | ({"activated_at": "seeded"} if self.activates else {})
        return {}


# (trigger, actor, comment) that lead from a fresh draft to each state; the
# signing steps are expanded per signing party.
PATHS: dict[str, list[tuple[str, str, str]]] = {
    "draft": [],
    "legal_review": [("submit", "data_officer", "")],
    "changes_requested": [
        ("submit", "data_officer", ""),
        ("request_changes", "legal_officer", "Please narrow the purpose."),
    ],
    "approved": [("submit", "data_officer", ""), ("approve", "legal_officer", "")],
    "signing": [
        ("submit", "data_officer", ""),
        ("approve", "legal_officer", ""),
        ("send_for_signature", "legal_officer", ""),
        ("sign-all-but-one", "signatory", ""),
    ],
    "withdrawn": [("withdraw", "data_officer", "Replaced by a city-wide tender.")],
}
_TO_ACTIVE = PATHS["signing"][:3] + [("sign-all", "signatory", "")]
PATHS["active"] = _TO_ACTIVE
PATHS["expired"] = [*_TO_ACTIVE, ("expire", "system", "The end date has passed.")]
PATHS["terminated"] = [*_TO_ACTIVE, ("terminate", "legal_officer", "Pilot ended early.")]
PATHS["superseded"] = [*_TO_ACTIVE, ("supersede", "system", "Superseded by an amendment.")]
NEXT_STATE = {
    "submit": "legal_review",
    "request_changes": "changes_requested",
    "approve": "approved",
    "send_for_signature": "signing",
    "withdraw": "withdrawn",
    "expire": "expired",
    "terminate": "terminated",
    "supersede": "superseded",
}


def _expand(state: str, parties: list[Party]) -> list[tuple[str, str, str, Party | None]]:
    signers = [party for party in parties if party.signs]
    out: list[tuple[str, str, str, Party | None]] = []
    for trigger, actor, comment in PATHS[state]:
        if trigger.startswith("sign-all"):
            count = len(signers) - (1 if trigger == "sign-all-but-one" else 0)
            out += [("sign", actor, "", party) for party in signers[:count]]
        else:
            out.append((trigger, actor, comment, None))
    return out


def history(state: str, parties: list[Party], events_per: int) -> list[Step]:
    """Exactly ``events_per`` steps ending in ``state``."""
    tail = _expand(state, parties)
    if len(tail) + 1 > events_per:
        raise ValueError(f"{events_per} events cannot reach {state}")
    steps = [Step(0, "create", None, "draft", "data_officer")]
    steps += [
        Step(i, "edit", "draft", "draft", "data_officer") for i in range(1, events_per - len(tail))
    ]
    current, signers_left = "draft", sum(1 for party in parties if party.signs)
    for trigger, actor, comment, party in tail:
        if trigger == "sign":
            signers_left -= 1
            target = "active" if signers_left == 0 else "signing"
        else:
            target = NEXT_STATE[trigger]
        steps.append(
            Step(
                len(steps),
                trigger,
                current,
                target,
                actor,
                party,
                comment,
                activates=target == "active",
            )
        )
        current = target
    assert current == state and len(steps) == events_per, (state, steps)
    return steps
