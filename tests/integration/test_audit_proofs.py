"""The Merkle tree over the audit events and its signed checkpoints, through
the API: every event has an inclusion proof in every tree that holds it, any
two sizes have a consistency proof, and both check out against roots computed
here, independently, from the events' leaves (RFC 6962). Only the office's
readers get proofs. Checkpoints: tests/integration/test_audit_checkpoints.py.

Verification, the rewritten-history attack, jobs and catch-up:
tests/integration/test_audit_log.py.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from omd_gov.audit.encoding import leaf_of
from omd_gov.audit.models import AuditEvent
from omd_gov.audit.verifier import (
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from omd_gov.db import db
from tests.audit_support import (
    all_leaves,
    anonymous,
    consistency_of,
    more_events,
    mth,
    proof_of,
)
from tests.integration.conftest import World
from tests.integration.problems import assert_problem


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
