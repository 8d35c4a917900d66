"""Full verification runs as a worker job (queued, run once, never in a
request), and events the Merkle tree misses are caught up."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, insert, update

from omd_gov.audit import services, verification
from omd_gov.audit.merkle import CompactRange
from omd_gov.audit.models import (
    AuditChainHead,
    AuditTreeNode,
)
from omd_gov.audit.verifier import (
    leaf_hash,
)
from omd_gov.db import db
from omd_gov.errors import NotFound
from tests.audit_support import (
    advance_one,
    all_leaves,
    count,
    more_events,
    mth,
    proof_of,
    publish,
    served_proof,
    table,
    verify,
)
from tests.integration.conftest import World
from tests.integration.problems import assert_problem
from tests.integration.test_audit_chain import tamper, total_events
from tests.reminders_support import fresh_snapshot, on_broker, worker_thread
from tests.support import append_only_bypassed

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
