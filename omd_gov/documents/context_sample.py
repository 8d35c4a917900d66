"""The sample context: an upload is test-rendered with it, and the examples
in ``context_spec.py`` (and so ``docs/TEMPLATES.md``) are taken from it.

The sample agreement is plain namespaces shaped like a loaded ``Agreement``:
building it needs no database and does not configure the ORM. Every optional
part is filled (a processor, joint controllers, special-category data, a
transfer) so that a template rendered against it exercises every branch that
shows data. Nothing is built at import time.
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from types import SimpleNamespace as NS
from typing import Any, cast

from omd_gov.agreements.models import Agreement
from omd_gov.cooperations.canvas import CANVAS_SECTIONS
from omd_gov.documents.context import build_context

SAMPLE_MOMENT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

_ORGS = {
    "city": NS(
        name="Câmara Municipal do Porto",
        kind="municipality",
        country="PT",
        tax_id="501306099",
        contacts=[{"name": "Luísa Lei", "email": "dpo@cm-porto.example"}],
    ),
    "energy": NS(
        name="AdEPorto - Agência de Energia do Porto",
        kind="ngo",
        country="PT",
        tax_id="506000003",
        contacts=[],
    ),
    "processor": NS(
        name="Dados & Redes <Norte>, Lda.",
        kind="company",
        country="PT",
        tax_id="509999999",
        contacts=[{"name": "Eduardo Silva", "email": "privacy@dados-redes.example"}],
    ),
    "university": NS(
        name="Universidade do Porto",
        kind="research",
        country="PT",
        tax_id="501461108",
        contacts=[],
    ),
}


def _assets() -> list[NS]:
    rows = (
        ("Energy consumption per building", "15-minute readings", "NGSI-LD", "online", True),
        ("Smart meter registry", "meter id, address, tariff", "CSV", "batch", True),
        ("Public building inventory", "monthly export", "Smart Data Models", "batch", False),
    )
    return [
        NS(name=n, description=d, standard=s, delivery=dl, personal_data=p)
        for n, d, s, dl, p in rows
    ]


_GDPR = {
    "lawful_basis": "public_task",
    "personal_data_categories": ["smart meter readings", "postal address"],
    "data_subject_categories": ["residents of pilot buildings"],
    "special_categories": ["health data (medical equipment flagged on the meter)"],
    "art9_condition": "Art. 9(2)(g) GDPR, substantial public interest",
    "dpia": "done",
    "dpia_reference": "DPIA-2026-014",
    "retention": "P2Y6M",
    "transfers_outside_eea": True,
    "transfer_mechanism": "EU standard contractual clauses (2021/914)",
    "recipients": ["Universidade do Porto"],
}


def _cooperation() -> NS:
    return NS(
        title="Porto energy data cooperation",
        description="Open energy data for the city's climate plan.",
        stage="implementation",
        canvas={key: f"Agreed text for '{label}'." for key, _, label in CANVAS_SECTIONS},
        mims=["MIM1", "MIM2", "MIM4"],
    )


def sample_agreement() -> Agreement:
    """A complete agreement: processor, joint controllers, personal data."""
    city_contact = {"name": "Rui Costa", "email": "rui.costa@cm-porto.example",
                    "phone": "+351 222 097 000"}  # fmt: skip
    city_dpo = {"name": "Luísa Lei", "email": "dpo@cm-porto.example", "phone": None}
    parties = [
        NS(organization=_ORGS["city"], role="joint_controller", signs=True,
           obligations="Host the data platform and publish the aggregated results.",
           contact=city_contact, dpo=city_dpo),
        NS(organization=_ORGS["energy"], role="joint_controller", signs=True,
           obligations="Analyse the consumption data and report every quarter.",
           contact=None, dpo=None),
        NS(organization=_ORGS["processor"], role="processor", signs=True,
           obligations="Collect the meter readings daily & keep them in the EEA.",
           contact={"name": "Ana Reis", "email": "ana.reis@dados-redes.example",
                    "phone": "+351 220 000 111"},
           dpo={"name": "Eduardo Silva", "email": "privacy@dados-redes.example",
                "phone": "+351 220 000 199"}),
        NS(organization=_ORGS["university"], role="data_recipient", signs=False,
           obligations="", contact=None, dpo=None),
    ]  # fmt: skip
    assets = _assets()
    sample = NS(
        reference="OMD-2026-0007",
        title='Smart meter pilot "Bairro Norte" & district heating',
        purpose="Plan the city's energy transition with household consumption data.",
        version=5,
        content_version=3,
        sharing_model="B2G",
        start_date=date(2026, 4, 1),
        end_date=date(2028, 3, 31),
        review_interval_months=12,
        signature_level="advanced",
        economic_terms={
            "currency": "EUR",
            "amount_per_annuity": "12000.00",
            "total_amount": "24000.00",
            "budget_line": "2026/1720/227.06",
        },
        exclusivity={
            "exclusive": True,
            "period_months": 12,
            "justification": "Only the city's network can host the meters.",
        },
        renewal_terms="Renewable once for two years by written agreement of all parties.",
        statutory_power="Lei n.º 75/2013 (municipal powers in energy and environment)",
        security_measures="TLS 1.3 in transit, AES-256 at rest, role-based access, access logs.",
        amends_id=None,
        renews_id=None,
        parties=parties,
        data_assets=assets,
        shares_personal_data=any(asset.personal_data for asset in assets),
        gdpr=copy.deepcopy(_GDPR),
        cooperation=_cooperation(),
    )
    return cast(Agreement, sample)


def sample_context(language: str = "en") -> dict[str, Any]:
    """A complete, realistic context (every list filled, every annex present)
    for test-rendering a template before it is accepted. A fresh copy each time."""
    return build_context(sample_agreement(), language, generated_at=SAMPLE_MOMENT)
