"""The ``omd-gov`` console script, run as a subprocess against a fresh database
(a temporary SQLite file, or a throw-away PostgreSQL database when
``OMD_TEST_DATABASE_URL`` is set) and a temporary instance directory."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.orm import Session

from omd_gov import create_app
from omd_gov.agreements.lifecycle import State
from omd_gov.audit.chain import verify_chain
from omd_gov.cli import main
from omd_gov.db import db
from tests.conftest import _postgres_database

CLI = str(Path(sys.executable).parent / "omd-gov")
TOKEN = re.compile(r"^omd_[A-Za-z0-9_-]{43}$")


def _fresh_database(directory: Path) -> Iterator[str]:
    base = os.environ.get("OMD_TEST_DATABASE_URL")
    if base:
        yield from _postgres_database(base)
    else:
        yield f"sqlite:///{directory / 'cli.sqlite3'}"


def _env(url: str, directory: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMD_")}
    env.update(
        OMD_DATABASE_URL=url,
        OMD_INSTANCE_DIR=str(directory / "instance"),
        OMD_SECRET_KEY="cli-test-secret",
    )
    return env


def run(env: dict[str, str], *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, *args], env={**env, **extra_env}, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def empty_db(tmp_path: Path) -> Iterator[dict[str, str]]:
    for url in _fresh_database(tmp_path):
        yield _env(url, tmp_path)


@pytest.fixture(scope="module")
def ready_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    directory = tmp_path_factory.mktemp("cli")
    for url in _fresh_database(directory):
        env = _env(url, directory)
        done = run(env, "init")
        assert done.returncode == 0, done.stderr
        yield env


def _scalar(env: dict[str, str], sql: str, **params: Any) -> Any:
    engine = create_engine(env["OMD_DATABASE_URL"])
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


def test_init_creates_the_schema_and_is_idempotent(empty_db: dict[str, str]) -> None:
    engine = create_engine(empty_db["OMD_DATABASE_URL"])
    try:
        assert inspect(engine).get_table_names() == []
        first = run(empty_db, "init")
        assert first.returncode == 0, first.stderr
        assert "database ready" in first.stdout
        assert "cli-test-secret" not in first.stdout + first.stderr
        tables = set(inspect(engine).get_table_names())
        assert {"agreements", "audit_events", "users", "alembic_version"} <= tables
        with engine.connect() as connection:
            heads = set(
                connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
            )
        second = run(empty_db, "init")
        assert second.returncode == 0, second.stderr
        inspector = inspect(engine)
        assert set(inspector.get_table_names()) == tables
        with engine.connect() as connection:
            again = set(
                connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
            )
        assert again == heads and heads
    finally:
        engine.dispose()


def test_users_create_prints_the_token_alone_and_stores_only_its_hash(
    ready_db: dict[str, str],
) -> None:
    done = run(
        ready_db,
        "users",
        "create",
        "--email",
        "lee@city.example",
        "--name",
        "Lee",
        "--role",
        "legal_officer",
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.rstrip("\n").split("\n")
    token = lines[-1]
    assert TOKEN.match(token), done.stdout
    assert token not in "\n".join(lines[:-1]) + done.stderr
    stored = _scalar(
        ready_db, "SELECT token_hash FROM users WHERE email = :e", e="lee@city.example"
    )
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    found = _scalar(
        ready_db,
        "SELECT count(*) FROM users WHERE token_hash = :t OR email = :t OR name = :t",
        t=token,
    )
    assert found == 0
    # The printed token authenticates against the API.
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": ready_db["OMD_DATABASE_URL"],
            "SECRET_KEY": "x",
        }
    )
    try:
        client = app.test_client()
        ok = client.get("/api/v1/agreements", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
        wrong = client.get("/api/v1/agreements", headers={"Authorization": f"Bearer {stored}"})
        assert wrong.status_code == 401  # the stored hash is not a credential
    finally:
        with app.app_context():
            db.engine.dispose()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--email", "dup@city.example", "--role", "legal_officer"), "already exists"),
        (("--email", "x@city.example", "--role", "mayor"), "unknown role"),
        (("--email", "y@city.example", "--role", "signatory"), "organisation"),
        (
            ("--email", "z@city.example", "--role", "auditor", "--organization", "999"),
            "does not exist",
        ),
    ],
)
def test_users_create_refuses_bad_input_without_printing_a_token(
    ready_db: dict[str, str], args: tuple[str, ...], message: str
) -> None:
    """In-process (the same ``main``), to keep the suite fast."""
    runner = CliRunner(env=ready_db)
    if message == "already exists":
        first = runner.invoke(main, ["users", "create", "--name", "Dup", *args])
        assert first.exit_code == 0, first.output
    users = _scalar(ready_db, "SELECT count(*) FROM users")
    done = runner.invoke(main, ["users", "create", "--name", "N", *args])
    assert done.exit_code == 1 and done.exception is not None
    assert message in done.stderr
    assert "omd_" not in done.stdout
    assert _scalar(ready_db, "SELECT count(*) FROM users") == users


def _demo_counts(env: dict[str, str]) -> dict[str, int]:
    tables = ("users", "organizations", "cooperations", "agreements", "audit_events")
    return {t: _scalar(env, f"SELECT count(*) FROM {t}") for t in tables}


def test_demo_is_idempotent_and_shows_every_state(ready_db: dict[str, str]) -> None:
    refused = CliRunner(env={**ready_db, "OMD_DEMO": "0"}).invoke(main, ["demo"])
    assert refused.exit_code == 1 and "OMD_DEMO=1" in refused.stderr
    assert _scalar(ready_db, "SELECT count(*) FROM agreements") == 0

    first = run(ready_db, "demo", OMD_DEMO="1")
    assert first.returncode == 0, first.stderr
    assert "demo data loaded" in first.stdout
    assert "DEMO CREDENTIALS" in first.stdout and "Bearer demo-legal-officer" in first.stdout
    counts = _demo_counts(ready_db)
    engine = create_engine(ready_db["OMD_DATABASE_URL"])
    try:
        with engine.connect() as connection:
            states = set(connection.execute(text("SELECT state FROM agreements")).scalars())
        with Session(engine) as session:
            report = verify_chain(session)
    finally:
        engine.dispose()
    assert states == set(State)
    assert report.ok and report.events_checked == counts["audit_events"]
    published = "SELECT a.state FROM register_entries r JOIN agreements a ON a.id = r.agreement_id"
    with engine.connect() as connection:
        in_register = list(connection.execute(text(published)).scalars())
    assert len(in_register) >= 3 and "superseded" in in_register  # one of them amended

    again = run(ready_db, "demo", OMD_DEMO="1")
    assert again.returncode == 0, again.stderr
    assert "already present" in again.stdout
    assert _demo_counts(ready_db) == counts
