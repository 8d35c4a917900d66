"""Demo data: the city's cooperation with EFACEC, Porto Digital and the Porto
Energy Agency, with agreements in every lifecycle state.

Everything goes through the services, so the demo's audit trail is real.
Demo tokens are public; the app refuses them unless OMD_DEMO=1.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from omd_gov.agreements import editing, transitions
from omd_gov.agreements.lifecycle import Trigger
from omd_gov.agreements.models import Agreement
from omd_gov.auth.actors import Actor
from omd_gov.auth.models import User
from omd_gov.cooperations import services as cooperations
from omd_gov.db import transaction
from omd_gov.demo.data import (
    CANVAS,
    DEMO_PASSWORD,
    DEMO_SIGNING_IDENTITIES,
    DEMO_USERS,
    ORGANIZATIONS,
    agreement_content,
    to_active,
)
from omd_gov.documents.generation import generate_for
from omd_gov.organizations import services as organizations
from omd_gov.organizations.models import Organization
from omd_gov.register import services as register
from omd_gov.users.services import create_user


def load_demo(session: Session) -> bool:
    """Load once, all or nothing; return False when the demo data is already present."""
    if session.execute(select(User.id).where(User.email == DEMO_USERS[0][0])).first():
        return False
    with transaction(session):
        system = Actor.system("cli")
        orgs = [
            organizations.create(session, system, {"name": n, "kind": k, "country": c, "tax_id": t})
            for n, k, c, t in ORGANIZATIONS
        ]
        users = {}
        for email, name, role, org, token in DEMO_USERS:
            users[role if role != "signatory" else email], _ = create_user(
                session,
                system,
                email=email,
                name=name,
                role=role,
                organization_id=orgs[org].id if org is not None else None,
                token=token,
                signing_identity=DEMO_SIGNING_IDENTITIES.get(email),
                password=DEMO_PASSWORD,
            )
        _agreements(session, orgs, users)
    return True


def _actor(user: User) -> Actor:
    return Actor.of(user, "cli")


def _agreements(session: Session, orgs: list[Organization], users: dict[str, User]) -> None:
    data_officer = users["data_officer"]
    actor = _actor(data_officer)
    cooperation = cooperations.create(
        session,
        actor,
        {"title": "Porto energy data cooperation", "organization_ids": [o.id for o in orgs]},
    )
    cooperations.put_canvas(session, actor, cooperation.id, CANVAS, ["MIM1", "MIM2", "MIM4"])
    for stage in ("preparatory", "implementation"):
        cooperations.change_stage(session, actor, cooperation.id, stage, "")
    script: list[tuple[str, list[str]]] = [
        ("Street lighting telemetry (draft)", []),
        ("Waste collection routes (draft: the advanced-signature walk-through)", []),
        ("EV charging occupancy (in legal review)", ["submit"]),
        ("Building energy certificates (changes requested)", ["submit", "request_changes"]),
        ("Smart meter pilot (approved)", ["submit", "approve"]),
        (
            "District heating flows (awaiting signatures)",
            ["submit", "approve", "send_for_signature"],
        ),
        ("Public building consumption (in force)", [*to_active()]),
        ("Solar rooftop potential (expired)", [*to_active(), "expire"]),
        ("Mobility hub sensors (terminated)", [*to_active(), "terminate"]),
        ("Air quality pilot (superseded by an amendment)", [*to_active(), "amend"]),
        ("Parking sensors (withdrawn)", ["withdraw"]),
    ]
    for title, steps in script:
        content = agreement_content(cooperation.id, orgs, title)
        agreement = editing.create(session, actor, content, "OMD")
        for step in steps:
            _step(session, agreement, step, users)
    _publish(session, users["transparency_officer"])


def _publish(session: Session, officer: User) -> None:
    """The register's demo: the agreements in force, terminated or superseded
    (one of them amended), published with the office's default policy."""
    shown = select(Agreement.id).where(Agreement.state.in_(("active", "terminated", "superseded")))
    for agreement_id in session.execute(shown.order_by(Agreement.id)).scalars().all():
        register.publish(session, _actor(officer), agreement_id, {})


def _step(session: Session, agreement: Agreement, step: str, users: dict[str, User]) -> None:
    reasons = {
        "request_changes": "Please narrow the purpose.",
        "terminate": "Pilot ended early.",
        "withdraw": "Replaced by a city-wide tender.",
        "expire": "The end date has passed.",
    }
    if step == "expire":
        transitions.fire_system(session, agreement, Trigger.EXPIRE, reasons["expire"])
        return
    if step == "amend":
        actor = _actor(users["data_officer"])
        draft = transitions.derive(session, actor, agreement, "amendment", "OMD")
        for next_step in to_active():
            _step(session, draft, next_step, users)
        return
    trigger, _, who = step.partition(":")
    role = {
        "submit": "data_officer",
        "withdraw": "data_officer",
        "approve": "legal_officer",
        "request_changes": "legal_officer",
    }.get(trigger, "legal_officer_2")
    user = users[who] if who else users.get(role) or users["legal_officer"]
    if trigger in ("send_for_signature", "terminate"):
        user = users["legal_officer"]
    if trigger == "send_for_signature":  # it freezes the DSA of the current version
        generate_for(session, _actor(user), agreement, "package", "en")
    transitions.transition(session, _actor(user), agreement, trigger, reasons.get(trigger, ""))
