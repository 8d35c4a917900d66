"""What ``omd-gov backup`` and ``omd-gov restore`` refuse: an altered, missing
or unexpected file, a backup without its manifest, a target that already
holds data or another signer's note, a failing pg_dump, a backup directory
that is not empty. A refusal names the cause, exits 1 and writes nothing."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect

from omd_gov.audit.services import publish_checkpoint
from omd_gov.backup.manifest import MANIFEST
from omd_gov.db import db
from tests.backup_support import (
    empty_instance,
    fresh_database,
    instance_env,
    invoke,
    query,
    source_env,
)
from tests.integration.conftest import World


@pytest.fixture
def backup(app: Any, world: World, tmp_path: Path) -> Path:
    """A small backup: one agreement with its DSA, and a signed checkpoint."""
    agreement_id = world.create_agreement()["id"]
    world.generate_dsa(agreement_id)
    publish_checkpoint(db.session, app.config)
    directory = tmp_path / "backup"
    done = invoke(source_env(app, tmp_path / "source"), "backup", "--to", str(directory))
    assert done.exit_code == 0, done.output
    return directory


@pytest.fixture
def target(app: Any, tmp_path: Path) -> Iterator[dict[str, str]]:
    """An empty instance (with the signing key) on the suite's database."""
    for url in fresh_database(tmp_path):
        yield empty_instance(url, tmp_path / "target", app)


def _stored_file(backup: Path) -> Path:
    return next(path for path in sorted((backup / "storage").rglob("*")) if path.is_file())


def _flip_a_byte(backup: Path) -> str:
    path = _stored_file(backup)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    return f"{path.relative_to(backup)}: its sha256 does not match"


def _truncate_the_database(backup: Path) -> str:
    path = next(backup.glob("database.*"))
    path.write_bytes(path.read_bytes()[:-1])
    return f"{path.name}: {path.stat().st_size} bytes, not the size"


def _remove_a_file(backup: Path) -> str:
    path = _stored_file(backup)
    path.unlink()
    return f"{path.relative_to(backup)}: listed in the manifest but missing"


def _add_a_file(backup: Path) -> str:
    (backup / "storage" / "notes.txt").write_text("hello")
    return "storage/notes.txt: not in the manifest (unexpected)"


def _remove_the_manifest(backup: Path) -> str:
    (backup / MANIFEST).unlink()
    return f"it has no {MANIFEST}"


def _nothing_written(env: dict[str, str]) -> None:
    storage = Path(env["OMD_INSTANCE_DIR"]) / "storage"
    assert not storage.exists() or not any(storage.rglob("*"))
    url = env["OMD_DATABASE_URL"]
    if url.startswith("sqlite"):
        assert not Path(url.removeprefix("sqlite:///")).exists()
        return
    engine = create_engine(url)
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


DAMAGES = (_flip_a_byte, _truncate_the_database, _remove_a_file, _add_a_file, _remove_the_manifest)


def test_a_damaged_backup_is_refused_by_name_before_anything_is_written(
    backup: Path, target: dict[str, str], tmp_path: Path
) -> None:
    for damage in DAMAGES:  # each on its own copy of one backup
        damaged = shutil.copytree(backup, tmp_path / damage.__name__)
        expected = damage(damaged)
        refused = invoke(target, "restore", "--from", str(damaged))
        assert refused.exit_code == 1, damage.__name__
        assert expected in refused.stderr, (damage.__name__, refused.stderr)
        _nothing_written(target)


def test_a_target_holding_data_is_refused_unless_forced(
    app: Any, backup: Path, target: dict[str, str], tmp_path: Path
) -> None:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    agreements = query(url, "SELECT id, version FROM agreements")
    refused = invoke(source_env(app, tmp_path / "source"), "restore", "--from", str(backup))
    assert refused.exit_code == 1
    assert "refusing to restore over a database that holds users" in refused.stderr
    assert query(url, "SELECT id, version FROM agreements") == agreements

    assert invoke(target, "restore", "--from", str(backup)).exit_code == 0
    again = invoke(target, "restore", "--from", str(backup))
    assert again.exit_code == 1 and "--force" in again.stderr
    forced = invoke(target, "restore", "--from", str(backup), "--force")
    assert forced.exit_code == 0, forced.output
    assert json.loads(forced.stdout[forced.stdout.index("\n{\n") :])["ok"] is True
    assert query(target["OMD_DATABASE_URL"], "SELECT id, version FROM agreements") == agreements


def test_another_signers_note_is_refused_and_kept_aside_when_forced(
    backup: Path, target: dict[str, str]
) -> None:
    note = Path(target["OMD_INSTANCE_DIR"]) / "audit-signing-key.pem.last-checkpoint"
    note.write_text("another log\n")
    refused = invoke(target, "restore", "--from", str(backup))
    assert refused.exit_code == 1 and f"{note} holds the last checkpoint" in refused.stderr
    _nothing_written(target)
    forced = invoke(target, "restore", "--from", str(backup), "--force")
    assert forced.exit_code == 0, forced.output
    (kept,) = note.parent.glob(f"{note.name}.replaced-*")
    assert kept.read_text() == "another log\n"
    assert note.read_bytes() == (backup / "audit" / "last-checkpoint").read_bytes()


def test_a_target_that_cannot_check_the_signatures_is_refused(
    backup: Path, target: dict[str, str]
) -> None:
    os.remove(Path(target["OMD_INSTANCE_DIR"]) / "audit-signing-key.pem")
    refused = invoke(target, "restore", "--from", str(backup))
    assert refused.exit_code == 1
    assert "install that signing key at OMD_AUDIT_SIGNING_KEY" in refused.stderr
    _nothing_written(target)


def test_a_failing_pg_dump_exits_non_zero_and_leaves_no_backup(tmp_path: Path) -> None:
    url = "postgresql+psycopg://omd:s3cret-pw@127.0.0.1:1/omd"  # nothing listens on port 1
    directory = tmp_path / "backup"
    failed = invoke(instance_env(url, tmp_path / "instance"), "backup", "--to", str(directory))
    assert failed.exit_code == 1
    assert "pg_dump failed" in failed.stderr
    assert "s3cret-pw" not in failed.output
    assert directory.is_dir() and list(directory.iterdir()) == []  # no manifest, nothing


def test_a_backup_directory_that_is_not_empty_is_refused(app: Any, tmp_path: Path) -> None:
    directory = tmp_path / "backup"
    directory.mkdir()
    (directory / "keep.txt").write_text("mine")
    refused = invoke(source_env(app, tmp_path / "source"), "backup", "--to", str(directory))
    assert refused.exit_code == 1 and "not an empty directory" in refused.stderr
    assert [path.name for path in directory.iterdir()] == ["keep.txt"]
