"""Cursor (keyset) pages next to page numbers: the same rows in the same
order, each once even while rows are added, a forged cursor refused, and the
cursor query served by an index with no OFFSET."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import event, text

from omd_gov.agreements.queries import AgreementFilter, list_visible
from omd_gov.db import PageRequest, db
from omd_gov.notifications.models import Notification
from tests.integration.problems import assert_problem


def _walk(get: Callable[[str], Any], first: str) -> list[dict[str, Any]]:
    """Every page from ``first`` on, following next_cursor; the items in order."""
    items, url = [], first
    for _ in range(100):
        body = get(url).json
        items += body["items"]
        assert body["has_next"] == (body["next_cursor"] is not None)
        if body["next_cursor"] is None:
            return items
        url = f"{first}&cursor={body['next_cursor']}"
    raise AssertionError("the walk did not end")


def _by_number(get: Callable[[str], Any], first: str) -> list[dict[str, Any]]:
    items, page = [], 1
    while True:
        body = get(f"{first}&page={page}").json
        items += body["items"]
        if not body["has_next"]:
            return items
        page += 1


def test_agreements_by_cursor_and_by_number_are_the_same_walk(world):
    for n in range(7):
        world.create_agreement(title=f"Agreement {n}")
    get = world.api.as_(world.legal).get
    by_cursor = _walk(get, "/api/v1/agreements?per_page=2")
    assert [a["id"] for a in by_cursor] == [
        a["id"] for a in _by_number(get, "/api/v1/agreements?per_page=2")
    ]
    assert len({a["id"] for a in by_cursor}) == 7
    # A partner's walk sees only their agreements, the same way.
    partner = _walk(world.api.as_(world.sign_partner).get, "/api/v1/agreements?per_page=3")
    assert [a["id"] for a in partner] == [a["id"] for a in by_cursor]
    outsider = world.api.as_(world.sign_outsider).get("/api/v1/agreements?per_page=3").json
    assert outsider["items"] == [] and outsider["next_cursor"] is None


def test_rows_added_during_a_walk_never_repeat_one(world):
    for n in range(6):
        world.create_agreement(title=f"Before {n}")
    get = world.api.as_(world.legal).get
    first = get("/api/v1/agreements?per_page=2").json
    seen, cursor = [a["id"] for a in first["items"]], first["next_cursor"]
    while cursor:
        world.create_agreement(title="Added meanwhile")  # newer: before the cursor
        body = get(f"/api/v1/agreements?per_page=2&cursor={cursor}").json
        seen += [a["id"] for a in body["items"]]
        cursor = body["next_cursor"]
    assert len(seen) == len(set(seen)) == 6
    assert seen == sorted(seen, reverse=True)
    # Page numbers shift under the same inserts: a row comes twice.
    page_one = [a["id"] for a in get("/api/v1/agreements?per_page=2").json["items"]]
    world.create_agreement(title="One more")
    page_two = [a["id"] for a in get("/api/v1/agreements?per_page=2&page=2").json["items"]]
    assert page_one[-1] in page_two


def test_deadlines_walk_in_due_order_across_equal_due_dates(world):
    for n in range(5):  # five legal reviews, all due the same day: the id breaks ties
        world.fire(world.create_agreement(title=f"Due {n}")["id"], world.data_officer, "submit")
    get = world.api.as_(world.legal).get
    by_cursor = _walk(get, "/api/v1/deadlines?per_page=2")
    assert len(by_cursor) == 5
    assert by_cursor == _by_number(get, "/api/v1/deadlines?per_page=2")
    keys = [(d["due_on"], d["id"]) for d in by_cursor]
    assert keys == sorted(keys)


def test_notifications_walk_newest_first(app, world):
    with app.app_context():
        db.session.add_all(
            Notification(user_id=world.legal.user_id, topic="test", language="en",
                         subject=f"Note {n}", body="", read_at=None)
            for n in range(5)
        )  # fmt: skip
        db.session.commit()
    get = world.api.as_(world.legal).get
    by_cursor = _walk(get, "/api/v1/notifications?per_page=2")
    assert [n["subject"] for n in by_cursor] == [f"Note {n}" for n in range(4, -1, -1)]
    assert by_cursor == _by_number(get, "/api/v1/notifications?per_page=2")


def test_a_malformed_or_altered_cursor_is_a_422_problem(app, world):
    for n in range(2):
        world.fire(world.create_agreement(title=f"A {n}")["id"], world.data_officer, "submit")
    get = world.api.as_(world.legal).get
    real = get("/api/v1/agreements?per_page=1").json["next_cursor"]
    payload, _, signature = real.partition(".")
    forged = [
        "not-a-cursor",
        "",
        "%00",
        payload,  # unsigned
        f"{payload[:-2]}{'AB' if payload[-2:] != 'AB' else 'CD'}.{signature}",  # altered
        _signed_elsewhere(app, real),  # same content, another key
        get("/api/v1/deadlines?per_page=1").json["next_cursor"],  # another list's
        "x" * 600,
    ]
    for cursor in forged:
        response = get(f"/api/v1/agreements?cursor={cursor}")
        assert_problem(response, 422)
        assert response.json["errors"][0]["field"] == "cursor", (cursor, response.json)
    assert get(f"/api/v1/agreements?cursor={real}").status_code == 200


def _signed_elsewhere(app: Any, cursor: str) -> str:
    """The same content signed with another secret."""
    content = URLSafeSerializer(app.config["SECRET_KEY"], salt="omd-gov.page-cursor").loads(cursor)
    return URLSafeSerializer("not-our-secret", salt="omd-gov.page-cursor").dumps(content)


def test_a_cursor_and_a_page_number_together_are_a_422(world):
    for n in range(2):
        world.create_agreement(title=f"A {n}")
    get = world.api.as_(world.legal).get
    cursor = get("/api/v1/agreements?per_page=1").json["next_cursor"]
    assert_problem(get(f"/api/v1/agreements?cursor={cursor}&page=2"), 422)
    assert get(f"/api/v1/agreements?cursor={cursor}&page=1").status_code == 200


@pytest.mark.parametrize("state", [None, "draft"])
def test_the_cursor_query_reads_an_index_range_without_offset(app, world, factory, state):
    for n in range(4):
        world.create_agreement(title=f"A {n}")
    user = factory.get_user(world.legal)
    flt = AgreementFilter(state=state)
    first = list_visible(db.session, user, flt, PageRequest(per_page=2))
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, sql: str, params: Any, *_args: Any) -> None:
        statements.append((sql, params))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        page = list_visible(
            db.session, user, flt, PageRequest(per_page=2, cursor=first.next_cursor)
        )
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    assert [a.id for a in page.items] and first.items[-1].id > page.items[0].id
    sql, params = statements[0]  # the page of ids, then the parties
    assert "LIMIT" in sql.upper()
    if "OFFSET" in sql.upper():  # SQLite's dialect always writes one: it must skip nothing
        assert not _postgres() and params[-1] == 0, (sql, params)
    plan = _plan(sql, params)
    assert "agreements" in plan and "SCAN agreements" not in plan, plan
    assert "Seq Scan on agreements" not in plan, plan
    index = (
        "ix_agreements_state_id" if state else ("pk_agreements" if _postgres() else "PRIMARY KEY")
    )
    assert index in plan, plan
    assert ("id < " if _postgres() else "id<?") in plan.replace("rowid<?", "id<?"), plan


def _postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def _plan(sql: str, params: Any) -> str:
    """The database's plan for the statement: on PostgreSQL with sequential
    scans priced out (a handful of test rows would make any scan cheapest),
    so the plan shows which index can serve the query."""
    connection = db.session.connection()
    if _postgres():
        connection.execute(text("SET LOCAL enable_seqscan = off"))
        rows = connection.exec_driver_sql("EXPLAIN " + sql, params).scalars()
        return "\n".join(rows)
    rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).all()
    return "\n".join(str(row[-1]) for row in rows)
