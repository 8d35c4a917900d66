"""Backup and restore, behind ``omd-gov backup`` and ``omd-gov restore``
(docs/OPERATIONS.md, "Backup and restore").

A backup copies, in this order:
1. the audit signer's last note (``<OMD_AUDIT_SIGNING_KEY>.last-checkpoint``):
   it is written only after its checkpoint's row commits, so a note read
   before the database copy signs a log that the copy holds;
2. the database (one snapshot);
3. the stored documents: a document's file is in place before its row
   commits, and stored files never change nor go away, so every row of the
   snapshot finds its file among those copied after it (files of later rows
   are copied too, and nothing refers to them).
The private signing key is a secret and is never copied (keep it in the
secret store); the manifest records only its public verifier key.

A restore checks every sum and the target first, and writes nothing when
either fails. Then it writes the files, then the database (so that no row
ever points to a missing file, even if the database step fails), then the
signer's note, and verifies the whole audit log.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from flask import Flask

from omd_gov.audit import services as audit_services
from omd_gov.audit.checkpoints import (
    read_signer_note,
    signer_note_path,
    write_signer_note,
)
from omd_gov.backup import manifest as layout
from omd_gov.backup import postgres, sqlite, storage, target
from omd_gov.backup.manifest import DATABASE_FILES, SIGNER_NOTE, BackupError
from omd_gov.db import db, utcnow
from omd_gov.migrate import upgrade


@dataclass
class BackupSummary:
    directory: Path
    dialect: str
    revisions: list[str]
    files: int
    size: int
    seconds: float
    manifest_sha256: str
    altered: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        lines = [
            f"backup written to {self.directory}: {self.dialect} database at "
            f"{', '.join(self.revisions)}, {self.files} files, {self.size} bytes, "
            f"in {self.seconds:.2f} s",
            f"manifest sha256 {self.manifest_sha256} (record it to check the copy later)",
        ]
        lines += [f"warning: {name} does not match its storage key" for name in self.altered]
        return lines


@dataclass
class RestoreSummary:
    directory: Path
    files_written: int
    seconds: float
    verification: dict[str, Any]
    kept_note: Path | None = None

    @property
    def ok(self) -> bool:
        return bool(self.verification.get("ok"))

    def lines(self) -> list[str]:
        lines = [
            f"restored {self.directory} ({self.files_written} stored files written) "
            f"in {self.seconds:.2f} s; audit log {'verified' if self.ok else 'DOES NOT VERIFY'}"
        ]
        if self.kept_note is not None:
            lines.append(f"the signer's previous note is kept as {self.kept_note}")
        return lines


def backup(app: Flask, directory: Path) -> BackupSummary:
    """Write a consistent, complete backup into ``directory`` (new or empty)."""
    started = time.monotonic()
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BackupError(f"refusing to write into {directory}: it is not an empty directory")
    directory.mkdir(parents=True, exist_ok=True)
    try:
        manifest, altered = _copy(app, directory)
        digest = layout.write(directory, manifest)  # last: a backup without it is refused
    except BaseException:
        _clear(directory)  # it was empty: leave no half-written backup behind
        raise
    files = manifest["files"]
    return BackupSummary(
        directory=directory,
        dialect=manifest["database"]["dialect"],
        revisions=manifest["database"]["alembic_revisions"],
        files=len(files),
        size=sum(entry["size"] for entry in files.values()),
        seconds=time.monotonic() - started,
        manifest_sha256=digest,
        altered=altered,
    )


def _copy(app: Flask, directory: Path) -> tuple[dict[str, Any], list[str]]:
    config = app.config
    note = read_signer_note(config)  # before the database: see the module's docstring
    files: dict[str, Any] = {}
    database = _copy_database(app, directory, files)
    stored, altered = storage.copy_out(Path(config["OMD_STORAGE_DIR"]), directory)
    files |= stored
    if note is not None:
        files[SIGNER_NOTE] = layout.write_file(directory / SIGNER_NOTE, note.encode("utf-8"))
    manifest = {
        "format": layout.FORMAT,
        "format_version": layout.FORMAT_VERSION,
        "created_at": utcnow().isoformat(),
        "app_version": metadata.version("omd-gov"),
        "database": database,
        "audit": {
            "verifier_key": audit_services.office_vkey(config),
            "signing_key_included": False,
        },
        "files": files,
    }
    return manifest, altered


def _copy_database(app: Flask, directory: Path, files: dict[str, Any]) -> dict[str, Any]:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    dialect = target.dialect(app)
    if dialect not in DATABASE_FILES:
        raise BackupError(f"cannot back up a {dialect} database")
    dest = directory / DATABASE_FILES[dialect]
    if dialect == "sqlite":
        revisions, client = sqlite.copy_out(url, dest), f"sqlite {sqlite3.sqlite_version}"
    else:
        postgres.dump(url, dest)
        revisions, client = postgres.revisions(dest), postgres.client_version()
    files[dest.name] = layout.summed(dest)
    return {"dialect": dialect, "alembic_revisions": revisions, "client": client}


def _clear(directory: Path) -> None:
    for child in directory.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def restore(app: Flask, directory: Path, *, force: bool = False) -> RestoreSummary:
    """Restore the backup in ``directory`` into the configured instance."""
    started = time.monotonic()
    manifest = layout.verified(directory)  # every sum, before anything is touched
    target.check(app, directory, manifest, force=force)
    files = manifest["files"]
    written = storage.copy_in(directory, files, Path(app.config["OMD_STORAGE_DIR"]))
    dialect = manifest["database"]["dialect"]
    dumped = directory / DATABASE_FILES[dialect]
    if dialect == "sqlite":
        sqlite.copy_in(dumped, app.config["SQLALCHEMY_DATABASE_URI"])
    else:
        postgres.restore(dumped, app.config["SQLALCHEMY_DATABASE_URI"])
    kept = _restore_signer_note(app, directory, manifest)
    upgrade(app)  # a backup of an older version: migrate, as omd-gov init does
    verification = _verify(app)
    return RestoreSummary(
        directory=directory,
        files_written=written,
        seconds=time.monotonic() - started,
        verification=verification,
        kept_note=kept,
    )


def _restore_signer_note(app: Flask, directory: Path, manifest: dict[str, Any]) -> Path | None:
    in_the_way = target.note_in_the_way(app.config, directory, manifest)
    kept = target.keep_aside(in_the_way) if in_the_way is not None else None  # --force only
    if SIGNER_NOTE in manifest["files"]:
        note = (directory / SIGNER_NOTE).read_text(encoding="utf-8")
        signer_note_path(app.config).parent.mkdir(parents=True, exist_ok=True)
        write_signer_note(app.config, note)
    return kept


def _verify(app: Flask) -> dict[str, Any]:
    """The full verification ``omd-gov audit verify --full`` runs."""
    with app.app_context():
        try:
            audit_services.catch_up_tree(db.session)
            return dict(audit_services.verify_fully(db.session, app.config).report)
        finally:
            db.session.close()
