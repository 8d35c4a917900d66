"""The hash-chained audit trail: intact chains verify; altering, deleting or
reordering an event is detected at the first broken link, by the API and by
``omd-gov audit verify``. On PostgreSQL the database itself refuses UPDATE and
DELETE, so the tampering below switches its triggers off, as an attacker with
superuser rights would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from omd_gov.audit.encoding import event_hash
from omd_gov.audit.models import AuditEvent
from omd_gov.db import db
from tests.integration.conftest import World
from tests.support import append_only_bypassed

CLI = str(Path(sys.executable).parent / "omd-gov")


@pytest.fixture
def trail(world: World) -> dict[str, Any]:
    """An agreement taken to 'approved' with an edit on the way; its events by action."""
    created = world.create_agreement()
    agreement_id = created["id"]
    edited = world.api.as_(world.data_officer).patch(
        f"/api/v1/agreements/{agreement_id}",
        json={"title": "Renamed"},
        headers={"If-Match": f'"{created["version"]}"'},
    )
    assert edited.status_code == 200
    world.to_state(agreement_id, "approved")
    events = world.api.as_(world.auditor).get(f"/api/v1/agreements/{agreement_id}/events").json
    return {"id": agreement_id, "events": {e["action"]: e for e in events}}


def tamper(sql: str, **params: Any) -> None:
    """Rewrite history behind the application's back."""
    with db.engine.begin() as connection, append_only_bypassed(connection):
        connection.execute(text(sql), params)
    db.session.rollback()  # the test's requests share a session: drop its old snapshot


# What the chain check reports (the Merkle and checkpoint checks add more:
# tests/integration/test_audit_log.py).
CHAIN_FIELDS = ("ok", "events_checked", "broken_at_seq", "event_id", "reason")


def verify_api(world: World) -> dict[str, Any]:
    response = world.api.as_(world.auditor).get("/api/v1/audit/verify")
    assert response.status_code == 200
    return {key: response.json[key] for key in CHAIN_FIELDS}


def verify_cli(app: Any, tmp_path: Path) -> tuple[int, dict[str, Any]]:
    env = {
        **os.environ,
        "OMD_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "OMD_INSTANCE_DIR": str(tmp_path / "instance"),
        "OMD_SECRET_KEY": "cli-test",
        "OMD_DEMO": "0",
    }
    done = subprocess.run(
        [CLI, "audit", "verify"], env=env, capture_output=True, text=True, timeout=60
    )
    report = json.loads(done.stdout)
    return done.returncode, {key: report[key] for key in CHAIN_FIELDS}


def total_events() -> int:
    with db.engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM audit_events")).scalar_one())


def test_an_intact_chain_verifies_by_api_and_cli(
    app: Any, world: World, trail: dict[str, Any], tmp_path: Path
) -> None:
    expected = {
        "ok": True,
        "events_checked": total_events(),
        "broken_at_seq": None,
        "event_id": None,
        "reason": None,
    }
    assert verify_api(world) == expected
    assert verify_cli(app, tmp_path) == (0, expected)


def test_events_record_who_what_when_and_the_link(world: World, trail: dict[str, Any]) -> None:
    events = trail["events"]
    edit, approve = events["edit"], events["approve"]
    assert edit["changes"]["title"] == {"from": 'Energy data & <sharing> "pilot"', "to": "Renamed"}
    assert (approve["from_state"], approve["to_state"]) == ("legal_review", "approved")
    assert (approve["actor_id"], approve["acting_role"], approve["source"]) == (
        world.legal.user_id,
        "legal_officer",
        "api",
    )
    assert approve["occurred_at"] and len(approve["hash"]) == 64
    seqs = sorted(e["seq"] for e in events.values())
    assert seqs == sorted(set(seqs))
    with db.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT seq, prev_hash, hash FROM audit_events ORDER BY seq")
        )
        chain = list(rows)
    assert chain[0].prev_hash == "0" * 64
    for previous, current in zip(chain, chain[1:], strict=False):
        assert (current.seq, current.prev_hash) == (previous.seq + 1, previous.hash)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("comment", "'all fine'"),
        ("to_state", "'active'"),
        ("acting_role", "'admin'"),
        ("changes", "'{\"title\": 1}'"),
    ],
)
def test_altered_content_is_detected(
    world: World, trail: dict[str, Any], column: str, value: str
) -> None:
    target = trail["events"]["submit"]
    tamper(f"UPDATE audit_events SET {column} = {value} WHERE seq = :seq", seq=target["seq"])
    report = verify_api(world)
    assert report["ok"] is False
    assert (report["broken_at_seq"], report["event_id"]) == (target["seq"], target["id"])
    assert "altered" in report["reason"]
    assert report["events_checked"] == target["seq"] - 1


