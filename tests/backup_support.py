"""Helpers for the backup and restore tests: an instance's environment, a
fresh target database, and what a backup or a restored instance holds."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text

from omd_gov.backup import postgres
from omd_gov.backup.manifest import DATABASE_FILES
from omd_gov.cli import main
from tests.conftest import _postgres_database


def instance_env(url: str, instance: Path, **settings: str) -> dict[str, str]:
    """The environment of an ``omd-gov`` process for one instance."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMD_")}
    env.update(OMD_DATABASE_URL=url, OMD_INSTANCE_DIR=str(instance), OMD_SECRET_KEY="backup-test")
    env.update(settings)
    return env


def source_env(app: Any, instance: Path) -> dict[str, str]:
    """The environment that reaches the test app's database, files and key."""
    return instance_env(
        app.config["SQLALCHEMY_DATABASE_URI"],
        instance,
        OMD_STORAGE_DIR=app.config["OMD_STORAGE_DIR"],
        OMD_AUDIT_SIGNING_KEY=app.config["OMD_AUDIT_SIGNING_KEY"],
    )


def fresh_database(directory: Path) -> Iterator[str]:
    """An empty database on the suite's engine: a new SQLite file, or a new
    PostgreSQL database next to OMD_TEST_DATABASE_URL (dropped afterwards)."""
    base = os.environ.get("OMD_TEST_DATABASE_URL")
    if base:
        yield from _postgres_database(base)
    else:
        yield f"sqlite:///{directory / 'restored.sqlite3'}"


def empty_instance(url: str, instance: Path, app: Any) -> dict[str, str]:
    """A new instance with the source's signing key installed, as an operator
    brings it from the secret store (backups never hold it)."""
    instance.mkdir(parents=True)
    shutil.copy(app.config["OMD_AUDIT_SIGNING_KEY"], instance / "audit-signing-key.pem")
    return instance_env(url, instance)


def invoke(env: dict[str, str], *args: str) -> Result:
    """The ``omd-gov`` command in this process (faster than a subprocess)."""
    return CliRunner(env=env).invoke(main, list(args))


def backup_rows(backup: Path, table: str) -> list[dict[str, str | None]]:
    """A table's rows in the backup's own database copy, by column, as text."""
    sqlite_copy = backup / DATABASE_FILES["sqlite"]
    if not sqlite_copy.exists():
        return postgres.table_rows(backup / DATABASE_FILES["postgresql"], table)
    uri = f"{sqlite_copy.resolve().as_uri()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as connection:
        cursor = connection.execute(f"SELECT * FROM {table}")
        names = [column[0] for column in cursor.description]
        return [
            dict(zip(names, (None if v is None else str(v) for v in row), strict=True))
            for row in cursor
        ]


def query(url: str, sql: str) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql)).all())
    finally:
        engine.dispose()


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
