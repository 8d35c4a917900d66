"""What a restore checks about the instance it writes into, before writing
anything: the same database dialect, a schema revision this version knows,
an empty database (unless forced), and the audit signer's note."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from omd_gov.audit.checkpoints import signer_note_path, verifier_keys
from omd_gov.backup import sqlite
from omd_gov.backup.manifest import SIGNER_NOTE, BackupError
from omd_gov.db import db, utcnow
from omd_gov.migrate import alembic_config

# A database holding any of these has a history that a restore would replace.
HISTORY_TABLES = ("users", "organizations", "agreements", "audit_events")


def dialect(app: Flask) -> str:
    return str(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name())


def check(app: Flask, directory: Path, manifest: Mapping[str, Any], *, force: bool) -> None:
    """Refuse a target the backup must not be written into."""
    _check_schema(app, manifest)
    held = history_held(app)
    if held and not force:
        raise BackupError(
            f"refusing to restore over a database that holds {', '.join(held)}: restore into "
            "a new, empty database (omd-gov init already writes audit events: do not run it "
            "first), or pass --force to replace its content"
        )
    if not force:
        _check_signer(app.config, directory, manifest)


def _check_signer(config: Mapping[str, Any], directory: Path, manifest: Mapping[str, Any]) -> None:
    note = note_in_the_way(config, directory, manifest)
    if note is not None:
        raise BackupError(
            f"{note} holds the last checkpoint this signer signed, and it is not the backup's: "
            "move it aside (keep it: it shows what was signed) or pass --force, which keeps "
            "it beside as .replaced-<time>"
        )
    signed_by = manifest["audit"].get("verifier_key")
    if SIGNER_NOTE in manifest["files"] and signed_by not in verifier_keys(config):
        raise BackupError(
            f"the backup's checkpoints are signed by {signed_by}, which this instance cannot "
            "check: install that signing key at OMD_AUDIT_SIGNING_KEY (backups never hold "
            "it), or list the key in OMD_AUDIT_VERIFIER_KEYS"
        )


def _check_schema(app: Flask, manifest: Mapping[str, Any]) -> None:
    wanted = manifest["database"]["dialect"]
    if dialect(app) != wanted:
        raise BackupError(
            f"this is a {wanted} backup; the configured database (OMD_DATABASE_URL) is "
            f"{dialect(app)}"
        )
    script = ScriptDirectory.from_config(alembic_config(app))
    known = {revision.revision for revision in script.walk_revisions()}
    unknown = sorted(set(manifest["database"]["alembic_revisions"]) - known)
    if unknown:
        raise BackupError(
            f"the backup's schema revision {', '.join(unknown)} is unknown to this version: "
            f"restore with the version that made it ({manifest.get('app_version')})"
        )


def history_held(app: Flask) -> list[str]:
    """The history tables of the target database that hold a row."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if dialect(app) == "sqlite" and not sqlite.database_file(url).exists():
        return []  # not created yet: do not create it just to look
    with app.app_context():
        try:
            tables = set(inspect(db.engine).get_table_names())
            with db.engine.connect() as connection:
                return [
                    table
                    for table in HISTORY_TABLES
                    if table in tables
                    and connection.execute(text(f"SELECT 1 FROM {table} LIMIT 1")).first()
                ]
        except SQLAlchemyError as error:
            cause = getattr(error, "orig", None) or error
            raise BackupError(f"cannot read the target database: {cause}") from error
        finally:
            db.engine.dispose()  # the restore replaces what those connections saw


def note_in_the_way(
    config: Mapping[str, Any], directory: Path, manifest: Mapping[str, Any]
) -> Path | None:
    """The signer's note at the target, when it is not the backup's."""
    path = signer_note_path(config)
    if not path.exists():
        return None
    ours = path.read_bytes()
    theirs = (directory / SIGNER_NOTE).read_bytes() if SIGNER_NOTE in manifest["files"] else None
    return None if ours == theirs else path


def keep_aside(path: Path) -> Path:
    """Rename a replaced note, never delete it: it shows what was signed."""
    kept = path.with_name(f"{path.name}.replaced-{utcnow():%Y%m%dT%H%M%S%fZ}")
    os.replace(path, kept)
    return kept
