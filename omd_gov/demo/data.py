"""The demo's data: the organisations, people, canvas and agreement content."""

from __future__ import annotations

from datetime import date
from typing import Any

from omd_gov.cooperations.canvas import SECTION_KEYS
from omd_gov.organizations.models import Organization

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
# Every demo account's web password: public, so it works only in demo mode
# (like the demo tokens, it starts with "demo-").
DEMO_PASSWORD = "demo-password"
# The identity each demo signatory's certificate carries (omd_gov.demo.signing).
DEMO_SIGNING_IDENTITIES = {
    "sign.city@omd.demo": "IDCPT-10000001",
    "sign@efacec.demo": "IDCPT-10000002",
    "sign@portodigital.demo": "IDCPT-10000003",
    "sign@adeporto.demo": "IDCPT-10000004",
}
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


def to_active() -> list[str]:
    return [
        "submit",
        "approve",
        "send_for_signature",
        "sign:sign.city@omd.demo",
        "sign:sign@efacec.demo",
        "sign:sign@portodigital.demo",
    ]


def agreement_content(cooperation_id: int, orgs: list[Organization], title: str) -> dict[str, Any]:
    return {
        "cooperation_id": cooperation_id,
        "title": title,
        "sharing_model": "B2G",
        "purpose": "Improve the city's energy planning with partners' operational data.",
        "parties": [
            {
                "organization_id": orgs[0].id,
                "role": "controller",
                "signs": True,
                "obligations": "Host the energy data platform and publish the aggregated results.",
                "contact": {
                    "name": "Marta Ortega",
                    "email": "energy.office@city.example",
                    "phone": "+34 910 000 100",
                },
                "dpo": {
                    "name": "Data Protection Office",
                    "email": "dpo@city.example",
                    "phone": None,
                },
            },
            {
                "organization_id": orgs[1].id,
                "role": "data_provider",
                "signs": True,
                "obligations": "Deliver the building consumption readings every 15 minutes.",
            },
            {
                "organization_id": orgs[2].id,
                "role": "processor",
                "signs": True,
                "obligations": "Run the data pipeline for the city, in the EEA only.",
                "contact": {
                    "name": "João Pires",
                    "email": "support@processor.example",
                    "phone": "+351 220 000 200",
                },
            },
            {"organization_id": orgs[3].id, "role": "data_recipient", "signs": False},
        ],
        # As the API's schemas store them (the demo bypasses the request layer).
        "economic_terms": {
            "currency": "EUR",
            "amount_per_annuity": "6000.00",
            "total_amount": "12000.00",
            "budget_line": "2026/1720/227.06",
        },
        "exclusivity": None,  # not exclusive
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
