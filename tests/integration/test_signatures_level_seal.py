"""The signature level (office floor, raised per agreement, shown in the DSA),
the city's e-seal (B-B, and B-T with a loopback timestamp authority), and
``omd-gov signatures verify``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from omd_gov.demo import pki
from omd_gov.signatures.commands import signature_commands
from tests.factories import Factory
from tests.integration.conftest import World
from tests.signatures_support import SigningWorld, signing_world, snapshot
from tests.tsa_support import running_tsa


@pytest.fixture
def sw(world: World, factory: Factory, app: Any, tmp_path: Path, monkeypatch: Any) -> SigningWorld:
    monkeypatch.setitem(app.config, "OMD_TRUST_DIR", str(tmp_path / "trust"))
    return signing_world(world, factory, tmp_path / "trust")


@pytest.fixture
def seal_file(sw: SigningWorld, app: Any, tmp_path: Path, monkeypatch: Any) -> Path:
    seal = pki.issue(sw.pki.intermediate, "City e-seal", org="City")
    path = pki.write_pkcs12(seal, tmp_path / "seal.p12", b"seal-pw")
    monkeypatch.setitem(app.config, "OMD_SEAL_P12", str(path))
    monkeypatch.setitem(app.config, "OMD_SEAL_PASSWORD", "seal-pw")
    return path


def _patch(world: World, agreement: dict[str, Any], **changes: Any) -> Any:
    return world.api.as_(world.data_officer).patch(
        f"/api/v1/agreements/{agreement['id']}",
        json=changes,
        headers={"If-Match": f'"{agreement["version"]}"'},
    )


def test_the_office_default_is_the_floor_and_an_agreement_may_raise_it(
    world: World, app: Any, monkeypatch: Any
) -> None:
    simple = world.create_agreement()
    assert simple["signature_level"] == "simple"
    raised = _patch(world, simple, signature_level="advanced")
    assert raised.status_code == 200, raised.json
    assert raised.json["signature_level"] == "advanced"
    assert _patch(world, raised.json, signature_level="simple").status_code == 200
    monkeypatch.setitem(app.config, "OMD_SIGNATURE_LEVEL", "advanced")
    strict = world.create_agreement()
    assert strict["signature_level"] == "advanced"
    lowered = _patch(world, strict, signature_level="simple")
    assert lowered.status_code == 422
    assert lowered.json["errors"][0]["field"] == "signature_level"
    assert _patch(world, strict, signature_level="qualified").status_code == 422


def test_the_level_cannot_change_once_the_agreement_left_drafting(world: World) -> None:
    agreement = world.create_agreement()
    world.to_state(agreement["id"], "approved")
    current = world.api.as_(world.legal).get(f"/api/v1/agreements/{agreement['id']}").json
    assert _patch(world, current, signature_level="advanced").status_code == 409


def test_a_simple_agreement_still_signs_with_a_click(world: World) -> None:
    agreement = world.create_agreement()
    world.to_state(agreement["id"], "active")
    body = world.api.as_(world.legal).get(f"/api/v1/agreements/{agreement['id']}").json
    assert body["state"] == "active" and len(body["signatures"]) == 2
    assert body["frozen_pdf_sha256"] and len(body["frozen_pdf_sha256"]) == 64


def test_the_city_seals_as_pades_b_b(sw: SigningWorld, seal_file: Path) -> None:
    agreement_id = sw.advanced_agreement()
    sealed = sw.api.as_(sw.signer_city).post(f"/api/v1/agreements/{agreement_id}/seal")
    assert sealed.status_code == 200, sealed.json
    partner = sw.sign_and_upload(agreement_id, sw.signer_partner, sw.pki.bruno, "Partner")
    assert partner.json["state"] == "active", partner.json
    report = sw.api.as_(sw.world.legal).get(f"/api/v1/agreements/{agreement_id}/signatures/report")
    first = report.json["signatures"][0]
    assert first["kind"] == "sealed" and first["organization"] == "City"
    assert first["timestamp_time"] is None and first["ok"] is True
    assert report.json["ok"] is True


def test_with_a_tsa_the_seal_is_pades_b_t(
    sw: SigningWorld, seal_file: Path, app: Any, monkeypatch: Any
) -> None:
    agreement_id = sw.advanced_agreement()
    with running_tsa(sw.pki.intermediate) as url:
        monkeypatch.setitem(app.config, "OMD_TSA_URL", url)
        sealed = sw.api.as_(sw.signer_city).post(f"/api/v1/agreements/{agreement_id}/seal")
    assert sealed.status_code == 200, sealed.json
    report = sw.api.as_(sw.world.legal).get(f"/api/v1/agreements/{agreement_id}/signatures/report")
    assert report.json["signatures"][0]["timestamp_time"] is not None


def test_only_the_city_seals_and_an_unconfigured_seal_changes_nothing(
    sw: SigningWorld, app: Any, monkeypatch: Any
) -> None:
    agreement_id = sw.advanced_agreement()
    before = snapshot(agreement_id)
    monkeypatch.setitem(app.config, "OMD_SEAL_P12", "")
    url = f"/api/v1/agreements/{agreement_id}/seal"
    assert sw.api.as_(sw.signer_city).post(url).status_code == 503
    partner = sw.api.as_(sw.signer_partner).post(url)
    assert partner.status_code == 403 and partner.json["step"] == "party"
    assert snapshot(agreement_id) == before


def test_signatures_verify_prints_the_report_and_fails_on_a_problem(
    sw: SigningWorld, app: Any
) -> None:
    agreement_id = sw.advanced_agreement()
    reference = sw.agreement(agreement_id)["reference"]
    command = signature_commands(lambda: app)
    runner = CliRunner()
    sw.sign_and_upload(agreement_id, sw.signer_city, sw.pki.alice, "City")
    sw.sign_and_upload(agreement_id, sw.signer_partner, sw.pki.bruno, "Partner")
    good = runner.invoke(command, ["verify", reference])
    assert good.exit_code == 0, good.output
    assert '"ok": true' in good.output and "IDCES-87654321Z" in good.output
    unknown = runner.invoke(command, ["verify", "NO-SUCH-REF"])
    assert unknown.exit_code != 0 and "NO-SUCH-REF" in unknown.output


def test_without_libreoffice_nothing_is_sent_for_signature(
    world: World, app: Any, monkeypatch: Any, tmp_path: Path
) -> None:
    agreement = world.create_agreement()
    world.to_state(agreement["id"], "approved")
    world.generate_dsa(agreement["id"])
    monkeypatch.setitem(app.config, "OMD_SOFFICE", str(tmp_path / "no-soffice"))
    refused = world.fire(agreement["id"], world.legal, "send_for_signature")
    assert refused.status_code == 503, refused.json
    assert refused.mimetype == "application/problem+json"
    body = world.api.as_(world.legal).get(f"/api/v1/agreements/{agreement['id']}").json
    assert body["state"] == "approved"
    assert body["frozen_sha256"] is None and body["frozen_pdf_sha256"] is None


@pytest.mark.parametrize(
    ("setting", "value"), [("OMD_SIGNATURE_LEVEL", "qualified"), ("OMD_REVOCATION_MODE", "strict")]
)
def test_a_mistyped_signature_setting_stops_the_app_at_start_up(setting: str, value: str) -> None:
    from omd_gov import create_app

    with pytest.raises(RuntimeError, match=setting):
        create_app({"TESTING": True, setting: value})


def test_an_unreadable_trust_store_is_a_503_naming_the_file(sw: SigningWorld) -> None:
    agreement_id = sw.advanced_agreement()
    trust_dir = Path(sw.world.api.client.application.config["OMD_TRUST_DIR"])
    (trust_dir / "broken.pem").write_text("not a certificate")
    refused = sw.sign_and_upload(agreement_id, sw.signer_city, sw.pki.alice, "City")
    assert refused.status_code == 503, refused.json
    assert "broken.pem" in refused.json["detail"]
    assert str(trust_dir) not in refused.json["detail"]  # no server paths to clients
    assert snapshot(agreement_id)[0] == 1  # only the frozen PDF


def test_hard_fail_refuses_a_signature_whose_revocation_cannot_be_checked(
    sw: SigningWorld, app: Any, monkeypatch: Any
) -> None:
    agreement_id = sw.advanced_agreement()
    monkeypatch.setitem(app.config, "OMD_REVOCATION_MODE", "hard-fail")
    refused = sw.sign_and_upload(agreement_id, sw.signer_city, sw.pki.alice, "City")
    assert refused.status_code == 422 and refused.json["step"] == "revocation", refused.json
    monkeypatch.setitem(app.config, "OMD_REVOCATION_MODE", "soft-fail")
    accepted = sw.sign_and_upload(agreement_id, sw.signer_city, sw.pki.alice, "City")
    assert accepted.status_code == 200, accepted.json
    report = sw.api.as_(sw.world.legal).get(f"/api/v1/agreements/{agreement_id}/signatures/report")
    assert report.json["signatures"][0]["revocation"] == "not_checked"
