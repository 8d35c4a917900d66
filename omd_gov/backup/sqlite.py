"""SQLite: a consistent copy through the online backup API while the service
writes. The database runs in WAL mode (``omd_gov.sqlite_tuning``), so the
copy's read transaction never blocks a writer, and copying every page in one
step copies one snapshot."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import make_url

from omd_gov.backup.manifest import BackupError


def database_file(url: str) -> Path:
    path = make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:"):
        raise BackupError(f"cannot back up the SQLite database {path!r}: it is not a file path")
    return Path(path).resolve()


def _uri(path: Path, mode: str) -> str:
    return f"{path.as_uri()}?mode={mode}"  # as_uri quotes the path; mode=rw never creates it


def copy_out(url: str, dest: Path) -> list[str]:
    """Copy the live database to ``dest`` (a new, self-contained file, no WAL
    beside it); the Alembic revisions the copy is at."""
    source = database_file(url)
    if not source.is_file():
        raise BackupError(f"there is no SQLite database at {source}")
    try:
        with (
            closing(sqlite3.connect(_uri(source, "rw"), uri=True)) as live,
            closing(sqlite3.connect(dest)) as copy,
        ):
            live.execute("PRAGMA busy_timeout=5000")
            live.backup(copy)  # pages=-1: one step, hence one snapshot
            copy.execute("PRAGMA journal_mode=DELETE")
            (check,) = copy.execute("PRAGMA quick_check").fetchone()
            if check != "ok":
                raise BackupError(f"the copy of {source} fails SQLite's quick_check: {check}")
            return revisions(copy)
    except sqlite3.Error as error:
        raise BackupError(f"the SQLite backup of {source} failed: {error}") from error


def revisions(connection: sqlite3.Connection) -> list[str]:
    try:
        rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.OperationalError as error:
        raise BackupError("the database has no schema yet (run omd-gov init)") from error
    return sorted(str(row[0]) for row in rows)


def copy_in(backup_file: Path, url: str) -> None:
    """Replace the target database's content with the backup's, in one step
    (all of it or, on an error, none); the target may be missing or empty."""
    target = database_file(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with (
            closing(sqlite3.connect(_uri(backup_file.resolve(), "ro"), uri=True)) as copy,
            closing(sqlite3.connect(target)) as live,
        ):
            live.execute("PRAGMA busy_timeout=5000")
            copy.backup(live)
            live.execute("PRAGMA journal_mode=WAL")  # as the app runs it
    except sqlite3.Error as error:
        raise BackupError(f"restoring the SQLite database {target} failed: {error}") from error
