"""SQLite settings for the embedded default: WAL, foreign keys, busy timeout,
and real transactions (pysqlite otherwise delays BEGIN until the first write,
which would let a read-then-write race slip past)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from omd_gov.db import SQLITE_BEGIN_OPTION, db


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _on_begin(connection: Any) -> None:
    # Units of work ask for IMMEDIATE (omd_gov.db.transaction); reads stay deferred.
    mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "")
    connection.exec_driver_sql(f"BEGIN {mode}".strip())


def tune(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)


def install(app: Flask) -> None:
    with app.app_context():
        tune(db.engine)
