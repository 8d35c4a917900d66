"""Demo data: the city's cooperation with EFACEC, Porto Digital and the Porto
Energy Agency, with agreements in every lifecycle state.

Everything goes through the services, so the demo's audit trail is real.
Demo tokens are public; the app refuses them unless OMD_DEMO=1.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omd_gov.agreements import editing, services
from omd_gov.agreements.models import Agreement
from omd_gov.auth.actors import Actor
from omd_gov.auth.models import User
from omd_gov.cooperations import services as cooperations
from omd_gov.cooperations.canvas import SECTION_KEYS
from omd_gov.db import transaction
from omd_gov.documents.services import generate_for
from omd_gov.organizations.models import Organization
from omd_gov.users.services import create_user

ORGANIZATIONS = (
    ("Câmara Municipal do Porto", "municipality", "PT", "501306099"),
    ("EFACEC", "company", "PT", "500000001"),
    ("Porto Digital", "public_body", "PT", "504000002"),
    ("AdEPorto - Agência de Energia do Porto", "ngo", "PT", "506000003"),
)
# email, name, role, organisation index (or None), token
DEMO_USERS = (
    ("admin@omd.demo", "Alice Admin", "admin", 0, "demo-admin"),
    ("data@omd.demo", "Diogo Dados", "data_officer", 0, "demo-data-officer"),
    ("legal@omd.demo", "Luísa Lei", "legal_officer", 0, "demo-legal-officer"),
    ("legal2@omd.demo", "Miguel Juris", "legal_officer", 0, "demo-legal-officer-2"),
    (
        "transparency@omd.demo",
        "Teresa Transparência",
        "transparency_officer",
        0,
        "demo-transparency",
    ),
    ("auditor@omd.demo", "Artur Auditor", "auditor", None, "demo-auditor"),
    ("sign.city@omd.demo", "Sofia Presidente", "signatory", 0, "demo-signatory-city"),
    ("sign@efacec.demo", "Eduardo EFACEC", "signatory", 1, "demo-signatory-efacec"),
    (
        "sign@portodigital.demo",
        "Paula Porto Digital",
        "signatory",
        2,
        "demo-signatory-portodigital",
    ),
    ("sign@adeporto.demo", "Rui Energia", "signatory", 3, "demo-signatory-adeporto"),
)
CANVAS = {
    key: f"Agreed text for '{key.replace('_', ' ')}' in the Porto energy data cooperation."
    for key in SECTION_KEYS
}
GDPR = {
    "lawful_basis": "public_task",
    "personal_data_categories": ["smart meter readings per household"],
    "data_subject_categories": ["residents of pilot buildings"],
    "special_categories": [],
    "dpia": "done",
    "dpia_reference": "DPIA-2026-014",
    "retention": "P2Y",
    "transfers_outside_eea": False,
    "recipients": ["Porto Digital"],
}


def load_demo(session: Session) -> bool:
    """Load once; return False when the demo data is already present."""
    if session.execute(select(User.id).where(User.email == DEMO_USERS[0][0])).first():
        return False
    with transaction(session):
        system = Actor.system("cli")
        orgs = [Organization(name=n, kind=k, country=c, tax_id=t) for n, k, c, t in ORGANIZATIONS]
        session.add_all(orgs)
        session.flush()
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
            )
        _agreements(session, orgs, users)
    return True


def _actor(user: User) -> Actor:
    return Actor.of(user, "cli")


def _agreements(session: Session, orgs: list[Organization], users: dict[str, User]) -> None:
    data_officer = users["data_officer"]
    cooperation = cooperations.create(
        session,
        _actor(data_officer),
        data_officer.id,
        {"title": "Porto energy data cooperation", "organization_ids": [o.id for o in orgs]},
    )
    officer, actor = data_officer, _actor(data_officer)
    cooperations.put_canvas(
        session, officer, actor, cooperation.id, CANVAS, ["MIM1", "MIM2", "MIM4"]
    )
    for stage in ("preparatory", "implementation"):
        cooperations.change_stage(session, officer, actor, cooperation.id, stage, "")
    script: list[tuple[str, list[str]]] = [
        ("Street lighting telemetry (draft)", []),
        ("EV charging occupancy (in legal review)", ["submit"]),
        ("Building energy certificates (changes requested)", ["submit", "request_changes"]),
        ("Smart meter pilot (approved)", ["submit", "approve"]),
        (
            "District heating flows (awaiting signatures)",
            ["submit", "approve", "send_for_signature"],
        ),
        ("Public building consumption (in force)", [*_to_active()]),
        ("Solar rooftop potential (expired)", [*_to_active(), "expire"]),
        ("Mobility hub sensors (terminated)", [*_to_active(), "terminate"]),
        ("Air quality pilot (superseded by an amendment)", [*_to_active(), "amend"]),
        ("Parking sensors (withdrawn)", ["withdraw"]),
    ]
    for title, steps in script:
        agreement = editing.create(
            session,
            _actor(data_officer),
            data_officer.id,
            _content(cooperation.id, orgs, title),
            "OMD",
        )
        for step in steps:
            _step(session, agreement, step, users)


def _to_active() -> list[str]:
    return [
        "submit",
        "approve",
        "send_for_signature",
        "sign:sign.city@omd.demo",
        "sign:sign@efacec.demo",
        "sign:sign@portodigital.demo",
    ]


def _content(cooperation_id: int, orgs: list[Organization], title: str) -> dict[str, Any]:
    return {
        "cooperation_id": cooperation_id,
        "title": title,
        "sharing_model": "B2G",
        "purpose": "Improve the city's energy planning with partners' operational data.",
        "parties": [
            {"organization_id": orgs[0].id, "role": "controller", "signs": True},
            {"organization_id": orgs[1].id, "role": "data_provider", "signs": True},
            {"organization_id": orgs[2].id, "role": "processor", "signs": True},
            {"organization_id": orgs[3].id, "role": "data_recipient", "signs": False},
        ],
        "data_assets": [
            {
                "name": "Energy consumption per building",
                "standard": "NGSI-LD",
                "delivery": "online",
                "personal_data": True,
                "description": "15-minute readings",
            },
            {
                "name": "Asset registry",
                "standard": "CSV",
                "delivery": "batch",
                "personal_data": False,
                "description": "monthly export",
            },
        ],
        "gdpr": dict(GDPR),
        "start_date": date(2026, 1, 1),
        "end_date": date(2027, 12, 31),
        "security_measures": "TLS 1.3 in transit, AES-256 at rest, role-based access, access logs.",
    }


def _step(session: Session, agreement: Agreement, step: str, users: dict[str, User]) -> None:
    reasons = {
        "request_changes": "Please narrow the purpose.",
        "terminate": "Pilot ended early.",
        "withdraw": "Replaced by a city-wide tender.",
        "expire": "The end date has passed.",
    }
    if step == "expire":
        services.fire_system(session, agreement, "expire", reasons["expire"])
        return
    if step == "amend":
        draft = services.derive(
            session,
            _actor(users["data_officer"]),
            users["data_officer"],
            agreement,
            "amendment",
            "OMD",
        )
        for next_step in _to_active():
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
    services.transition(session, user, _actor(user), agreement, trigger, reasons.get(trigger, ""))
