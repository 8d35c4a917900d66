"""Helpers of the audit log's integration tests: an independent RFC 6962 tree
hash, requests for proofs and checkpoints, the real CLI, and the attacker's
rewrite of history."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.orm import Session

from omd_gov.audit.encoding import event_hash, leaf_of
from omd_gov.audit.merkle import CompactRange
from omd_gov.audit.models import (
    GENESIS_HASH,
    AuditChainHead,
    AuditEvent,
    AuditTreeNode,
)
from omd_gov.audit.verifier import (
    leaf_hash,
)
from omd_gov.db import db
from tests.factories import Account, ApiClient
from tests.integration.conftest import World
from tests.integration.test_audit_chain import CLI
from tests.support import append_only_bypassed

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


# --- Requests --------------------------------------


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
