"""The generated DSA and its GDPR annexes show what an agreement carries for
the register (issue 8): the economic terms, each party's obligations, the
exclusivity, and each party's contact person and data protection officer."""

from __future__ import annotations

from typing import Any

from omd_gov.agreements.models import Agreement
from omd_gov.db import db
from omd_gov.documents.context import build_context
from tests.factories import agreement_payload
from tests.integration.conftest import World
from tests.integration.test_template_rendering import MANIFEST, render

CONTACT = {"name": "Marta Contacto", "email": "marta@city.example", "phone": "+34 915 000 111"}
DPO = {"name": "Delia Delegada", "email": "dpo@partner.example", "phone": "+351 210 000 222"}
ECONOMIC = {"currency": "EUR", "amount_per_annuity": "12000", "total_amount": "24000.5",
            "budget_line": "2026/1720/227.06"}  # fmt: skip
EXCLUSIVE = {"exclusive": True, "justification": "Only the city's network reaches the meters",
             "period_months": 9}  # fmt: skip
# Clause text that only an agreement with the terms shows.
EXCLUSIVE_GRANT = {"en": "an exclusive, non-transferable right",
                   "es": "un derecho exclusivo e intransferible",
                   "pt": "um direito exclusivo e intransmissível"}  # fmt: skip
DPO_CLAUSE = {
    "en": "1.4 The following Parties have designated a data protection officer",
    "es": "1.4 Las siguientes Partes han designado un delegado de protección de datos",
    "pt": "1.4 As seguintes Partes designaram um encarregado da proteção de dados",
}
PERIOD = {"en": "9 months", "es": "9 meses", "pt": "9 meses"}


def _agreement(world: World, **overrides: Any) -> Agreement:
    parties = [
        {"organization_id": world.city, "role": "controller", "signs": True},
        {"organization_id": world.partner, "role": "processor", "signs": True},
    ]
    if overrides.pop("with_terms", False):
        parties[0] |= {"contact": CONTACT, "obligations": "Host the platform & publish results"}
        parties[1] |= {"dpo": DPO, "obligations": "Collect the readings daily"}
        overrides |= {"economic_terms": ECONOMIC, "exclusivity": EXCLUSIVE}
    payload = agreement_payload(world.cooperation_id, parties, **overrides)
    response = world.api.as_(world.data_officer).post("/api/v1/agreements", json=payload)
    assert response.status_code == 201, response.json
    db.session.expire_all()
    agreement = db.session.get(Agreement, response.json["id"])
    assert agreement is not None
    return agreement


def _rendered(agreement: Agreement, kind: str) -> dict[str, str]:
    return {
        entry["language"]: render(entry, build_context(agreement, entry["language"]))
        for entry in MANIFEST
        if entry["kind"] == kind
    }


def test_the_dsa_states_the_terms_obligations_exclusivity_and_contacts(world: World) -> None:
    agreement = _agreement(world, with_terms=True)
    for language, text in _rendered(agreement, "dsa").items():
        terms = build_context(agreement, language)["agreement"]["economic_terms"]
        assert terms["total_amount"] in text and terms["amount_per_annuity"] in text
        assert "24" in terms["total_amount"] and "2026/1720/227.06" in text
        assert "Host the platform & publish results" in text
        assert "Collect the readings daily" in text
        assert EXCLUSIVE_GRANT[language] in text and PERIOD[language] in text
        assert EXCLUSIVE["justification"] in text
        assert DPO_CLAUSE[language] in text
        for value in (*CONTACT.values(), *DPO.values()):
            assert value in text, (language, value)


def test_the_annexes_name_contacts_and_dpos(world: World) -> None:
    agreement = _agreement(world, with_terms=True)
    for language, text in _rendered(agreement, "annex_art28").items():
        for value in (CONTACT["email"], CONTACT["phone"], *DPO.values()):
            assert value in text, (language, value)


def test_without_terms_the_dsa_keeps_its_plain_clauses(world: World) -> None:
    agreement = _agreement(world)
    plain = {"en": "a non-exclusive, non-transferable right",
             "es": "un derecho no exclusivo e intransferible",
             "pt": "um direito não exclusivo e intransmissível"}  # fmt: skip
    own_costs = {"en": "15.1 Each Party bears its own costs",
                 "es": "15.1 Cada Parte asume sus propios costes",
                 "pt": "15.1 Cada Parte suporta os seus próprios custos"}  # fmt: skip
    for language, text in _rendered(agreement, "dsa").items():
        assert plain[language] in text and own_costs[language] in text
        assert EXCLUSIVE_GRANT[language] not in text
        assert DPO_CLAUSE[language] not in text
        assert "15.3" not in text  # no party states an obligation
