"""The bulk rows of the API benchmark's database: agreements, their parties,
data assets and signatures, and their audit events in one valid hash chain.

Everything is generated deterministically and streamed, so a million events
go into COPY without being held in memory.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

from bench.api_history import Party, Step, history
from omd_gov.agreements.lifecycle import SIGNED_STATES
from omd_gov.audit.encoding import event_hash
from omd_gov.audit.models import AuditEvent
from omd_gov.auth.actors import Actor

# The state mix of a register a few years in: mostly in force or closed.
STATE_WEIGHTS = {
    "draft": 15,
    "legal_review": 7,
    "changes_requested": 5,
    "approved": 3,
    "signing": 5,
    "active": 40,
    "expired": 12,
    "terminated": 5,
    "superseded": 3,
    "withdrawn": 5,
}
CLOSED_REASONS = {
    "expired": "The end date has passed.",
    "terminated": "Pilot ended early.",
    "superseded": "Superseded by an amendment.",
    "withdrawn": "Replaced by a city-wide tender.",
}
TOPICS = (
    "street lighting telemetry", "EV charging occupancy", "building energy certificates",
    "smart meter readings", "district heating flows", "air quality sensors", "parking sensors",
    "bus punctuality", "waste bin fill levels", "solar rooftop potential", "noise monitoring",
    "bike sharing trips", "water consumption", "traffic counts", "public Wi-Fi footfall",
)  # fmt: skip
GDPR = {
    "lawful_basis": "public_task",
    "personal_data_categories": ["meter readings per household"],
    "data_subject_categories": ["residents of pilot buildings"],
    "special_categories": [],
    "dpia": "done",
    "dpia_reference": "DPIA-2025-014",
    "retention": "P2Y",
    "transfers_outside_eea": False,
    "recipients": ["Porto Digital"],
}
AGREEMENT_COLUMNS = (
    "id", "reference", "title", "purpose", "sharing_model", "state", "version", "cooperation_id",
    "owner_id", "submitted_by_id", "gdpr", "statutory_power", "security_measures",
    "renewal_terms", "review_interval_months", "start_date", "end_date", "frozen_sha256",
    "activated_at", "closed_reason", "created_at", "updated_at",
)  # fmt: skip
PARTY_COLUMNS = ("id", "agreement_id", "organization_id", "role", "signs")
ASSET_COLUMNS = (
    "id", "agreement_id", "position", "name", "description", "standard", "delivery",
    "personal_data",
)  # fmt: skip
SIGNATURE_COLUMNS = (
    "id", "agreement_id", "party_id", "user_id", "agreement_version", "document_sha256",
    "signed_at",
)  # fmt: skip
EVENT_COLUMNS = (
    "id", "seq", "occurred_at", "actor_id", "actor_label", "acting_role", "source",
    "entity_type", "entity_id", "agreement_id", "action", "from_state", "to_state", "changes",
    "comment", "prev_hash", "hash",
)  # fmt: skip
EXTRA_PARTY: tuple[list[tuple[str, bool]], ...] = (
    [],
    [("processor", True)],
    [("data_recipient", False)],
)


def document_sha(n: int) -> str:
    return hashlib.sha256(f"agreement-{n + 1}".encode()).hexdigest()


class Plan:
    """Content for ``count`` agreements. ``ref`` holds the users, signatories
    (by organisation id) and cooperations (id, member organisation ids)."""

    def __init__(self, ref: dict[str, Any], count: int, events_per: int, rng: random.Random):
        self.ref, self.count, self.events_per = ref, count, events_per
        self.states = rng.choices(list(STATE_WEIGHTS), list(STATE_WEIGHTS.values()), k=count)
        # Three years of history, evenly spread over the events.
        self.step = timedelta(seconds=3 * 365 * 86400 / (count * events_per))
        self.epoch = datetime.now(UTC) - timedelta(days=3 * 365)
        self.last_seq, self.last_hash = 0, ""
        self.parties: list[list[Party]] = []
        next_party = 1
        for n in range(count):
            members = self._cooperation(n)[1]
            roles = [("controller", True), ("data_provider", True), *rng.choice(EXTRA_PARTY)]
            self.parties.append(
                [Party(next_party + k, members[k], *role) for k, role in enumerate(roles)]
            )
            next_party += len(roles)

    def _cooperation(self, n: int) -> tuple[int, list[int]]:
        return cast(tuple[int, list[int]], self.ref["coops"][n % len(self.ref["coops"])])

    def when(self, n: int, event_index: int) -> datetime:
        return self.epoch + self.step * (n * self.events_per + event_index)

    def _dates(self, n: int, state: str, created: datetime) -> tuple[date, date]:
        today = date.today()
        start = created.date() + timedelta(days=30)
        end = start + timedelta(days=730)
        if state in ("active", "draft", "legal_review", "changes_requested", "approved", "signing"):
            # Not yet ended: nothing past its end date can come into force.
            end = max(end, today + timedelta(days=1 + n % 900))
        elif state == "expired":
            end = min(end, today - timedelta(days=1 + n % 300))
        return start, end

    def agreement_rows(self) -> Iterator[tuple[Any, ...]]:
        officer = self.ref["users"]["data_officer"].id
        gdpr = json.dumps(GDPR)
        for n, state in enumerate(self.states):
            created, updated = self.when(n, 0), self.when(n, self.events_per - 1)
            topic = TOPICS[n % len(TOPICS)]
            start, end = self._dates(n, state, created)
            signed = state in SIGNED_STATES
            yield (
                n + 1,
                f"OMD-{created.year}-{n + 1:06d}",
                f"{topic.capitalize()} sharing #{n + 1}",
                f"Share {topic} with the city to plan its services (agreement {n + 1}).",
                ("B2G", "G2B", "G2G", "B2B")[n % 4],
                state,
                self.events_per,  # each event after `create` bumped the version
                self._cooperation(n)[0],
                officer,
                None if state in ("draft", "withdrawn") else officer,
                gdpr,
                "Municipal statute, art. 12",
                "TLS 1.3 in transit, AES-256 at rest, role-based access.",
                "",
                12,
                start,
                end,
                document_sha(n) if signed or state == "signing" else None,
                updated if signed else None,
                CLOSED_REASONS.get(state, ""),
                created,
                updated,
            )

    def party_rows(self) -> Iterator[tuple[Any, ...]]:
        for n, parties in enumerate(self.parties):
            for party in parties:
                yield party.id, n + 1, party.organization_id, party.role, party.signs

    def asset_rows(self) -> Iterator[tuple[Any, ...]]:
        next_id = 1
        for n in range(self.count):
            for k in range(1 + n % 3):
                topic = TOPICS[(n + k) % len(TOPICS)]
                kind = ("NGSI-LD", "online") if k % 2 == 0 else ("CSV", "batch")
                yield next_id, n + 1, k, f"{topic} feed", "", *kind, k == 0
                next_id += 1

    def signature_rows(self) -> Iterator[tuple[Any, ...]]:
        next_id = 1
        for n, state in enumerate(self.states):
            for step in history(state, self.parties[n], self.events_per):
                if step.action == "sign" and step.party is not None:
                    user = self.ref["signatories"][step.party.organization_id].id
                    signed_at = self.when(n, step.index)
                    yield (
                        next_id,
                        n + 1,
                        step.party.id,
                        user,
                        step.index,
                        document_sha(n),
                        signed_at,
                    )
                    next_id += 1

    def event_rows(self, seq: int, prev_hash: str, next_id: int) -> Iterator[tuple[Any, ...]]:
        """The audit events, continuing the chain after (``seq``, ``prev_hash``)."""
        for n, state in enumerate(self.states):
            for step in history(state, self.parties[n], self.events_per):
                seq += 1
                row = self._event(n, step, seq, prev_hash)
                # The application's own hash function; it only reads attributes.
                row["hash"] = prev_hash = event_hash(cast(AuditEvent, SimpleNamespace(**row)))
                row["id"], row["changes"] = next_id, json.dumps(row["changes"])
                next_id += 1
                yield tuple(row[column] for column in EVENT_COLUMNS)
        self.last_seq, self.last_hash = seq, prev_hash

    def _event(self, n: int, step: Step, seq: int, prev_hash: str) -> dict[str, Any]:
        actor = self._actor(step)
        return {
            "seq": seq,
            "occurred_at": self.when(n, step.index),
            "actor_id": actor.user_id,
            "actor_label": actor.label,
            "acting_role": actor.role,
            "source": actor.source,
            "entity_type": "agreement",
            "entity_id": n + 1,
            "agreement_id": n + 1,
            "action": step.action,
            "from_state": step.from_state,
            "to_state": step.to_state,
            "changes": step.changes(n, document_sha(n)),
            "comment": step.comment,
            "prev_hash": prev_hash,
        }

    def _actor(self, step: Step) -> Actor:
        if step.actor == "system":
            return Actor.system("worker")
        if step.actor == "signatory" and step.party is not None:
            user = self.ref["signatories"][step.party.organization_id]
        else:
            user = self.ref["users"][step.actor]
        return Actor.of(user, "api")
