"""What an attacker with the database (but not the signing key) may try next:
truncate the events a checkpoint covers, delete the checkpoint rows before a
rewrite, forge a verification run to move the incremental starting point;
and what the office does about a rotated key and a tree not built yet."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, insert, update

from omd_gov.audit import services, tree
from omd_gov.audit.checkpoints import origin, signer_note_path
from omd_gov.audit.merkle import blocks
from omd_gov.audit.models import (
    AuditChainHead,
    AuditCheckpoint,
    AuditEvent,
    AuditTreeNode,
    AuditVerification,
)
from omd_gov.audit.signing import sign_checkpoint, vkey
from omd_gov.db import db, utcnow
from tests.audit_support import (
    anonymous,
    more_events,
    publish,
    rewrite,
    table,
    verify,
)
from tests.integration.conftest import World
from tests.integration.test_audit_chain import total_events
from tests.support import append_only_bypassed


def attack(*statements: Any) -> None:
    with db.engine.begin() as connection, append_only_bypassed(connection):
        for statement in statements:
            connection.execute(statement)
    db.session.rollback()


def truncate_to(keep: int) -> None:
    """Delete the events after ``keep`` and make the head and tree say so."""
    with db.engine.connect() as connection:
        events = connection.execute(
            table(AuditEvent).select().where(table(AuditEvent).c.seq == keep)
        ).one()
    attack(
        delete(table(AuditEvent)).where(table(AuditEvent).c.seq > keep),
        update(table(AuditChainHead)).values(seq=keep, hash=events.hash),
    )
    with db.engine.begin() as connection, append_only_bypassed(connection):
        edge = tree.edge_at(db.session, keep)
        connection.execute(update(table(AuditChainHead)).values(tree=edge.to_json()))
    db.session.rollback()


def test_truncating_events_a_checkpoint_covers_is_caught_and_never_signed(world: World) -> None:
    more_events(world)
    signed = publish(world)
    assert verify(world)["ok"] is True
    truncate_to(signed["size"] - 3)
    report = verify(world)
    assert report["ok"] is False and str(signed["size"]) in report["reason"]
    refused = world.api.as_(world.auditor).post("/api/v1/audit/checkpoints")
    assert refused.status_code == 409 and "refusing to sign" in refused.json["detail"]


def test_deleting_the_checkpoint_rows_before_a_rewrite_does_not_help(world: World) -> None:
    """The signer keeps its last note beside its key, outside the database."""
    more_events(world)
    publish(world)
    assert verify(world)["ok"] is True
    attack(delete(table(AuditVerification)), delete(table(AuditCheckpoint)))
    rewrite(3, tree_too=True)
    report = verify(world)
    assert report["ok"] is False and "signer" in report["reason"]
    refused = world.api.as_(world.auditor).post("/api/v1/audit/checkpoints")
    assert refused.status_code == 409
    assert db.session.query(AuditCheckpoint).count() == 0


def test_a_forged_run_moves_the_incremental_start_but_a_full_run_finds_the_edit(
    world: World, app: Any
) -> None:
    """Documented limit: a fake successful run may move the incremental start;
    the full run that beat schedules still walks everything."""
    more_events(world)
    first = publish(world)
    assert verify(world)["ok"] is True
    more_events(world)
    second = publish(world)
    forged = {"full": False, "status": "done", "ok": True, "from_size": 0, "report": {}}
    attack(
        update(table(AuditEvent))
        .where(table(AuditEvent).c.seq == first["size"] + 1)
        .values(comment="edited, chain untouched"),
        insert(table(AuditVerification)).values(
            **forged, checkpoint_id=second["id"], requested_at=utcnow()
        ),
    )
    assert verify(world)["from_size"] == second["size"]  # the window was skipped
    run = services.verify_fully(db.session, app.config)
    assert run.ok is False and run.report["broken_at_seq"] == first["size"] + 1


def test_pinned_keys_keep_old_checkpoints_verifiable_after_a_rotation(
    world: World, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    more_events(world)
    publish(world)
    old_vkey = services.office_vkey(app.config)
    rotated = vkey(origin(app.config), Ed25519PrivateKey.generate().public_key())
    monkeypatch.setitem(app.config, "OMD_AUDIT_VERIFIER_KEYS", rotated)
    assert verify(world)["ok"] is False  # the new key alone cannot check the old notes
    monkeypatch.setitem(app.config, "OMD_AUDIT_VERIFIER_KEYS", f"{rotated} {old_vkey}")
    assert verify(world)["ok"] is True
    assert anonymous(world).get("/audit/key").text.split() == [rotated, old_vkey]


def test_a_tree_far_behind_the_chain_is_refused_not_rebuilt_in_a_request(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    agreement_id = more_events(world)
    attack(delete(table(AuditTreeNode)), update(table(AuditChainHead)).values(tree={}))
    monkeypatch.setattr(tree, "CATCH_UP_IN_REQUEST", 3)
    before = total_events()
    response = world.fire(agreement_id, world.data_officer, "withdraw", "stop")
    assert response.status_code == 503 and "omd-gov init" in response.json["detail"]
    assert total_events() == before  # nothing half-written
    refused = world.api.as_(world.auditor).post("/api/v1/audit/checkpoints")
    assert refused.status_code == 503
    assert services.catch_up_tree(db.session) == before
    assert publish(world)["size"] == before


def test_a_missing_tree_node_is_a_failed_verification_not_an_error(world: World) -> None:
    more_events(world)
    size = total_events()
    top = max(level for level, _index in blocks(0, size))  # a node every root reads
    attack(delete(table(AuditTreeNode)).where(table(AuditTreeNode).c.level == top))
    report = verify(world)
    assert report["ok"] is False and "omd-gov init" in report["reason"]


def test_a_note_signed_by_the_office_key_for_another_log_is_not_the_signers_copy(
    world: World, app: Any
) -> None:
    more_events(world)
    publish(world)
    key = Ed25519PrivateKey.generate()
    forged = sign_checkpoint(origin(app.config), 1, b"\0" * 32, key, origin(app.config))
    signer_note_path(app.config).write_text(forged, encoding="utf-8")
    report = verify(world)
    assert report["ok"] is False and "signer" in report["reason"]
