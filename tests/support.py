"""Helpers for tests that must go behind the application's back."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

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


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released at once; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = calls[index]()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return results
