"""A ready-made world: the city, two partners, office staff and signatories,
and a cooperation with a complete canvas."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.factories import FULL_CANVAS, Account, ApiClient, Factory, agreement_payload


@dataclass
class World:
    api: ApiClient
    city: int
    partner: int
    other_partner: int
    outsider_org: int
    admin: Account
    data_officer: Account
    legal: Account
    legal2: Account
    transparency: Account
    auditor: Account
    sign_city: Account
    sign_partner: Account
    sign_outsider: Account
    cooperation_id: int

    def parties(self) -> list[dict[str, Any]]:
        return [
            {"organization_id": self.city, "role": "controller", "signs": True},
            {"organization_id": self.partner, "role": "processor", "signs": True},
            {"organization_id": self.other_partner, "role": "data_recipient", "signs": False},
        ]

    def create_agreement(self, **overrides: Any) -> dict[str, Any]:
        payload = agreement_payload(self.cooperation_id, self.parties(), **overrides)
        response = self.api.as_(self.data_officer).post("/api/v1/agreements", json=payload)
        assert response.status_code == 201, response.json
        return response.json

    def fire(self, agreement_id: int, account: Account, trigger: str, comment: str = "") -> Any:
        return self.api.as_(account).post(
            f"/api/v1/agreements/{agreement_id}/transitions",
            json={"trigger": trigger, "comment": comment},
        )

    def generate_dsa(self, agreement_id: int, language: str = "en") -> dict[str, Any]:
        response = self.api.as_(self.legal).post(
            f"/api/v1/agreements/{agreement_id}/documents",
            json={"kind": "dsa", "language": language},
        )
        assert response.status_code == 201, response.json
        return dict(response.json["items"][0])

    def to_state(self, agreement_id: int, state: str) -> None:
        """Walk an agreement along the happy path up to ``state``."""
        path = [
            ("submit", self.data_officer),
            ("approve", self.legal),
            ("send_for_signature", self.legal),
            ("sign", self.sign_city),
            ("sign", self.sign_partner),
        ]
        reached = {"legal_review": 1, "approved": 2, "signing": 3, "active": 5}[state]
        for trigger, account in path[:reached]:
            if trigger == "send_for_signature":  # it freezes the current version's DSA
                self.generate_dsa(agreement_id)
            response = self.fire(agreement_id, account, trigger)
            assert response.status_code == 200, response.json


@pytest.fixture
def world(api: ApiClient, factory: Factory) -> World:
    city = factory.organization("City", kind="municipality")
    partner = factory.organization("Partner Co")
    other = factory.organization("Other Partner")
    outsider = factory.organization("Outsider Ltd")
    data_officer = factory.user("data_officer", city)
    cooperation = (
        api.as_(data_officer)
        .post(
            "/api/v1/cooperations",
            json={"title": "Energy", "organization_ids": [city, partner, other]},
        )
        .json
    )
    api.as_(data_officer).put(
        f"/api/v1/cooperations/{cooperation['id']}/canvas",
        json={"sections": FULL_CANVAS, "mims": ["MIM1"]},
    )
    return World(
        api=api,
        city=city,
        partner=partner,
        other_partner=other,
        outsider_org=outsider,
        admin=factory.user("admin", city),
        data_officer=data_officer,
        legal=factory.user("legal_officer", city),
        legal2=factory.user("legal_officer", city),
        transparency=factory.user("transparency_officer", city),
        auditor=factory.user("auditor"),
        sign_city=factory.user("signatory", city),
        sign_partner=factory.user("signatory", partner),
        sign_outsider=factory.user("signatory", outsider),
        cooperation_id=cooperation["id"],
    )
