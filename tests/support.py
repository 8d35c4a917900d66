"""Helpers for tests that must go behind the application's back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text


@contextmanager
def append_only_bypassed(connection: Connection) -> Iterator[Connection]:
    """Switch off the database's append-only guards (audit events, tree nodes,
    checkpoints) inside the connection's current transaction, as an attacker
    with database access could (PostgreSQL: replica mode; SQLite: drop the
    triggers and restore them)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        yield connection
        return
    triggers = connection.execute(
        text(
            "SELECT name, sql FROM sqlite_master"
            " WHERE type = 'trigger'"
            " AND tbl_name IN ('audit_events', 'audit_tree_nodes', 'audit_checkpoints')"
        )
    ).all()
    for name, _sql in triggers:
        connection.execute(text(f"DROP TRIGGER {name}"))
    yield connection
    for _name, sql in triggers:
        connection.execute(text(sql))
