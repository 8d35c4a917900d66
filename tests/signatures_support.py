"""An advanced signing round through the API, for the signature tests: a test
PKI whose root is the app's trust store, signatories whose configured
identities match their certificates, and an agreement sent for signature."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from omd_gov.audit.models import AuditEvent
from omd_gov.db import db
from omd_gov.demo.pki import Issued
from omd_gov.signatures.models import SigningRevision
from tests.factories import Account, Factory
from tests.integration.conftest import World
from tests.signing_support import TestPKI, sign

CITY_ID, PARTNER_ID = "IDCPT-12345678", "IDCES-87654321Z"


@dataclass
class SigningWorld:
    world: World
    pki: TestPKI
    signer_city: Account  # configured as Alice (pki.alice)
    signer_partner: Account  # configured as Bruno (pki.bruno)

    @property
    def api(self) -> Any:
        return self.world.api

    def advanced_agreement(self, state: str = "signing") -> int:
        agreement = self.world.create_agreement(signature_level="advanced")
        self.world.to_state(agreement["id"], state)
        return int(agreement["id"])

    def signing_pdf(self, agreement_id: int, account: Account | None = None) -> bytes:
        response = self.api.as_(account or self.signer_city).get(
            f"/api/v1/agreements/{agreement_id}/signing-pdf"
        )
        assert response.status_code == 200, response.data[:300]
        return bytes(response.data)

    def upload(self, agreement_id: int, account: Account, pdf: bytes) -> Any:
        return self.api.as_(account).post(
            f"/api/v1/agreements/{agreement_id}/signed-pdf",
            data={"file": (_stream(pdf), "signed.pdf", "application/pdf")},
            content_type="multipart/form-data",
        )

    def sign_and_upload(
        self, agreement_id: int, account: Account, issued: Issued, field: str
    ) -> Any:
        return self.upload(
            agreement_id, account, sign(self.signing_pdf(agreement_id), issued, field)
        )

    def agreement(self, agreement_id: int) -> dict[str, Any]:
        return dict(self.api.as_(self.world.legal).get(f"/api/v1/agreements/{agreement_id}").json)


def _stream(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)


def signing_world(world: World, factory: Factory, trust_dir: Path) -> SigningWorld:
    """``trust_dir`` must be the app's OMD_TRUST_DIR (the test sets it)."""
    pki = TestPKI()
    trust_dir.mkdir(parents=True, exist_ok=True)
    (trust_dir / "root.pem").write_bytes(pki.root.pem)
    city = factory.user("signatory", world.city, signing_identity=CITY_ID)
    partner = factory.user("signatory", world.partner, signing_identity=PARTNER_ID)
    return SigningWorld(world, pki, city, partner)


def snapshot(agreement_id: int) -> tuple[int, int]:
    """What a refused upload must leave alone: the round's revisions and the
    agreement's audit events."""
    db.session.rollback()
    revisions = db.session.execute(
        select(func.count()).where(SigningRevision.agreement_id == agreement_id)
    ).scalar_one()
    events = db.session.execute(
        select(func.count()).where(AuditEvent.agreement_id == agreement_id)
    ).scalar_one()
    return int(revisions), int(events)
