"""The Merkle tree over the audit events and its signed checkpoints, through
the API: every event has an inclusion proof in every tree that holds it, any
two sizes have a consistency proof, and both check out against roots computed
here, independently, from the events' leaves (RFC 6962). Only the office's
readers get proofs; only auditors (and admins) publish checkpoints, which
anyone can fetch and check; a checkpoint the office did not sign is refused.

Verification, the rewritten-history attack, jobs and catch-up:
tests/integration/test_audit_log.py.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omd_gov.audit import services
from omd_gov.audit.checkpoints import origin
from omd_gov.audit.encoding import leaf_of
from omd_gov.audit.models import AuditCheckpoint, AuditEvent
from omd_gov.audit.signing import load_private_key, sign_checkpoint, vkey
from omd_gov.audit.verifier import (
    SIGNATURE_PREFIX,
    InvalidCheckpoint,
    key_id,
    leaf_hash,
    open_checkpoint,
    verify_consistency,
    verify_inclusion,
)
from omd_gov.db import db, utcnow
from tests.factories import Account, ApiClient
from tests.integration.conftest import World
from tests.integration.problems import assert_problem
from tests.integration.test_audit_chain import total_events

# --- An independent RFC 6962 Merkle tree hash (MTH), from the RFC's definition ---


def mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def test_the_reference_tree_hash_matches_rfc_6962_vectors() -> None:
    """Anchor the reference above (certificate-transparency's test vectors)."""
    leaves = [b"", b"\x00", b"\x10", b" !", b"01", b"@ABC", b"PQRSTUVW", b"`abcdefghijklmno"]
    assert mth([]).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert mth(leaves[:1]).hex() == (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )
    assert mth(leaves[:3]).hex() == (
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"
    )
    assert mth(leaves).hex() == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"


# --- Helpers shared with test_audit_log.py --------------------------------------


def all_leaves() -> list[bytes]:
    """Every event's leaf, from the database on a fresh session (seq order)."""
    with Session(db.engine) as session:
        events = session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars()
        return [leaf_of(event) for event in events]


def proof_of(world: World, seq: int, size: int | None = None, who: Account | None = None) -> Any:
    query = {} if size is None else {"size": size}
    return world.api.as_(who or world.auditor).get(
        f"/api/v1/audit/events/{seq}/proof", query_string=query
    )


def consistency_of(world: World, query: dict[str, Any], who: Account | None = None) -> Any:
    return world.api.as_(who or world.auditor).get("/api/v1/audit/consistency", query_string=query)


def more_events(world: World) -> int:
    """A new agreement, submitted: a few more events. Returns its id."""
    agreement_id = int(world.create_agreement()["id"])
    assert world.fire(agreement_id, world.data_officer, "submit").status_code == 200
    return agreement_id


def anonymous(world: World) -> ApiClient:
    return ApiClient(world.api.client)


def publish(world: World) -> dict[str, Any]:
    response = world.api.as_(world.auditor).post("/api/v1/audit/checkpoints")
    assert response.status_code == 201, response.json
    return dict(response.json)


def verify(world: World) -> dict[str, Any]:
    response = world.api.as_(world.auditor).get("/api/v1/audit/verify")
    assert response.status_code == 200, response.json
    return dict(response.json)


def office_vkey(world: World) -> str:
    response = anonymous(world).get("/audit/key")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    return str(response.get_data(as_text=True)).strip()


def count(model: Any) -> int:
    with Session(db.engine) as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def served_proof(world: World, seq: int, size: int) -> dict[str, Any]:
    response = proof_of(world, seq, size)
    assert response.status_code == 200, response.json
    return dict(response.json)


def advance_one(world: World, agreement_id: int) -> None:
    """One more step of ``agreement_id`` (in legal review) toward signing."""
    assert world.fire(agreement_id, world.legal, "approve").status_code == 200


@pytest.fixture
def log(world: World) -> dict[str, Any]:
    """An active agreement and one in legal review: a few dozen events."""
    active = world.create_agreement()["id"]
    world.to_state(active, "active")
    reviewed = more_events(world)
    leaves = all_leaves()
    assert len(leaves) >= 20 and len(leaves) & (len(leaves) - 1)  # not a power of two
    return {"active": active, "reviewed": reviewed, "leaves": leaves}


# --- Inclusion proofs -------------------------------------------------------------


def test_every_event_has_a_proof_in_every_tree_that_holds_it(
    world: World, log: dict[str, Any]
) -> None:
    leaves: list[bytes] = log["leaves"]
    n = len(leaves)
    for seq in range(1, n + 1):
        for size in sorted({seq, (seq + n) // 2, n}) + [None]:
            response = proof_of(world, seq, size)
            assert response.status_code == 200, response.json
            body = response.json
            tree_size = n if size is None else size
            assert (body["seq"], body["index"], body["tree_size"]) == (seq, seq - 1, tree_size)
            leaf = body["leaf"].encode()
            assert leaf == leaves[seq - 1]
            assert body["leaf_hash"] == hashlib.sha256(b"\x00" + leaf).hexdigest()
            root = mth(leaves[:tree_size])
            assert body["root_hash"] == root.hex()
            proof = [bytes.fromhex(h) for h in body["proof"]]
            assert len(proof) <= (tree_size - 1).bit_length()  # O(log n) hashes
            assert verify_inclusion(leaf_hash(leaf), seq - 1, tree_size, proof, root)
            assert body["checkpoint"] is None  # none published
            # ...and the same proof proves nothing else.
            assert not verify_inclusion(leaf_hash(leaf + b" "), seq - 1, tree_size, proof, root)
            if tree_size > 1:
                other = seq % tree_size  # another index in the tree
                assert not verify_inclusion(leaf_hash(leaf), other, tree_size, proof, root)


def test_a_leaf_is_the_content_the_chain_hashes(world: World, log: dict[str, Any]) -> None:
    """sha256(leaf) is the event's chain hash, and the leaf names the previous hash."""
    events = world.api.as_(world.auditor).get(f"/api/v1/agreements/{log['active']}/events").json
    assert len(events) >= 6
    for event in events:
        leaf = proof_of(world, event["seq"]).json["leaf"]
        assert hashlib.sha256(leaf.encode()).hexdigest() == event["hash"]
        assert f'"prev_hash":"{event["prev_hash"]}"' in leaf
        assert f'"action":"{event["action"]}"' in leaf
    with Session(db.engine) as session:
        rows = session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars().all()
        assert [hashlib.sha256(leaf_of(row)).hexdigest() for row in rows] == [r.hash for r in rows]


def test_proofs_of_unknown_events_are_not_found(world: World, log: dict[str, Any]) -> None:
    n = len(log["leaves"])
    for seq in (0, n + 1, 10**9):
        assert_problem(proof_of(world, seq), 404)
    assert proof_of(world, 1).status_code == 200


@pytest.mark.parametrize(
    "size",
    [
        pytest.param(lambda seq, n: seq - 1, id="smaller-than-seq"),
        pytest.param(lambda seq, n: n + 1, id="beyond-the-tree"),
        pytest.param(lambda seq, n: 0, id="zero"),
        pytest.param(lambda seq, n: -3, id="negative"),
        pytest.param(lambda seq, n: 2**31, id="huge"),
        pytest.param(lambda seq, n: "ten", id="not-a-number"),
    ],
)
def test_a_proof_for_a_tree_without_the_event_is_refused(
    world: World, log: dict[str, Any], size: Any
) -> None:
    n, seq = len(log["leaves"]), 5
    body = assert_problem(proof_of(world, seq, size(seq, n)), 422)
    assert "size" in str(body["errors"]) or "size" in body["detail"]


# --- Consistency proofs -----------------------------------------------------------


def test_consistency_proofs_verify_between_sizes(world: World, log: dict[str, Any]) -> None:
    leaves: list[bytes] = log["leaves"]
    n = len(leaves)
    pairs: list[tuple[int, int | None]] = [
        (0, n),
        (1, n),
        (1, 2),
        (2, 3),
        (3, 7),
        (4, 8),
        (5, n - 1),
        (n // 2, n),
    ]
    pairs += [(n - 1, n), (n, n), (7, 7), (8, None), (0, None)]
    for old, new in pairs:
        query = {"from": old} | ({} if new is None else {"to": new})
        response = consistency_of(world, query)
        assert response.status_code == 200, response.json
        body = response.json
        new_size = n if new is None else new
        assert (body["from"], body["to"]) == (old, new_size)
        old_root, new_root = mth(leaves[:old]), mth(leaves[:new_size])
        assert (body["from_root"], body["to_root"]) == (old_root.hex(), new_root.hex())
        proof = [bytes.fromhex(h) for h in body["proof"]]
        assert len(proof) <= 2 * max(new_size, 1).bit_length()
        assert verify_consistency(old, new_size, old_root, new_root, proof), (old, new_size)
        # A different old tree (its last leaf changed) is not consistent with this one.
        forged = mth(leaves[: old - 1] + [b"forged"]) if old else b"\x00" * 32
        assert not verify_consistency(old, new_size, forged, new_root, proof)
        if proof:
            bent = [bytes(32)] + proof[1:]
            assert not verify_consistency(old, new_size, old_root, new_root, bent)


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(lambda n: {"from": 5, "to": 3}, id="from-after-to"),
        pytest.param(lambda n: {"from": 1, "to": n + 1}, id="to-beyond-the-tree"),
        pytest.param(lambda n: {"from": n + 1}, id="from-beyond-the-tree"),
        pytest.param(lambda n: {"to": n}, id="no-from"),
        pytest.param(lambda n: {"from": -1, "to": n}, id="negative"),
        pytest.param(lambda n: {"from": "x", "to": n}, id="not-a-number"),
    ],
)
def test_bad_consistency_pairs_are_refused(world: World, log: dict[str, Any], query: Any) -> None:
    assert_problem(consistency_of(world, query(len(log["leaves"]))), 422)


# --- Who may read proofs ----------------------------------------------------------


def test_only_the_offices_readers_get_proofs(world: World, log: dict[str, Any]) -> None:
    readers = [world.auditor, world.legal, world.transparency, world.admin]
    for account in readers:
        assert proof_of(world, 3, who=account).status_code == 200
        assert consistency_of(world, {"from": 2}, who=account).status_code == 200
    # Partners' signatories (and the city's) and the data officer are refused by role.
    for account in [world.sign_partner, world.sign_outsider, world.sign_city, world.data_officer]:
        body = assert_problem(proof_of(world, 3, who=account), 403)
        assert "auditor" in body["detail"]
        assert_problem(consistency_of(world, {"from": 2}, who=account), 403)
    # The refusal comes before the lookup: no way to probe which events exist.
    assert_problem(proof_of(world, 10**6, who=world.sign_partner), 403)
    assert_problem(anonymous(world).get("/api/v1/audit/events/3/proof"), 401)
    assert_problem(anonymous(world).get("/api/v1/audit/consistency?from=1"), 401)


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
