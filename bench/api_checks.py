"""In-process checks that back the API benchmark's figures.

- the list query's real SQL (captured from ``list_visible``) and its
  ``EXPLAIN (ANALYZE, BUFFERS)``: it must use an index, not scan the table;
- per request: how many SQL statements run and how many rows they return,
  which shows that no request loads all rows;
- the audit hash chain over every seeded event is valid.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from omd_gov.agreements.queries import AgreementFilter, list_visible
from omd_gov.audit.chain import verify_chain
from omd_gov.auth.models import User
from omd_gov.auth.tokens import hash_token
from omd_gov.db import PageRequest, db


@contextmanager
def captured(engine: Engine) -> Iterator[list[dict[str, Any]]]:
    """Record every statement run on ``engine`` with its parameters and row count."""
    statements: list[dict[str, Any]] = []

    def before(_conn: Any, _cursor: Any, sql: str, params: Any, *_args: Any) -> None:
        statements.append({"sql": sql, "params": params, "rows": None})

    def after(_conn: Any, cursor: Any, *_args: Any) -> None:
        statements[-1]["rows"] = cursor.rowcount

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def _user(token: str) -> User:
    return db.session.execute(select(User).where(User.token_hash == hash_token(token))).scalar_one()


def explain_list(app: Flask, token: str, page: int, state: str | None = "active") -> dict[str, Any]:
    """EXPLAIN ANALYZE the exact main statement ``list_visible`` runs."""
    with app.app_context():
        user = _user(token)
        role = user.role
        with captured(db.engine) as statements:
            list_visible(db.session, user, AgreementFilter(state=state), PageRequest(page))
        main = statements[0]
        # The driver-level SQL and parameters, exactly as the app sent them.
        plan = (
            db.session.connection()
            .exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + main["sql"], main["params"])
            .scalars()
        )
        lines = list(plan)
        db.session.rollback()
    joined = "\n".join(lines)
    return {
        "role": role,
        "page": page,
        "sql": main["sql"],
        "params": {key: str(value) for key, value in main["params"].items()},
        "plan": joined,
        "uses_index": "Index" in joined and "Seq Scan on agreements" not in joined,
        "follow_up_statements": [s["rows"] for s in statements[1:]],
    }


def request_accounting(app: Flask, token: str, requests: dict[str, tuple[str, str]]) -> dict:
    """Statements and rows per API request (method, path); a transition body is
    sent for POSTs."""
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    out = {}
    for name, (method, path) in requests.items():
        body = {"trigger": "submit", "comment": "bench"} if method == "POST" else None
        with app.app_context(), captured(db.engine) as statements:
            response = client.open(path, method=method, headers=headers, json=body)
        rows = [s["rows"] for s in statements if s["sql"].lstrip().upper().startswith("SELECT")]
        out[name] = {
            "status": response.status_code,
            "statements": len(statements),
            "select_rows_total": sum(r for r in rows if r and r > 0),
            "select_rows_max": max((r for r in rows if r is not None), default=0),
        }
    return out


def verify(app: Flask) -> dict[str, Any]:
    with app.app_context():
        started = time.perf_counter()
        report = verify_chain(db.session).as_dict()
        report["seconds"] = round(time.perf_counter() - started, 1)
        db.session.rollback()
    return report
