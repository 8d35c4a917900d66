"""PostgreSQL: ``pg_dump`` in its custom format (one snapshot of the whole
database, taken while the service writes) and ``pg_restore``. The client
tools must be at least as new as the server (pg_dump refuses otherwise).
The password reaches them in PGPASSWORD: never on a command line (``ps``
shows those) nor in a message."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from omd_gov.backup.manifest import BackupError

RESTORE_OPTIONS = (
    "--no-owner",  # the restoring role owns what it creates
    "--no-privileges",  # grants name roles the target cluster may not have
    "--exit-on-error",
    "--single-transaction",  # all or nothing: a failure leaves the target as it was
    "--clean",  # drop what `omd-gov init` created in the target first
    "--if-exists",
)


def libpq(url: str) -> tuple[str, dict[str, str]]:
    """The SQLAlchemy URL as a libpq URI without its password, and the
    environment (with PGPASSWORD) to run a client tool in."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise BackupError(f"not a PostgreSQL URL: {parsed.get_backend_name()}")
    plain = URL.create(
        "postgresql",
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,  # sslmode, host=/socket/dir, …: libpq's own names
    )
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} not found: install the PostgreSQL client tools, as new as the server "
            "(e.g. the Debian package postgresql-client-15)"
        )
    return path


def _scrub(text: str, url: str) -> str:
    password = make_url(url).password
    text = text.strip()[-2000:]
    return text.replace(str(password), "***") if password else text


def _run_against(url: str, name: str, *args: str) -> None:
    dsn, env = libpq(url)
    done = subprocess.run(
        [_tool(name), *args, "--no-password", f"--dbname={dsn}"],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BackupError(f"{name} failed (exit {done.returncode}): {_scrub(done.stderr, url)}")


def client_version() -> str:
    done = subprocess.run([_tool("pg_dump"), "--version"], capture_output=True, text=True)
    return done.stdout.strip()


def dump(url: str, dest: Path) -> None:
    _run_against(url, "pg_dump", "--format=custom", f"--file={dest}")


def restore(dumped: Path, url: str) -> None:
    _run_against(url, "pg_restore", *RESTORE_OPTIONS, str(dumped.resolve()))


def table_rows(dumped: Path, table: str) -> list[dict[str, str | None]]:
    """A table's rows in a custom-format dump, by column, as COPY text
    (``None`` for NULL, other escapes left as they are)."""
    done = subprocess.run(
        [_tool("pg_restore"), "--data-only", f"--table={table}", "--file=-", str(dumped)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore cannot read {dumped}: {done.stderr.strip()[-2000:]}")
    return _copied_rows(done.stdout)


def _copied_rows(output: str) -> list[dict[str, str | None]]:
    lines = iter(output.splitlines())
    for line in lines:
        if line.startswith("COPY "):  # COPY public.<table> (<column>, …) FROM stdin;
            header = line[line.index("(") + 1 : line.index(")")]
            names = [name.strip().strip('"') for name in header.split(",")]
            rows = itertools.takewhile(lambda row: row != "\\.", lines)
            return [dict(zip(names, map(_value, row.split("\t")), strict=True)) for row in rows]
    return []


def _value(copied: str) -> str | None:
    return None if copied == "\\N" else copied


def revisions(dumped: Path) -> list[str]:
    """The Alembic revisions in the dump itself (the same snapshot)."""
    found = sorted(str(row["version_num"]) for row in table_rows(dumped, "alembic_version"))
    if not found:
        raise BackupError("the database has no schema yet (run omd-gov init)")
    return found
