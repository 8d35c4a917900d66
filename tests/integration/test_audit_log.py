"""Verification that scales, and what it catches: a run starts from the last
verified checkpoint; and an attacker who rewrites an old event and recomputes
every later chain hash, and even the stored tree, is still caught, by the
API, by ``omd-gov audit verify`` and by the independent verifier
(``omd-gov audit check-proof``).

Elsewhere: proofs (test_audit_proofs.py), checkpoints
(test_audit_checkpoints.py), full runs as jobs and tree catch-up
(test_audit_jobs.py), further attacks (test_audit_attacks.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from omd_gov.audit import services, tree
from omd_gov.audit.chain import verify_chain
from omd_gov.audit.models import (
    AuditVerification,
)
from omd_gov.audit.verifier import (
    open_checkpoint,
    verify_consistency,
)
from omd_gov.db import db
from tests.audit_support import (
    advance_one,
    all_leaves,
    check_proof,
    count,
    more_events,
    mth,
    office_vkey,
    publish,
    rewrite,
    run_cli,
    served_proof,
    verify,
)
from tests.integration.conftest import World
from tests.integration.problems import assert_problem
from tests.integration.test_audit_chain import total_events

# --- Incremental verification -----------------------------------------------------


def test_verification_starts_from_the_last_verified_checkpoint(world: World) -> None:
    agreement_id = more_events(world)
    n = total_events()
    first = verify(world)  # no checkpoint yet: the whole (short) log
    expected = {
        "ok": True,
        "from_size": 0,
        "to_size": n,
        "events_checked": n,
        "checkpoints_checked": 0,
        "checkpoint_id": None,
        "reason": None,
    }
    assert {key: first[key] for key in expected} == expected
    checkpoint = publish(world)
    second = verify(world)  # reaches the checkpoint, which anchors the next run
    assert (second["ok"], second["from_size"], second["events_checked"]) == (True, 0, n)
    assert (second["checkpoints_checked"], second["checkpoint_id"]) == (1, checkpoint["id"])

    advance_one(world, agreement_id)
    more_events(world)
    m = total_events()
    third = verify(world)
    assert (third["ok"], third["from_size"], third["to_size"]) == (True, n, m)
    assert third["events_checked"] == m - n > 0
    assert (third["checkpoints_checked"], third["checkpoint_id"]) == (0, None)
    run = world.api.as_(world.legal).get(f"/api/v1/audit/verifications/{third['verification_id']}")
    assert (run.json["full"], run.json["status"], run.json["ok"]) == (False, "done", True)

    later = publish(world)
    more_events(world)
    k = total_events()
    fourth = verify(world)  # still from the first checkpoint: the third run reached none
    assert (fourth["ok"], fourth["from_size"], fourth["events_checked"]) == (True, n, k - n)
    assert (fourth["checkpoints_checked"], fourth["checkpoint_id"]) == (1, later["id"])
    fifth = verify(world)
    assert (fifth["from_size"], fifth["events_checked"]) == (m, k - m)


def test_without_a_verified_checkpoint_a_long_log_is_not_walked_in_a_request(
    world: World, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    more_events(world)
    n = total_events()
    monkeypatch.setattr(services, "SYNC_FULL_WALK_LIMIT", n)
    assert verify(world)["events_checked"] == n  # at the limit: walked
    monkeypatch.setattr(services, "SYNC_FULL_WALK_LIMIT", n - 1)
    runs = count(AuditVerification)
    body = assert_problem(world.api.as_(world.auditor).get("/api/v1/audit/verify"), 409)
    assert body["events"] == n and "/api/v1/audit/verifications" in body["detail"]
    checkpoint = publish(world)  # published, but verified by nobody yet
    assert_problem(world.api.as_(world.auditor).get("/api/v1/audit/verify"), 409)
    assert count(AuditVerification) == runs
    # The worker's full run verifies the checkpoint; requests start from it then.
    job = world.api.as_(world.auditor).post("/api/v1/audit/verifications").json
    assert services.run_full_verification(db.session, app.config, job["id"]) is True
    report = verify(world)
    assert (report["ok"], report["from_size"], report["events_checked"]) == (True, n, 0)
    assert checkpoint["size"] == n


# --- The attack: history rewritten, every hash recomputed --------------------------


@pytest.fixture
def signed(world: World) -> dict[str, Any]:
    """A checkpoint published and verified, then more events after it. The
    target is an old event (the first agreement's submission) well inside it."""
    agreement_id = more_events(world)
    advance_one(world, agreement_id)
    checkpoint = publish(world)
    assert verify(world)["checkpoint_id"] == checkpoint["id"]
    more_events(world)
    events = world.api.as_(world.auditor).get(f"/api/v1/agreements/{agreement_id}/events").json
    target = next(e["seq"] for e in events if e["action"] == "submit")
    assert 1 < target < checkpoint["size"] < total_events()
    return {"checkpoint": checkpoint, "target": target, "vkey": office_vkey(world)}


def test_a_rewritten_history_with_recomputed_chain_and_tree_is_caught(
    world: World, app: Any, tmp_path: Path, signed: dict[str, Any]
) -> None:
    checkpoint, target, key = signed["checkpoint"], signed["target"], signed["vkey"]
    size = checkpoint["size"]
    kept = served_proof(world, target, size)  # what an outsider saved
    untouched = served_proof(world, 1, size)
    for proof in (kept, untouched):
        code, out = check_proof(app, tmp_path, checkpoint["note"], key, proof)
        assert (code, out.split(":")[0]) == (0, "valid"), out

    rewrite(target, tree_too=True)

    # A thorough job: the chain walks clean and the stored tree is self-consistent.
    with Session(db.engine) as session:
        assert verify_chain(session).ok
        assert tree.root(session, total_events()) == mth(all_leaves())
    # The signed checkpoint no longer matches, by the API (twice: no healing)...
    for _ in range(2):
        report = verify(world)
        assert report["ok"] is False
        assert f"checkpoint {checkpoint['id']}" in report["reason"]
    # ...by omd-gov audit verify, incremental and full...
    code, out = run_cli(app, tmp_path, "audit", "verify")
    assert code == 1 and json.loads(out.split("\n}")[0] + "\n}")["ok"] is False, out
    code, out = run_cli(app, tmp_path, "audit", "verify", "--full")
    full = json.loads(out.split("\n}")[0] + "\n}")
    assert code == 1 and full["ok"] is False and full["broken_at_seq"] == size, out
    assert f"signed checkpoint {checkpoint['id']}" in full["reason"]
    # ...and by the independent verifier: the rewritten event's proof, as
    # served now, does not lead to the root the office signed before.
    forged = served_proof(world, target, size)
    assert "nothing happened here" in forged["leaf"]
    code, out = check_proof(app, tmp_path, checkpoint["note"], key, forged)
    assert code == 1 and out.startswith("INVALID: "), out
    assert "does not lead" in out
    code, out = check_proof(app, tmp_path, checkpoint["note"], key, kept)  # the saved one
    assert code == 0 and out.startswith("valid: "), out
    # The rewritten tree does not extend the signed one, provably, and the
    # signer refuses to launder it with a new checkpoint.
    consistency = (
        world.api.as_(world.auditor)
        .get("/api/v1/audit/consistency", query_string={"from": size})
        .json
    )
    hashes = [bytes.fromhex(h) for h in consistency["proof"]]
    old_root = open_checkpoint(checkpoint["note"], key).root
    new_root = bytes.fromhex(consistency["to_root"])
    assert not verify_consistency(size, consistency["to"], old_root, new_root, hashes)
    refused = world.api.as_(world.auditor).post("/api/v1/audit/checkpoints")
    assert refused.status_code == 409 and "refusing to sign" in refused.json["detail"]
    assert verify(world)["ok"] is False


def test_a_rewritten_history_with_a_recomputed_chain_only_is_caught(
    world: World, app: Any, tmp_path: Path, signed: dict[str, Any]
) -> None:
    checkpoint, target, key = signed["checkpoint"], signed["target"], signed["vkey"]
    size = checkpoint["size"]
    rewrite(target, tree_too=False)
    with Session(db.engine) as session:
        assert verify_chain(session).ok
    report = verify(world)
    assert report["ok"] is False and f"checkpoint {checkpoint['id']}" in report["reason"]
    assert report["broken_at_seq"] == size and "rewritten" in report["reason"]
    code, out = run_cli(app, tmp_path, "audit", "verify")
    assert code == 1, out
    code, out = check_proof(
        app, tmp_path, checkpoint["note"], key, served_proof(world, target, size)
    )
    assert code == 1 and out.startswith("INVALID: "), out
    # An event before the rewritten one, with its proof from the stored tree: still valid.
    code, out = check_proof(app, tmp_path, checkpoint["note"], key, served_proof(world, 1, size))
    assert code == 0 and out.startswith("valid: "), out


def test_a_rewrite_after_the_verified_checkpoint_is_caught_by_the_next_one(
    world: World, signed: dict[str, Any]
) -> None:
    anchor = signed["checkpoint"]
    newer = publish(world)
    more_events(world)
    target = anchor["size"] + 1
    assert target < newer["size"]
    rewrite(target, tree_too=True)
    report = verify(world)
    assert (report["ok"], report["from_size"], report["broken_at_seq"]) == (
        False,
        anchor["size"],
        newer["size"],
    )
    assert f"signed checkpoint {newer['id']}" in report["reason"]
