"""Freezing for signature and verifying stored documents, tampering included."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.documents_support import small_templates  # noqa: F401
from tests.integration.conftest import World

pytestmark = pytest.mark.usefixtures("small_templates")


def _url(agreement_id: int) -> str:
    return f"/api/v1/agreements/{agreement_id}"


def _generate(
    world: World, agreement_id: int, kind: str = "dsa", language: str = "en"
) -> list[dict[str, Any]]:
    response = world.api.as_(world.legal).post(
        f"{_url(agreement_id)}/documents", json={"kind": kind, "language": language}
    )
    assert response.status_code == 201, response.json
    return list(response.json["items"])


def _document(world: World, agreement_id: int, document_id: int) -> dict[str, Any]:
    items = world.api.as_(world.legal).get(f"{_url(agreement_id)}/documents").json["items"]
    return next(item for item in items if item["id"] == document_id)


def _tamper(app: Any, sha256: str, suffix: str = ".docx") -> None:
    """Change a stored file behind the service's back (files are stored read-only)."""
    path = Path(app.config["OMD_STORAGE_DIR"]) / sha256[:2] / f"{sha256}{suffix}"
    os.chmod(path, 0o644)
    path.write_bytes(path.read_bytes() + b"tampered")
    os.chmod(path, 0o444)


def test_sending_for_signature_needs_a_dsa_of_the_current_version(world: World) -> None:
    """(A DSA made stale by an edit: tests/integration/test_redraft.py.)"""
    agreement_id = world.create_agreement()["id"]
    world.to_state(agreement_id, "approved")
    refused = world.fire(agreement_id, world.legal, "send_for_signature")
    assert refused.status_code == 422  # no document at all
    assert "document" in {problem["code"] for problem in refused.json["errors"]}
    _generate(world, agreement_id, "canvas")  # not a DSA
    assert world.fire(agreement_id, world.legal, "send_for_signature").status_code == 422
    agreement = world.api.as_(world.legal).get(_url(agreement_id)).json
    assert agreement["state"] == "approved" and agreement["frozen_sha256"] is None


def test_the_latest_dsa_is_frozen_and_signed(world: World) -> None:
    agreement_id = world.create_agreement()["id"]
    world.to_state(agreement_id, "approved")
    older = _generate(world, agreement_id, language="es")[0]  # a DSA, but not the latest
    package = _generate(world, agreement_id, "package")
    dsa = package[0]
    assert world.fire(agreement_id, world.legal, "send_for_signature").status_code == 200
    for account in (world.sign_city, world.sign_partner):
        assert world.fire(agreement_id, account, "sign").status_code == 200

    agreement = world.api.as_(world.legal).get(_url(agreement_id)).json
    assert agreement["state"] == "active" and agreement["frozen_sha256"] == dsa["sha256"]
    assert {s["document_sha256"] for s in agreement["signatures"]} == {dsa["sha256"]}
    assert all(_document(world, agreement_id, d["id"])["frozen_at"] for d in package)
    assert _document(world, agreement_id, older["id"])["frozen_at"] is None

    verify = world.api.as_(world.sign_partner).get(dsa["links"]["verify"]).json
    assert verify["matches"] is True and verify["frozen"] is True
    assert verify["signed_document"] is True
    assert verify["sha256_actual"] == verify["sha256_recorded"] == dsa["sha256"]
    older_check = world.api.as_(world.legal).get(older["links"]["verify"]).json
    assert older_check["matches"] is True and older_check["signed_document"] is False

    events = world.api.as_(world.auditor).get(f"{_url(agreement_id)}/events").json
    frozen = [e for e in events if e["action"] == "freeze_document"]
    assert {e["changes"]["document_id"] for e in frozen} == {d["id"] for d in package}
    send = next(e for e in events if e["action"] == "send_for_signature")
    assert send["changes"]["frozen_sha256"] == dsa["sha256"] and send["seq"] > frozen[-1]["seq"]


def test_after_freezing_edits_need_a_new_review(world: World) -> None:
    agreement_id = world.create_agreement()["id"]
    world.to_state(agreement_id, "signing")
    current = world.api.as_(world.data_officer).get(_url(agreement_id))
    edit = world.api.as_(world.data_officer).patch(
        _url(agreement_id), json={"title": "Changed"}, headers={"If-Match": current.headers["ETag"]}
    )
    assert edit.status_code == 409
    frozen = world.api.as_(world.legal).get(_url(agreement_id)).json["frozen_sha256"]
    declined = world.fire(agreement_id, world.sign_partner, "decline", "clause 4 is wrong")
    assert declined.status_code == 200 and declined.json["frozen_sha256"] is None
    # Back through review. Unchanged content may go out again as the same DSA
    # (an edit makes it stale: tests/integration/test_redraft.py).
    assert world.fire(agreement_id, world.data_officer, "submit").status_code == 200
    assert world.fire(agreement_id, world.legal2, "approve").status_code == 200
    again = world.fire(agreement_id, world.legal, "send_for_signature")
    assert again.status_code == 200 and again.json["frozen_sha256"] == frozen


def test_a_tampered_file_is_detected(world: World, app: Any) -> None:
    agreement_id = world.create_agreement()["id"]
    world.to_state(agreement_id, "signing")
    frozen_sha = world.api.as_(world.legal).get(_url(agreement_id)).json["frozen_sha256"]
    [dsa] = [d for d in world.api.as_(world.legal).get(f"{_url(agreement_id)}/documents").json[
        "items"] if d["sha256"] == frozen_sha]  # fmt: skip

    _tamper(app, dsa["sha256"])
    verify = world.api.as_(world.auditor).get(dsa["links"]["verify"])
    assert verify.status_code == 200
    assert verify.json["matches"] is False and verify.json["frozen"] is True
    assert verify.json["sha256_recorded"] == dsa["sha256"] != verify.json["sha256_actual"]
    assert "altered" in verify.json["problem"]
    download = world.api.as_(world.sign_city).get(dsa["links"]["docx"])
    assert download.status_code == 409 and download.mimetype == "application/problem+json"
    assert "altered" in download.json["detail"]


def test_a_tampered_dsa_is_not_frozen(world: World, app: Any) -> None:
    agreement_id = world.create_agreement()["id"]
    world.to_state(agreement_id, "approved")
    dsa = _generate(world, agreement_id)[0]
    _tamper(app, dsa["sha256"])
    refused = world.fire(agreement_id, world.legal, "send_for_signature")
    assert refused.status_code == 409 and "does not match its sha256" in refused.json["detail"]
    assert world.api.as_(world.legal).get(_url(agreement_id)).json["state"] == "approved"


def test_a_missing_file_is_reported_not_ignored(world: World, app: Any) -> None:
    agreement_id = world.create_agreement()["id"]
    dsa = _generate(world, agreement_id)[0]
    path = Path(app.config["OMD_STORAGE_DIR"]) / dsa["sha256"][:2] / f"{dsa['sha256']}.docx"
    path.unlink()
    verify = world.api.as_(world.legal).get(dsa["links"]["verify"]).json
    assert verify["matches"] is False and "missing" in verify["problem"]
    assert world.api.as_(world.legal).get(dsa["links"]["docx"]).status_code == 409
