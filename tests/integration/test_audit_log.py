"""Verification that scales, and what it catches: a run starts from the last
verified checkpoint; a full walk is a worker job; events the tree misses are
caught up; and an attacker who rewrites an old event and recomputes every
later chain hash, and even the stored tree, is still caught, by the API, by
``omd-gov audit verify`` and by the independent verifier (``omd-gov audit
check-proof``).

Proofs and checkpoints themselves: tests/integration/test_audit_proofs.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.orm import Session

from omd_gov.audit import services, tree, verification
from omd_gov.audit.chain import verify_chain
from omd_gov.audit.encoding import event_hash, leaf_of
from omd_gov.audit.merkle import CompactRange
from omd_gov.audit.models import (
    GENESIS_HASH,
    AuditChainHead,
    AuditEvent,
    AuditTreeNode,
    AuditVerification,
)
from omd_gov.audit.verifier import (
    leaf_hash,
    open_checkpoint,
    verify_consistency,
)
from omd_gov.db import db
from omd_gov.errors import NotFound
from tests.integration.conftest import World
from tests.integration.problems import assert_problem
from tests.integration.test_audit_chain import CLI, tamper, total_events
from tests.integration.test_audit_proofs import (
    advance_one,
    all_leaves,
    count,
    more_events,
    mth,
    office_vkey,
    proof_of,
    publish,
    served_proof,
    verify,
)
from tests.reminders_support import fresh_snapshot, on_broker, worker_thread
from tests.support import append_only_bypassed

# --- Helpers ----------------------------------------------------------------------


def run_cli(app: Any, tmp_path: Path, *args: str, database: bool = True) -> tuple[int, str]:
    env = {
        **os.environ,
        "OMD_INSTANCE_DIR": str(tmp_path / "cli-instance"),
        "OMD_SECRET_KEY": "cli-test",
        "OMD_DEMO": "0",
        "OMD_AUDIT_SIGNING_KEY": app.config["OMD_AUDIT_SIGNING_KEY"],
        # The independent verifier gets a database that does not exist.
        "OMD_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"]
        if database
        else "postgresql+psycopg://nobody@127.0.0.1:1/nothing",
    }
    done = subprocess.run([CLI, *args], env=env, capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout + done.stderr


def check_proof(app: Any, tmp_path: Path, note: str, key: str, proof: dict[str, Any]) -> Any:
    """``omd-gov audit check-proof``, fed files as an outsider would keep them."""
    (tmp_path / "checkpoint.txt").write_text(note, encoding="utf-8")
    (tmp_path / "proof.json").write_text(json.dumps(proof), encoding="utf-8")
    return run_cli(
        app,
        tmp_path,
        *("audit", "check-proof", "--checkpoint", str(tmp_path / "checkpoint.txt")),
        *("--vkey", key, "--proof", str(tmp_path / "proof.json")),
        database=False,
    )


def table(model: Any) -> Table:
    return cast(Table, model.__table__)


def rewrite(seq: int, *, tree_too: bool) -> None:
    """What an attacker with the database does: change event ``seq``, recompute
    every later chain link and the head (and, with ``tree_too``, every stored
    tree node and the head's right edge), with the append-only guards off."""
    with Session(db.engine) as session:
        events = list(session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars())
        session.expunge_all()
    previous = events[seq - 2].hash if seq > 1 else GENESIS_HASH
    changed = []
    for event in events[seq - 1 :]:
        if event.seq == seq:
            event.comment = "nothing happened here"
        event.prev_hash = previous
        event.hash = previous = event_hash(event)
        changed.append(event)
    events_table = table(AuditEvent)
    with db.engine.begin() as connection, append_only_bypassed(connection):
        for event in changed:
            connection.execute(
                update(events_table)
                .where(events_table.c.seq == event.seq)
                .values(comment=event.comment, prev_hash=event.prev_hash, hash=event.hash)
            )
        connection.execute(update(table(AuditChainHead)).values(hash=previous))
        if tree_too:
            edge, nodes = CompactRange(), []
            for event in events:
                nodes += edge.append(leaf_hash(leaf_of(event)))
            connection.execute(delete(table(AuditTreeNode)))
            rows = [{"level": lvl, "index": i, "hash": h} for (lvl, i), h in nodes]
            connection.execute(insert(table(AuditTreeNode)), rows)
            connection.execute(update(table(AuditChainHead)).values(tree=edge.to_json()))
    db.session.rollback()


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


# --- Full verification, as a job --------------------------------------------------


def test_a_full_verification_is_queued_and_run_once(
    world: World, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    more_events(world)
    checkpoint = publish(world)
    n = total_events()
    for account in (world.data_officer, world.transparency, world.sign_partner):
        assert_problem(world.api.as_(account).post("/api/v1/audit/verifications"), 403)
    queued = world.api.as_(world.legal).post("/api/v1/audit/verifications")
    assert queued.status_code == 202
    run = queued.json
    assert (run["full"], run["status"], run["ok"], run["finished_at"]) == (
        True,
        "queued",
        None,
        None,
    )
    url = f"/api/v1/audit/verifications/{run['id']}"
    assert world.api.as_(world.auditor).get(url).json["status"] == "queued"  # not run in a request

    assert services.run_full_verification(db.session, app.config, run["id"]) is True
    done = world.api.as_(world.auditor).get(url).json
    assert (done["status"], done["ok"], done["from_size"], done["to_size"]) == ("done", True, 0, n)
    assert done["checkpoint_id"] == checkpoint["id"] and done["finished_at"]
    assert (done["report"]["events_checked"], done["report"]["checkpoints_checked"]) == (n, 1)

    walks: list[Any] = []
    monkeypatch.setattr(verification, "verify", lambda *args: walks.append(args))
    assert services.run_full_verification(db.session, app.config, run["id"]) is True  # redelivered
    assert walks == []
    assert world.api.as_(world.auditor).get(url).json == done
    assert_problem(world.api.as_(world.auditor).get("/api/v1/audit/verifications/999999"), 404)
    assert_problem(world.api.as_(world.data_officer).get(url), 403)
    with pytest.raises(NotFound):
        services.run_full_verification(db.session, app.config, 999999)


def test_a_full_verification_finds_a_tampered_event(world: World, app: Any) -> None:
    more_events(world)
    tamper("UPDATE audit_events SET comment = 'forged' WHERE seq = 3")
    job = world.api.as_(world.auditor).post("/api/v1/audit/verifications").json
    assert services.run_full_verification(db.session, app.config, job["id"]) is False
    done = world.api.as_(world.auditor).get(f"/api/v1/audit/verifications/{job['id']}").json
    assert (done["status"], done["ok"], done["checkpoint_id"]) == ("done", False, None)
    assert done["report"]["broken_at_seq"] == 3 and "altered" in done["report"]["reason"]


def test_a_worker_runs_the_full_verification(world: World, app: Any, tmp_path: Path) -> None:
    more_events(world)
    with on_broker(app, "filesystem", tmp_path) as celery, worker_thread(celery):
        checkpoint = publish(world)  # under this test's origin (its public URL)
        run = world.api.as_(world.auditor).post("/api/v1/audit/verifications").json
        url = f"/api/v1/audit/verifications/{run['id']}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            fresh_snapshot()
            done = world.api.as_(world.auditor).get(url).json
            if done["status"] == "done":
                break
            time.sleep(0.1)
    assert (done["status"], done["ok"], done["to_size"]) == ("done", True, total_events())
    assert done["checkpoint_id"] == checkpoint["id"]


# --- Catching up with events the tree does not hold --------------------------------


def _reset_tree(keep: int) -> None:
    """Forget the tree beyond its first ``keep`` leaves, as before the tree existed."""
    leaves = all_leaves()
    edge, kept = CompactRange(), []
    for leaf in leaves[:keep]:
        kept += edge.append(leaf_hash(leaf))
    with db.engine.begin() as connection, append_only_bypassed(connection):
        connection.execute(delete(table(AuditTreeNode)))
        if kept:
            rows = [{"level": lvl, "index": i, "hash": h} for (lvl, i), h in kept]
            connection.execute(insert(table(AuditTreeNode)), rows)
        connection.execute(
            update(table(AuditChainHead)).values(tree=edge.to_json() if keep else {})
        )
    db.session.rollback()


@pytest.mark.parametrize("keep", [0, 5])
@pytest.mark.parametrize("how", ["catch_up_tree", "the next append"])
def test_events_without_tree_nodes_are_added(world: World, keep: int, how: str) -> None:
    agreement_id = more_events(world)
    n = total_events()
    _reset_tree(keep)
    assert count(AuditTreeNode) < 2 * n - 1
    assert_problem(proof_of(world, n), 422)  # not in the tree (yet)
    if how == "catch_up_tree":
        assert services.catch_up_tree(db.session) == n - keep
        assert services.catch_up_tree(db.session) == 0
        leaves = all_leaves()
        for seq in (1, keep + 1, n):
            assert served_proof(world, seq, n)["root_hash"] == mth(leaves).hex()
    advance_one(world, agreement_id)  # the next append works on the completed tree
    leaves = all_leaves()
    m = len(leaves)
    assert m > n
    assert count(AuditTreeNode) == 2 * m - bin(m).count("1")  # every complete subtree, once
    for seq in (1, n, m):
        assert served_proof(world, seq, m)["root_hash"] == mth(leaves).hex()
    assert verify(world)["ok"] is True
