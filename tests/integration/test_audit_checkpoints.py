"""Signed checkpoints through the API: auditors, transparency officers and
admins publish them, anyone fetches and checks them, and a checkpoint the
office did not sign is refused."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from omd_gov.audit import services
from omd_gov.audit.checkpoints import origin
from omd_gov.audit.models import AuditCheckpoint
from omd_gov.audit.signing import load_private_key, sign_checkpoint, vkey
from omd_gov.audit.verifier import (
    SIGNATURE_PREFIX,
    InvalidCheckpoint,
    key_id,
    open_checkpoint,
    verify_consistency,
)
from omd_gov.db import db, utcnow
from tests.audit_support import (
    advance_one,
    all_leaves,
    anonymous,
    count,
    more_events,
    mth,
    office_vkey,
    publish,
    served_proof,
    verify,
)
from tests.integration.conftest import World
from tests.integration.problems import assert_problem
from tests.integration.test_audit_chain import total_events

# --- Checkpoints ------------------------------------------------------------------


def test_checkpoints_are_signed_served_publicly_and_not_repeated(world: World, app: Any) -> None:
    public = anonymous(world)
    assert_problem(public.get("/audit/checkpoint"), 404)  # none published yet
    key = office_vkey(world)
    assert key.startswith(origin(app.config) + "+")
    agreement_id = more_events(world)
    leaves = all_leaves()

    first = publish(world)
    assert (first["size"], first["root_hash"]) == (len(leaves), mth(leaves).hex())
    assert first["key_id"] == key.split("+")[1]
    opened = open_checkpoint(first["note"], key)
    assert (opened.origin, opened.size, opened.root) == (
        origin(app.config),
        len(leaves),
        mth(leaves),
    )
    served = public.get("/audit/checkpoint")
    assert served.status_code == 200 and served.mimetype == "text/plain"
    assert served.get_data(as_text=True) == first["note"]
    # Nothing new: the same checkpoint, not another one.
    again = world.api.as_(world.admin).post("/api/v1/audit/checkpoints")
    assert again.status_code == 201 and again.json["id"] == first["id"]
    assert count(AuditCheckpoint) == 1
    # A proof in the checkpoint's tree carries its note.
    assert served_proof(world, 2, len(leaves))["checkpoint"] == first["note"]
    assert served_proof(world, 2, len(leaves) - 1)["checkpoint"] is None

    advance_one(world, agreement_id)
    second = publish(world)
    assert second["id"] != first["id"] and second["size"] == total_events() > first["size"]
    assert public.get("/audit/checkpoint").get_data(as_text=True) == second["note"]
    consistency = world.api.as_(world.auditor).get(
        "/api/v1/audit/consistency", query_string={"from": first["size"], "to": second["size"]}
    )
    old_root, new_root = (open_checkpoint(c["note"], key).root for c in (first, second))
    proof = [bytes.fromhex(h) for h in consistency.json["proof"]]
    assert verify_consistency(first["size"], second["size"], old_root, new_root, proof)
    # Another key cannot open the office's notes.
    stranger = vkey(origin(app.config), Ed25519PrivateKey.generate().public_key())
    with pytest.raises(InvalidCheckpoint, match="no signature"):
        open_checkpoint(first["note"], stranger)


def test_auditors_transparency_officers_and_admins_publish_checkpoints(world: World) -> None:
    more_events(world)
    refused = [world.legal, world.data_officer, world.sign_partner]
    for account in refused:
        body = assert_problem(world.api.as_(account).post("/api/v1/audit/checkpoints"), 403)
        assert "auditor" in body["detail"]
    assert_problem(anonymous(world).post("/api/v1/audit/checkpoints"), 401)
    assert count(AuditCheckpoint) == 0
    assert world.api.as_(world.transparency).post("/api/v1/audit/checkpoints").status_code == 201
    assert world.api.as_(world.admin).post("/api/v1/audit/checkpoints").status_code == 201


def test_without_a_signing_key_nothing_is_signed(
    world: World, app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "OMD_AUDIT_SIGNING_KEY", str(tmp_path / "missing.pem"))
    body = assert_problem(world.api.as_(world.auditor).post("/api/v1/audit/checkpoints"), 503)
    assert "OMD_AUDIT_SIGNING_KEY" in body["detail"]
    assert_problem(anonymous(world).get("/audit/key"), 404)
    assert count(AuditCheckpoint) == 0


# --- Checkpoints that the office did not sign -------------------------------------


def _foreign_note(app: Any, size: int, root: bytes, kind: str) -> str:
    name, stranger = origin(app.config), Ed25519PrivateKey.generate()
    if kind == "another key":
        return sign_checkpoint(name, size, root, stranger, name)
    if kind == "another name":
        return sign_checkpoint("evil.example/audit", size, root, stranger, "evil.example/audit")
    honest = sign_checkpoint(name, size, root, _office_private_key(app), name)
    body = honest[: honest.index("\n\n") + 1]
    if kind == "the office's key id":  # claims the office's key, signed by another
        raw = _office_private_key(app).public_key().public_bytes_raw()
        signature = base64.b64encode(key_id(name, raw) + stranger.sign(body.encode())).decode()
        return f"{body}\n{SIGNATURE_PREFIX}{name} {signature}\n"
    # "another root": the office's own signature, over a different root than the row's
    return sign_checkpoint(name, size, bytes(32), _office_private_key(app), name)


def _office_private_key(app: Any) -> Ed25519PrivateKey:
    return load_private_key(Path(app.config["OMD_AUDIT_SIGNING_KEY"]))


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("another key", "no signature by key"),
        ("another name", "no signature by key"),
        ("the office's key id", "bad signature by key"),
        ("another root", "its note and its row disagree"),
    ],
)
def test_a_checkpoint_the_office_did_not_sign_is_refused(
    world: World, app: Any, kind: str, reason: str
) -> None:
    agreement_id = more_events(world)
    honest = publish(world)
    assert verify(world)["ok"] is True
    advance_one(world, agreement_id)
    size = total_events()
    root = mth(all_leaves())
    forged_note = _foreign_note(app, size, root, kind)
    with Session(db.engine) as session, session.begin():
        forged = AuditCheckpoint(
            size=size,
            root_hash=root,
            key_id="00000000",
            note=forged_note,
            created_at=utcnow(),
        )
        session.add(forged)
        session.flush()
        forged_id = forged.id
    report = verify(world)
    assert report["ok"] is False and report["broken_at_seq"] == size
    assert f"checkpoint {forged_id}" in report["reason"] and reason in report["reason"]
    assert report["from_size"] == honest["size"]
    # The full walk refuses it too, and outsiders cannot open what is served.
    job = world.api.as_(world.auditor).post("/api/v1/audit/verifications").json
    assert services.run_full_verification(db.session, app.config, job["id"]) is False
    done = world.api.as_(world.auditor).get(f"/api/v1/audit/verifications/{job['id']}").json
    assert f"checkpoint {forged_id}" in done["report"]["reason"]
    note = anonymous(world).get("/audit/checkpoint").get_data(as_text=True)
    assert note == forged_note
    if kind == "another root":  # the office's signature, over another tree
        assert open_checkpoint(note, office_vkey(world)).root != root
    else:
        with pytest.raises(InvalidCheckpoint):
            open_checkpoint(note, office_vkey(world))
