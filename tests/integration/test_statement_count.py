"""How many SQL statements a request sends to the database.

Counted: every statement the application hands to the driver's cursor
(SQLAlchemy's ``before_cursor_execute``, an ``executemany`` counting once),
for the whole request: authentication, the transition and the answer.
Transaction control is listed apart and not counted: PostgreSQL's driver
sends BEGIN and COMMIT itself (no cursor sees them), while on SQLite the
application issues ``BEGIN`` / ``BEGIN IMMEDIATE`` through a cursor
(``omd_gov.sqlite_tuning``), so counting them would compare the databases'
plumbing, not the work.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, inspect, select, update

from omd_gov.audit.chain import verify_chain
from omd_gov.audit.models import AuditEvent
from omd_gov.auth.models import User
from omd_gov.auth.tokens import hash_token
from omd_gov.db import db
from omd_gov.deadlines.models import Deadline, Reminder

SUBMIT_BUDGET = 12
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@contextmanager
def counted(app: Any) -> Iterator[dict[str, list[str]]]:
    seen: dict[str, list[str]] = {"statements": [], "transaction_control": []}

    def before(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        text = " ".join(sql.split())
        control = text.upper().startswith(TRANSACTION_CONTROL)
        seen["transaction_control" if control else "statements"].append(text)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _verb_and_table(statement: str) -> str:
    words = statement.replace('"', "").split()
    verb = words[0].upper()
    if verb == "SELECT":  # the first table read (inside a subquery, if any)
        tables = [after for word, after in zip(words, words[1:], strict=False) if word == "FROM"]
        return f"SELECT {next(t for t in tables if not t.startswith('('))}"
    if verb == "INSERT":
        return f"INSERT {words[2]}"
    return f"{verb} {words[1]}"


def test_a_submit_sends_at_most_twelve_statements_and_keeps_its_effects(app, world):
    agreement = world.create_agreement()
    with counted(app) as seen:
        response = world.fire(agreement["id"], world.data_officer, "submit")
    assert response.status_code == 200, response.json

    shape = [_verb_and_table(statement) for statement in seen["statements"]]
    listing = "\n".join(seen["statements"])
    assert len(shape) <= SUBMIT_BUDGET, f"{len(shape)} statements:\n{listing}"
    assert sorted(shape) == sorted(
        [
            "SELECT users",  # authentication: one indexed lookup
            "SELECT agreements",  # the row lock, with parties, assets, signatures, cooperation
            "UPDATE agreements",  # state, submitter, version check
            "UPDATE agreement_stays",  # the draft stay ends (the analytics' stays)
            "INSERT agreement_stays",  # the legal review stay begins
            "SELECT audit_chain_head",  # the chain's tip, locked
            "SELECT deadlines",  # with the policy and the municipal days
            "INSERT deadlines",
            "INSERT reminders",
            "UPDATE audit_chain_head",
            "INSERT audit_tree_nodes",
            "INSERT audit_events",  # both events of the transition, one statement
        ]
    ), listing
    (scheduling_read,) = [s for s in seen["statements"] if _verb_and_table(s) == "SELECT deadlines"]
    assert "deadline_policies" in scheduling_read and "municipal_holidays" in scheduling_read
    # Nothing was lost on the way: the answer, the deadline, the audit trail.
    body = response.json
    assert body["state"] == "legal_review"
    assert body["submitted_by_id"] == world.data_officer.user_id
    assert "approve" not in body["allowed_triggers"]  # read by a data officer
    assert [d["kind"] for d in body["deadlines"]] == ["legal_review"]
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.agreement_id == agreement["id"])
            .order_by(AuditEvent.seq)
        ).all()
        assert actions[-2:] == ["submit", "deadlines"]
        deadline = db.session.scalars(select(Deadline)).one()
        assert db.session.scalars(select(Reminder.deadline_id)).all()
        assert set(db.session.scalars(select(Reminder.deadline_id))) == {deadline.id}
        assert verify_chain(db.session).ok
        db.session.rollback()


def test_the_answer_after_a_transition_matches_a_fresh_read(world):
    """The transition's answer is built without reading again: it must be
    exactly what a GET returns afterwards."""
    agreement = world.create_agreement()
    fired = world.fire(agreement["id"], world.data_officer, "submit")
    read = world.api.as_(world.data_officer).get(f"/api/v1/agreements/{agreement['id']}")
    assert fired.status_code == read.status_code == 200
    assert fired.json == read.json
    assert fired.headers["ETag"] == read.headers["ETag"]


def test_a_refused_submit_writes_nothing(app, world):
    agreement = world.create_agreement(title=" ")
    with counted(app) as seen:
        response = world.fire(agreement["id"], world.data_officer, "submit")
    assert response.status_code == 422
    assert not [s for s in seen["statements"] if not s.upper().startswith("SELECT")]


def test_authentication_is_one_indexed_lookup(app, world):
    with app.app_context():
        indexes = inspect(db.engine).get_indexes("users")
        uniques = inspect(db.engine).get_unique_constraints("users")
    unique_columns = [i["column_names"] for i in indexes if i["unique"]]
    unique_columns += [u["column_names"] for u in uniques]
    assert ["token_hash"] in unique_columns
    with counted(app) as seen:
        response = world.api.as_(world.auditor).get("/api/v1/agreements")
    assert response.status_code == 200
    lookups = [s for s in seen["statements"] if _verb_and_table(s) == "SELECT users"]
    assert len(lookups) == 1 and "token_hash" in lookups[0]


def test_deactivating_or_rotating_a_token_takes_effect_at_once(app, world):
    """No cache: the next request already sees the change."""
    me = world.api.as_(world.legal)
    assert me.get("/api/v1/agreements").status_code == 200
    with app.app_context():
        db.session.execute(update(User).where(User.id == world.legal.user_id).values(active=False))
        db.session.commit()
    assert me.get("/api/v1/agreements").status_code == 401
    with app.app_context():
        db.session.execute(
            update(User)
            .where(User.id == world.legal.user_id)
            .values(active=True, token_hash=hash_token("rotated-token"))
        )
        db.session.commit()
    assert me.get("/api/v1/agreements").status_code == 401
    rotated = {"Authorization": "Bearer rotated-token"}
    assert world.api.get("/api/v1/agreements", headers=rotated).status_code == 200
