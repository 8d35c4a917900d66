"""Signed-PDF uploads on an advanced agreement: a valid two-party round ends
active; every bad upload is refused with the step it failed, and nothing
changes (no revision, no signature, no audit event)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from tests.factories import Factory
from tests.integration.conftest import World
from tests.signatures_support import SigningWorld, signing_world, snapshot
from tests.signing_support import add_harmless_update, add_page_change, make_pdf, sign, tamper


@pytest.fixture
def sw(world: World, factory: Factory, app: Any, tmp_path: Path, monkeypatch: Any) -> SigningWorld:
    monkeypatch.setitem(app.config, "OMD_TRUST_DIR", str(tmp_path / "trust"))
    return signing_world(world, factory, tmp_path / "trust")


def _refused(response: Any, status: int, step: str) -> dict[str, Any]:
    assert response.status_code == status, response.json
    assert response.mimetype == "application/problem+json"
    assert response.json["step"] == step, response.json
    return dict(response.json)


def test_a_two_party_round_ends_active_with_every_signature_in_the_pdf(sw: SigningWorld) -> None:
    agreement_id = sw.advanced_agreement()
    frozen = sw.signing_pdf(agreement_id)
    assert frozen.startswith(b"%PDF-") and b"pdfaid:part>2<" in frozen  # PDF/A-2b
    first = sw.sign_and_upload(agreement_id, sw.signer_city, sw.pki.alice, "City")
    assert first.status_code == 200, first.json
    assert first.json["state"] == "signing"
    middle = sw.signing_pdf(agreement_id, sw.signer_partner)
    assert middle.startswith(frozen) and len(middle) > len(frozen)
    second = sw.sign_and_upload(agreement_id, sw.signer_partner, sw.pki.bruno, "Partner")
    assert second.status_code == 200, second.json
    assert second.json["state"] == "active"
    record = sw.signing_pdf(agreement_id)
    assert record.startswith(middle)
    report = sw.api.as_(sw.world.legal).get(f"/api/v1/agreements/{agreement_id}/signatures/report")
    assert report.status_code == 200, report.json
    body = report.json
    assert body["ok"] is True and body["missing_parties"] == []
    assert [s["field_name"] for s in body["signatures"]] == ["City", "Partner"]
    assert all(s["intact"] and s["trusted"] for s in body["signatures"])
    assert [s["organization"] for s in body["signatures"]] == ["City", "Partner Co"]
    assert body["signatures"][0]["signer"]["national_id"] == "IDCPT-12345678"
    assert body["signatures"][1]["covers_whole_document"] is True


def test_the_etag_of_the_signing_pdf_is_its_sha256(sw: SigningWorld) -> None:
    import hashlib

    agreement_id = sw.advanced_agreement()
    response = sw.api.as_(sw.signer_partner).get(f"/api/v1/agreements/{agreement_id}/signing-pdf")
    assert response.mimetype == "application/pdf"
    assert response.headers["ETag"] == f'"{hashlib.sha256(response.data).hexdigest()}"'
    assert sw.agreement(agreement_id)["frozen_pdf_sha256"] == response.get_etag()[0]


def test_a_click_cannot_sign_an_advanced_agreement(sw: SigningWorld) -> None:
    agreement_id = sw.advanced_agreement()
    response = sw.world.fire(agreement_id, sw.signer_city, "sign")
    assert response.status_code == 422, response.json
    assert [e["code"] for e in response.json["errors"]] == ["signature_level"]
    assert "advanced electronic signature" in response.json["errors"][0]["message"]
    assert sw.agreement(agreement_id)["signatures"] == []


@pytest.mark.parametrize(
    ("attack", "step"),
    [
        ("tampered", "intact"),
        ("other_pdf", "prefix"),
        ("page_changed", "modifications"),
        ("untrusted", "trust"),
        ("expired", "validity"),
        ("no_usage", "key_usage"),
        ("not_a_pdf", "pdf"),
        ("unsigned", "count"),
        ("same_file", "prefix"),
    ],
)
def test_a_bad_upload_is_refused_with_its_step_and_changes_nothing(
    sw: SigningWorld, attack: str, step: str
) -> None:
    agreement_id = sw.advanced_agreement()
    frozen = sw.signing_pdf(agreement_id)
    valid = sign(frozen, sw.pki.alice, "City")
    uploads = {
        "tampered": lambda: tamper(valid, len(frozen) // 2),
        "other_pdf": lambda: sign(make_pdf(2, "Another text"), sw.pki.alice, "City"),
        "page_changed": lambda: add_page_change(valid),
        "untrusted": lambda: sign(frozen, sw.pki.untrusted, "City"),
        "expired": lambda: sign(frozen, sw.pki.expired, "City"),
        "no_usage": lambda: sign(frozen, sw.pki.no_usage, "City"),
        "not_a_pdf": lambda: b"this is not a PDF at all",
        "unsigned": lambda: add_harmless_update(frozen),
        "same_file": lambda: frozen,
    }
    before = snapshot(agreement_id)
    _refused(sw.upload(agreement_id, sw.signer_city, uploads[attack]()), 422, step)
    assert snapshot(agreement_id) == before
    assert sw.agreement(agreement_id)["state"] == "signing"
    assert sw.agreement(agreement_id)["signatures"] == []


def test_a_wrong_identity_needs_legal_acceptance_which_is_audited(sw: SigningWorld) -> None:
    agreement_id = sw.advanced_agreement()
    before = snapshot(agreement_id)
    refused = _refused(
        sw.sign_and_upload(agreement_id, sw.signer_city, sw.pki.bruno, "City"), 422, "identity"
    )
    assert snapshot(agreement_id) == before
    assert "IDCES-87654321Z" in refused["subject"]
    acceptance = {"certificate_sha256": refused["certificate_sha256"], "comment": "Delegated."}
    url = f"/api/v1/agreements/{agreement_id}/signatures/identity-acceptances"
    assert sw.api.as_(sw.signer_city).post(url, json=acceptance).status_code == 403
    accepted = sw.api.as_(sw.world.legal).post(url, json=acceptance)
    assert accepted.status_code == 201, accepted.json
    assert sw.api.as_(sw.world.legal).post(url, json=acceptance).status_code == 409
    upload = sw.sign_and_upload(agreement_id, sw.signer_city, sw.pki.bruno, "City")
    assert upload.status_code == 200, upload.json
    events = sw.api.as_(sw.world.legal).get(f"/api/v1/agreements/{agreement_id}/events").json
    actions = [event["action"] for event in events]
    assert "accept_signer_identity" in actions
    sign_event = next(e for e in events if e["action"] == "sign")
    assert sign_event["changes"]["identity_accepted"] is True


def test_a_party_that_does_not_sign_cannot_upload(sw: SigningWorld, factory: Factory) -> None:
    agreement_id = sw.advanced_agreement()
    recipient = factory.user("signatory", sw.world.other_partner)  # a party, but not signing
    pdf = sign(sw.signing_pdf(agreement_id), sw.pki.alice, "City")
    before = snapshot(agreement_id)
    _refused(sw.upload(agreement_id, recipient, pdf), 422, "party")
    outsider = sw.upload(agreement_id, sw.world.sign_outsider, pdf)
    assert outsider.status_code == 404  # it cannot even see the agreement
    assert sw.upload(agreement_id, sw.world.legal, pdf).status_code == 403
    assert snapshot(agreement_id) == before


def test_a_party_cannot_sign_twice(sw: SigningWorld) -> None:
    agreement_id = sw.advanced_agreement()
    assert sw.sign_and_upload(agreement_id, sw.signer_city, sw.pki.alice, "City").status_code == 200
    again = sw.sign_and_upload(agreement_id, sw.signer_city, sw.pki.alice, "City2")
    _refused(again, 422, "party")


def test_an_upload_after_a_decline_is_out_of_turn(sw: SigningWorld) -> None:
    agreement_id = sw.advanced_agreement()
    frozen = sw.signing_pdf(agreement_id)
    declined = sw.world.fire(agreement_id, sw.signer_partner, "decline", "Clause 7 is wrong.")
    assert declined.status_code == 200, declined.json
    before = snapshot(agreement_id)
    _refused(
        sw.upload(agreement_id, sw.signer_city, sign(frozen, sw.pki.alice, "City")), 409, "turn"
    )
    assert snapshot(agreement_id) == before
    assert sw.agreement(agreement_id)["frozen_pdf_sha256"] is None


def test_two_parties_signing_the_same_pdf_at_once_one_wins_the_other_signs_again(
    sw: SigningWorld, app: Any
) -> None:
    from omd_gov.db import db
    from tests.support import race

    agreement_id = sw.advanced_agreement()
    frozen = sw.signing_pdf(agreement_id)
    city_pdf, partner_pdf = sign(frozen, sw.pki.alice, "City"), sign(frozen, sw.pki.bruno, "P")

    def upload(account: Any, pdf: bytes) -> Any:
        def call() -> Any:  # each thread its own client, app context and session
            return app.test_client().post(
                f"/api/v1/agreements/{agreement_id}/signed-pdf",
                headers=account.headers,
                data={"file": (io.BytesIO(pdf), "signed.pdf", "application/pdf")},
                content_type="multipart/form-data",
            )

        return call

    results = race(upload(sw.signer_city, city_pdf), upload(sw.signer_partner, partner_pdf))
    db.session.rollback()
    statuses = sorted(result.status_code for result in results)
    assert statuses[0] == 200 and statuses[1] in (409, 422), [r.json for r in results]
    loser = next(result for result in results if result.status_code != 200)
    assert loser.json["step"] == "prefix"
    assert snapshot(agreement_id)[0] == 2  # the frozen PDF and the winner's
    winner_is_city = results[0].status_code == 200
    account, issued = (
        (sw.signer_partner, sw.pki.bruno) if winner_is_city else (sw.signer_city, sw.pki.alice)
    )
    again = sw.sign_and_upload(agreement_id, account, issued, "Second")
    assert again.status_code == 200 and again.json["state"] == "active", again.json
