"""Creating and editing agreement content (only while it is being drafted)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omd_gov.agreements import stays
from omd_gov.agreements.lifecycle import EDITABLE_STATES, State
from omd_gov.agreements.models import (
    SIGNATURE_LEVELS,
    Agreement,
    DataAsset,
    Party,
    ReferenceCounter,
)
from omd_gov.audit.chain import record
from omd_gov.auth.actors import Actor
from omd_gov.cooperations.models import Cooperation
from omd_gov.db import utcnow
from omd_gov.errors import Conflict, Unprocessable
from omd_gov.organizations.queries import existing

SCALAR_FIELDS = (
    "title",
    "purpose",
    "sharing_model",
    "statutory_power",
    "security_measures",
    "renewal_terms",
    "review_interval_months",
    "start_date",
    "end_date",
    "gdpr",
    "signature_level",
    "economic_terms",
    "exclusivity",
)
PARTY_FIELDS = ("organization_id", "role", "signs", "obligations", "contact", "dpo")
# Kept as they were when a party is sent without them (see schemas.PartyIn).
PARTY_KEPT = ("obligations", "contact", "dpo")


def snapshot(agreement: Agreement) -> dict[str, Any]:
    """The agreement's content as plain JSON-able data: for diffs and hashing."""
    data: dict[str, Any] = {name: getattr(agreement, name) for name in SCALAR_FIELDS}
    for name in ("start_date", "end_date"):
        data[name] = data[name].isoformat() if isinstance(data[name], date) else None
    data["parties"] = [{key: getattr(p, key) for key in PARTY_FIELDS} for p in agreement.parties]
    data["data_assets"] = [
        {
            key: getattr(a, key)
            for key in ("name", "description", "standard", "delivery", "personal_data")
        }
        for a in agreement.data_assets
    ]
    return data


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {
        key: {"from": before.get(key), "to": value}
        for key, value in after.items()
        if before.get(key) != value
    }


def next_reference(session: Session, prefix: str) -> str:
    """``PREFIX-YEAR-NNNN`` from a locked per-year counter. A counter missing
    (first draft of the year, or rows loaded in bulk) starts from the highest
    reference already used."""
    stem = f"{prefix}-{utcnow().year}-"
    counter = session.get(ReferenceCounter, stem, with_for_update=True)
    if counter is None:
        used = session.execute(
            select(Agreement.reference).where(Agreement.reference.like(f"{stem}%"))
        ).scalars()
        # Numeric, not string, maximum: "...-10000" sorts before "...-9999".
        last = max(
            (int(ref.removeprefix(stem)) for ref in used if ref.removeprefix(stem).isdigit()),
            default=0,
        )
        counter = ReferenceCounter(stem=stem, last=last)
        session.add(counter)
    counter.last += 1
    return f"{stem}{counter.last:04d}"


def _check_organizations(session: Session, parties: list[dict[str, Any]]) -> None:
    ids = [party["organization_id"] for party in parties]
    if len(ids) != len(set(ids)):
        raise Unprocessable(
            "an organisation may appear only once among the parties",
            [{"field": "parties", "message": "duplicate organization_id"}],
        )
    existing(session, ids, "parties.organization_id")


def _merge_parties(current: list[Party], wanted: list[dict[str, Any]]) -> list[Party]:
    """Keep each organisation's party row (and its id, which signatures and
    deadlines reference); parties no longer wanted are deleted."""
    by_organization = {party.organization_id: party for party in current}
    merged = []
    for spec in wanted:
        party = by_organization.get(spec["organization_id"]) or Party(
            organization_id=spec["organization_id"], obligations=""
        )
        party.role, party.signs = spec["role"], spec["signs"]
        for key in PARTY_KEPT:
            if key in spec:
                setattr(party, key, spec[key])
        merged.append(party)
    return merged


def apply_content(session: Session, agreement: Agreement, data: dict[str, Any]) -> None:
    """Set scalar fields and replace parties/assets from validated input."""
    for name in SCALAR_FIELDS:
        if name in data:
            setattr(agreement, name, data[name])
    if not (agreement.exclusivity or {}).get("exclusive"):
        agreement.exclusivity = None  # "not exclusive" has one form, so diffs stay quiet
    if "parties" in data:
        _check_organizations(session, data["parties"])
        agreement.parties = _merge_parties(agreement.parties, data["parties"])
    if "data_assets" in data:
        agreement.data_assets = [
            DataAsset(position=i, **asset) for i, asset in enumerate(data["data_assets"])
        ]


def _links(agreement: Agreement) -> dict[str, int]:
    links = {"amends_id": agreement.amends_id, "renews_id": agreement.renews_id}
    return {key: value for key, value in links.items() if value is not None}


def check_signature_level(data: dict[str, Any], floor: str) -> dict[str, Any]:
    """The office's level (``OMD_SIGNATURE_LEVEL``) is the floor: an agreement
    may raise its level, never go below it. Omitted on creation: the floor."""
    wanted = data.get("signature_level")
    if wanted is not None and SIGNATURE_LEVELS.index(wanted) < SIGNATURE_LEVELS.index(floor):
        raise Unprocessable(
            f"this office requires '{floor}' signatures or stronger",
            [{"field": "signature_level", "message": f"must be at least '{floor}'"}],
        )
    return data


def create(session: Session, actor: Actor, data: dict[str, Any], prefix: str) -> Agreement:
    if session.get(Cooperation, data["cooperation_id"]) is None:
        raise Unprocessable(
            "unknown cooperation",
            [{"field": "cooperation_id", "message": "cooperation does not exist"}],
        )
    agreement = Agreement(
        reference=next_reference(session, prefix),
        cooperation_id=data["cooperation_id"],
        owner_id=actor.require_user().id,
        state=State.DRAFT,
        title="",
        purpose="",
        sharing_model=data.get("sharing_model", "B2G"),
        gdpr={},
        # An amendment or renewal is linked from its first version, and audited with it.
        amends_id=data.get("amends_id"),
        renews_id=data.get("renews_id"),
    )
    apply_content(session, agreement, data)
    session.add(agreement)
    session.flush()
    changes = diff({}, {**snapshot(agreement), **_links(agreement)})
    created = record(session, actor, agreement, "create", from_state=None, changes=changes)
    stays.follow(session, created)  # its first stay: draft
    return agreement


def update(session: Session, actor: Actor, agreement: Agreement, data: dict[str, Any]) -> Agreement:
    if agreement.state not in EDITABLE_STATES:
        raise Conflict(
            f"a {agreement.state} agreement cannot be edited; only draft or changes_requested",
            state=agreement.state,
        )
    before = snapshot(agreement)
    apply_content(session, agreement, data)
    changes = diff(before, snapshot(agreement))
    if changes:
        agreement.content_version += 1
    agreement.updated_at = utcnow()  # always bumps the row version, even for child-only edits
    session.flush()
    record(session, actor, agreement, "edit", changes=changes)
    return agreement
