"""Shared fixtures.

The suite runs on the embedded SQLite by default and on a real PostgreSQL when
``OMD_TEST_DATABASE_URL`` is set (``.ci/run`` does both). Each test session
gets its own freshly migrated database, so parallel runs never collide; a
missing server fails the run loudly instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from omd_gov import create_app
from omd_gov.audit.checkpoints import signer_note_path
from omd_gov.audit.signing import generate_private_key
from omd_gov.db import db
from omd_gov.documents.services import install_builtins
from omd_gov.migrate import upgrade
from tests.factories import ApiClient, Factory
from tests.support import append_only_bypassed


def _postgres_database(base_url: str) -> Iterator[str]:
    """Create a throw-away database next to ``base_url`` and drop it afterwards."""
    name = f"omd_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # the server must be there: fail, never skip
        pytest.fail(f"PostgreSQL at {base_url} is required but unreachable: {error}", pytrace=False)
    try:
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = os.environ.get("OMD_TEST_DATABASE_URL")
    if base:
        yield from _postgres_database(base)
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def _audit_key(instance: Any) -> Any:
    path = instance / "audit-signing-key.pem"
    generate_private_key(path)
    return path


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    instance = tmp_path_factory.mktemp("instance")
    application = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret",
            "OMD_STORAGE_DIR": str(instance / "storage"),
            "OMD_BROKER_URL": f"filesystem://{instance / 'broker'}",
            "OMD_AUDIT_SIGNING_KEY": str(_audit_key(instance)),
        }
    )
    upgrade(application)  # the tests run on the migrated schema, not create_all
    yield application
    with application.app_context():
        db.engine.dispose()


def _truncate_all(application: Any) -> None:
    with application.app_context():
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                with append_only_bypassed(connection):
                    for table in tables:
                        connection.execute(text(f"DELETE FROM {table}"))


@pytest.fixture(autouse=True)
def _clean_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test that touches the database starts from empty tables."""
    if "app" not in request.fixturenames:
        yield
        return
    application = request.getfixturevalue("app")
    _truncate_all(application)
    # A fresh log: the signer's last note (kept beside its key) goes too.
    signer_note_path(application.config).unlink(missing_ok=True)
    install_builtins(application)  # as `omd-gov init` does: requests never register them
    yield
    with application.app_context():
        db.session.remove()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def api(app: Any) -> ApiClient:
    return ApiClient(app.test_client())


@pytest.fixture
def factory(app: Any) -> Iterator[Factory]:
    with app.app_context():
        yield Factory(db.session)