def test_an_altered_event_with_a_recomputed_hash_breaks_the_next_link(
    app: Any, world: World, trail: dict[str, Any], tmp_path: Path
) -> None:
    target = trail["events"]["submit"]
    forged = "f" * 64
    tamper(
        "UPDATE audit_events SET comment = 'forged', hash = :forged WHERE seq = :seq",
        forged=forged,
        seq=target["seq"],
    )
    assert verify_api(world)["broken_at_seq"] == target["seq"]
    # Recompute the forged event's hash properly: only the next link can tell.
    with Session(db.engine) as session:
        row = session.execute(select(AuditEvent).where(AuditEvent.seq == target["seq"]))
        honest = event_hash(row.scalar_one())
    tamper("UPDATE audit_events SET hash = :h WHERE seq = :seq", h=honest, seq=target["seq"])
    report = verify_api(world)
    assert report["broken_at_seq"] == target["seq"] + 1
    assert "prev_hash" in report["reason"]
    code, cli_report = verify_cli(app, tmp_path)
    assert code == 1 and cli_report == report


def test_a_deleted_event_is_detected(world: World, trail: dict[str, Any]) -> None:
    target = trail["events"]["submit"]
    tamper("DELETE FROM audit_events WHERE seq = :seq", seq=target["seq"])
    report = verify_api(world)
    assert report["ok"] is False
    assert report["broken_at_seq"] == target["seq"] + 1
    assert f"#{target['seq']}" in report["reason"] and "missing" in report["reason"]


def test_a_deleted_and_renumbered_event_is_detected(world: World, trail: dict[str, Any]) -> None:
    target = trail["events"]["submit"]
    tamper("DELETE FROM audit_events WHERE seq = :seq", seq=target["seq"])
    tamper("UPDATE audit_events SET seq = seq - 1 WHERE seq > :seq", seq=target["seq"])
    report = verify_api(world)
    assert report["ok"] is False and report["broken_at_seq"] == target["seq"]


def test_a_truncated_tail_is_detected(world: World, trail: dict[str, Any]) -> None:
    last = max(e["seq"] for e in trail["events"].values())
    tamper("DELETE FROM audit_events WHERE seq = :seq", seq=last)
    report = verify_api(world)
    assert report["ok"] is False and report["broken_at_seq"] == last
    assert "missing" in report["reason"]


def test_reordered_events_are_detected(world: World, trail: dict[str, Any]) -> None:
    first, second = trail["events"]["submit"], trail["events"]["approve"]
    tamper("UPDATE audit_events SET seq = -1 WHERE seq = :seq", seq=first["seq"])
    tamper("UPDATE audit_events SET seq = :a WHERE seq = :b", a=first["seq"], b=second["seq"])
    tamper("UPDATE audit_events SET seq = :b WHERE seq = -1", b=second["seq"])
    report = verify_api(world)
    assert report["ok"] is False
    assert (report["broken_at_seq"], report["event_id"]) == (first["seq"], second["id"])


def test_history_cannot_be_rewritten(world: World, trail: dict[str, Any]) -> None:
    """The ORM refuses, and so does the database itself (a trigger on both)."""
    event = db.session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars().first()
    assert event is not None
    event.comment = "rewritten"
    with pytest.raises(PermissionError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, event.id))
    with pytest.raises(PermissionError):
        db.session.flush()
    db.session.rollback()
    for sql in ("UPDATE audit_events SET comment = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as connection:
            connection.execute(text(sql))
    assert verify_api(world)["ok"] is True


def test_only_auditors_and_legal_officers_verify(world: World) -> None:
    for account, status in [
        (world.auditor, 200),
        (world.legal, 200),
        (world.admin, 200),
        (world.data_officer, 403),
        (world.transparency, 403),
    ]:
        assert world.api.as_(account).get("/api/v1/audit/verify").status_code == status
