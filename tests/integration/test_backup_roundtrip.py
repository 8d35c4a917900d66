"""``omd-gov backup`` of a service in the middle of traffic (a thread keeps
writing through the API while the command copies), restored with ``omd-gov
restore`` into an empty instance: every agreement, document (sha256) and
audit event of the backup is there, and the audit log verifies. Runs on the
suite's database (SQLite, or PostgreSQL with pg_dump). The commands run in
this process, which keeps the test fast; their copies go through their own
connections (SQLite's backup API, pg_dump), as from another process."""

from __future__ import annotations

import dataclasses
import json
import threading
from pathlib import Path
from typing import Any

from omd_gov.audit.services import publish_checkpoint
from omd_gov.db import db
from tests.backup_support import (
    backup_rows,
    empty_instance,
    file_sha256,
    fresh_database,
    invoke,
    query,
    source_env,
)
from tests.factories import ApiClient
from tests.integration.conftest import World


class Traffic(threading.Thread):
    """Writes without pause, through its own client: a new agreement, its
    DSA, two transitions and a signed checkpoint per round."""

    def __init__(self, app: Any, world: World):
        super().__init__(daemon=True)
        self.app = app
        self.world = dataclasses.replace(world, api=ApiClient(app.test_client()))
        self.rounds = 0
        self.errors: list[BaseException] = []
        self.stopping = threading.Event()
        self.advanced = threading.Condition()

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                self._round()
                with self.advanced:
                    self.rounds += 1
                    self.advanced.notify_all()
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            self.errors.append(error)
            with self.advanced:
                self.advanced.notify_all()

    def _round(self) -> None:
        world = self.world
        agreement_id = world.create_agreement()["id"]
        world.generate_dsa(agreement_id)
        for trigger, account in (("submit", world.data_officer), ("approve", world.legal)):
            response = world.fire(agreement_id, account, trigger)
            assert response.status_code == 200, response.json
        with self.app.app_context():
            publish_checkpoint(db.session, self.app.config)

    def wait_for(self, rounds: int) -> None:
        with self.advanced:
            self.advanced.wait_for(lambda: self.rounds >= rounds or bool(self.errors), 60)
        assert not self.errors, self.errors
        assert self.rounds >= rounds


def _backup_while_writing(app: Any, world: World, tmp_path: Path) -> Path:
    backup = tmp_path / "backup"
    traffic = Traffic(app, world)
    traffic.start()
    try:
        traffic.wait_for(1)
        done = invoke(source_env(app, tmp_path / "source"), "backup", "--to", str(backup))
        traffic.wait_for(traffic.rounds + 2)  # a whole round after the backup ended
    finally:
        traffic.stopping.set()
        traffic.join(60)
    assert not traffic.errors, traffic.errors
    assert done.exit_code == 0, done.output
    assert "backup written to" in done.stdout
    return backup


def _events(rows: list[Any]) -> dict[int, str]:
    return {int(seq): str(digest) for seq, digest in rows}


def _check_files(url: str, storage: Path) -> int:
    """Every stored file a restored row names is there, with the row's sha256."""
    named = query(url, "SELECT storage_key, sha256 FROM documents WHERE storage_key IS NOT NULL")
    named += query(
        url, "SELECT pdf_storage_key, pdf_sha256 FROM documents WHERE pdf_storage_key IS NOT NULL"
    )
    named += query(url, "SELECT storage_key, sha256 FROM document_templates")
    for key, sha256 in named:
        assert file_sha256(storage / key[:2] / key) == sha256, key
    return len(named)


def test_a_backup_taken_in_the_middle_of_traffic_restores_whole(
    app: Any, world: World, tmp_path: Path
) -> None:
    before = [world.create_agreement()["id"] for _ in range(2)]
    world.to_state(before[0], "signing")  # a frozen DSA
    backup = _backup_while_writing(app, world, tmp_path)

    agreements = {row["id"] for row in backup_rows(backup, "agreements")}
    assert {str(agreement_id) for agreement_id in before} <= agreements
    backed_up = _events([(row["seq"], row["hash"]) for row in backup_rows(backup, "audit_events")])
    source = _events(
        query(app.config["SQLALCHEMY_DATABASE_URI"], "SELECT seq, hash FROM audit_events")
    )
    assert len(source) > len(backed_up)  # the traffic went on after the snapshot
    assert backed_up == {seq: h for seq, h in source.items() if seq <= len(backed_up)}

    for url in fresh_database(tmp_path):
        env = empty_instance(url, tmp_path / "restored", app)
        restored = invoke(env, "restore", "--from", str(backup))
        assert restored.exit_code == 0, restored.output
        report = json.loads(restored.stdout[restored.stdout.index("\n{\n") :])
        assert report["ok"] is True and report["to_size"] == len(backed_up)
        assert report["checkpoints_checked"] >= 1  # the signer's note among them
        assert {str(row[0]) for row in query(url, "SELECT id FROM agreements")} == agreements
        assert _events(query(url, "SELECT seq, hash FROM audit_events")) == backed_up
        documents = len(backup_rows(backup, "documents"))
        assert documents >= 2
        assert _check_files(url, tmp_path / "restored" / "storage") >= documents
