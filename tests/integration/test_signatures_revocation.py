"""Revocation through the API: the upload's signer certificate points at a
CRL on a loopback server, omd-gov downloads it (OMD_REVOCATION_FETCH=1, the
default) and records "good"; the signature report, made after the server is
gone, still says "good" from the CRL kept with the upload."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.factories import Factory
from tests.integration.conftest import World
from tests.revocation_support import crl_server
from tests.signatures_support import CITY_ID, SigningWorld, signing_world
from tests.signing_support import add_dss, crl, sign, signer_with_crl_pointer


@pytest.fixture
def sw(world: World, factory: Factory, app: Any, tmp_path: Path, monkeypatch: Any) -> SigningWorld:
    monkeypatch.setitem(app.config, "OMD_TRUST_DIR", str(tmp_path / "trust"))
    return signing_world(world, factory, tmp_path / "trust")


@pytest.mark.parametrize("mode", ["soft-fail", "hard-fail"])
def test_a_downloaded_crl_makes_the_upload_good(
    sw: SigningWorld, app: Any, monkeypatch: Any, mode: str
) -> None:
    monkeypatch.setitem(app.config, "OMD_REVOCATION_MODE", mode)
    agreement_id = sw.advanced_agreement()
    with crl_server() as server:
        server.served["/issuing.crl"] = crl(sw.pki.intermediate)
        alice = signer_with_crl_pointer(
            sw.pki.intermediate, "Alice Almeida", server.url(), national_id=CITY_ID
        )
        signed = sign(sw.signing_pdf(agreement_id), alice, "City")
        # The issuing CA's status travels in the file, as a B-LT tool adds it.
        accepted = sw.upload(agreement_id, sw.signer_city, add_dss(signed, [crl(sw.pki.root)]))
        assert accepted.status_code == 200, accepted.json
        assert server.requests == ["/issuing.crl"]
    report = sw.api.as_(sw.world.legal).get(f"/api/v1/agreements/{agreement_id}/signatures/report")
    assert report.status_code == 200, report.json
    (signature,) = report.json["signatures"]
    assert signature["revocation"] == "good" and signature["ok"] is True


def test_fetching_disabled_refuses_in_hard_fail(
    sw: SigningWorld, app: Any, monkeypatch: Any
) -> None:
    monkeypatch.setitem(app.config, "OMD_REVOCATION_MODE", "hard-fail")
    monkeypatch.setitem(app.config, "OMD_REVOCATION_FETCH", "0")
    agreement_id = sw.advanced_agreement()
    with crl_server() as server:
        server.served["/issuing.crl"] = crl(sw.pki.intermediate)
        alice = signer_with_crl_pointer(
            sw.pki.intermediate, "Alice Almeida", server.url(), national_id=CITY_ID
        )
        signed = add_dss(sign(sw.signing_pdf(agreement_id), alice, "City"), [crl(sw.pki.root)])
        refused = sw.upload(agreement_id, sw.signer_city, signed)
        assert server.requests == []
    assert refused.status_code == 422 and refused.json["step"] == "revocation", refused.json
    assert "OMD_REVOCATION_FETCH=0" in refused.json["detail"]
