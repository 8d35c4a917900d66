"""Seed a dedicated PostgreSQL database for the API benchmark.

100,000 agreements (with parties, data assets, signatures and a realistic
state mix) and 10 audit events each. Going through the HTTP API would take
hours, so those rows are bulk-loaded with COPY (see ``bench.api_rows``); the
audit events still form one valid hash chain, hashed by the application's
own ``event_hash``. The few dozen organisations, users and cooperations are
made with the ORM and ``create_user``, and the schema by the migrations.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import psycopg
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bench import api_rows
from omd_gov import create_app
from omd_gov.audit.models import AuditChainHead, AuditEvent
from omd_gov.audit.services import catch_up_tree
from omd_gov.auth.actors import Actor
from omd_gov.cooperations.canvas import SECTION_KEYS
from omd_gov.cooperations.models import Cooperation
from omd_gov.db import db, transaction
from omd_gov.migrate import upgrade
from omd_gov.organizations.models import Organization
from omd_gov.users.services import create_user

N_PARTNERS, N_COOPERATIONS = 49, 25
BULK_TABLES = (
    ("agreements", api_rows.AGREEMENT_COLUMNS, "agreement_rows"),
    ("agreement_parties", api_rows.PARTY_COLUMNS, "party_rows"),
    ("agreement_data_assets", api_rows.ASSET_COLUMNS, "asset_rows"),
    ("agreement_signatures", api_rows.SIGNATURE_COLUMNS, "signature_rows"),
)


@dataclass
class Fixture:
    """What the benchmark needs to drive the seeded database."""

    url: str
    agreements: int
    tokens: dict[str, str] = field(default_factory=dict)
    partner_organization_id: int = 0
    seconds: float = 0.0
    tree_seconds: float = 0.0  # of ``seconds``: building the Merkle tree over the events


def psycopg_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _admin(url: str) -> tuple[str, str]:
    target = make_url(url)
    admin = target.set(database="postgres").render_as_string(hide_password=False)
    return psycopg_url(admin), str(target.database)


def recreate_database(url: str, *, drop_only: bool = False) -> None:
    """Drop the benchmark database (and create it again unless ``drop_only``)."""
    admin, name = _admin(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def database_exists(url: str) -> bool:
    admin, name = _admin(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return row is not None


def _users(fixture: Fixture, orgs: list[Organization]) -> tuple[dict[str, Any], dict[int, Any]]:
    """Office users and one signatory per organisation; keeps their tokens."""
    system, users, signatories = Actor.system("cli"), {}, {}
    for key, org_id in (
        ("data_officer", orgs[0].id),
        ("legal_officer", orgs[0].id),
        ("auditor", None),
    ):
        name = key.replace("_", " ").title()
        users[key], fixture.tokens[key] = create_user(
            db.session,
            system,
            email=f"{key}@bench.test",
            name=name,
            role=key,
            organization_id=org_id,
        )
    for org in orgs:
        signatories[org.id], token = create_user(
            db.session,
            system,
            email=f"sign{org.id}@bench.test",
            name=f"Signatory {org.id}",
            role="signatory",
            organization_id=org.id,
        )
        if org is orgs[1]:
            fixture.tokens["signatory"], fixture.partner_organization_id = token, org.id
    return users, signatories


def _cooperations(orgs: list[Organization], owner_id: int) -> list[Cooperation]:
    canvas = {key: f"Agreed text for {key.replace('_', ' ')}." for key in SECTION_KEYS}
    coops = [
        Cooperation(
            title=f"Cooperation {n + 1}: {api_rows.TOPICS[n % len(api_rows.TOPICS)]}",
            stage="implementation",
            canvas=canvas,
            mims=["MIM1", "MIM2"],
            owner_id=owner_id,
            organizations=[orgs[0]] + [orgs[1 + (3 * n + k) % N_PARTNERS] for k in range(3)],
        )
        for n in range(N_COOPERATIONS)
    ]
    db.session.add_all(coops)
    return coops


def _reference_data(fixture: Fixture) -> dict[str, Any]:
    """Organisations, users (with tokens) and cooperations with a complete canvas.
    Returns plain values: the rows expire when the transaction commits."""
    with transaction(db.session):
        orgs = [
            Organization(
                name="Câmara Municipal do Porto",
                kind="municipality",
                country="PT",
                tax_id="501306099",
            )
        ]
        orgs += [
            Organization(name=f"Partner {n:02d}", kind="company", country="PT", tax_id=f"5{n:08d}")
            for n in range(1, N_PARTNERS + 1)
        ]
        db.session.add_all(orgs)
        db.session.flush()
        users, signatories = _users(fixture, orgs)
        coops = _cooperations(orgs, users["data_officer"].id)
        db.session.flush()
        return {
            "users": {key: _plain(user) for key, user in users.items()},
            "signatories": {org_id: _plain(user) for org_id, user in signatories.items()},
            "coops": [(c.id, [o.id for o in c.organizations]) for c in coops],
        }


def _plain(user: Any) -> SimpleNamespace:
    return SimpleNamespace(id=user.id, label=user.label, role=user.role)


def _chain_tip() -> tuple[int, str, int]:
    """(seq, hash) of the chain's last event, and the next free event id."""
    head = db.session.get(AuditChainHead, 1)
    assert head is not None, "creating the users must have started the chain"
    next_id = (db.session.execute(select(func.max(AuditEvent.id))).scalar() or 0) + 1
    return head.seq, head.hash, next_id


def _copy(conn: psycopg.Connection[Any], table: str, columns: Iterable[str], rows: Any) -> None:
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)


def _bulk_load(url: str, plan: api_rows.Plan, tip: tuple[int, str, int]) -> None:
    with psycopg.connect(psycopg_url(url)) as conn:
        conn.execute("SET synchronous_commit = off")
        for table, columns, rows in BULK_TABLES:
            _copy(conn, table, columns, getattr(plan, rows)())
        _copy(conn, "audit_events", api_rows.EVENT_COLUMNS, plan.event_rows(*tip))
        conn.execute(
            "UPDATE audit_chain_head SET seq = %s, hash = %s WHERE id = 1",
            (plan.last_seq, plan.last_hash),
        )
        for table, _columns, _rows in (*BULK_TABLES, ("audit_events", (), "")):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
    with psycopg.connect(psycopg_url(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")  # what autovacuum does on a live system


def _build_tree(app: Flask, url: str) -> float:
    """The Merkle tree over the bulk-loaded events, as ``omd-gov init`` builds
    it: COPY bypassed ``chain.record``, so without this the first event
    appended (inside a request) would add every seeded leaf. Returns seconds."""
    started = time.monotonic()
    with app.app_context():
        catch_up_tree(db.session)
        db.engine.dispose()
    with psycopg.connect(psycopg_url(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE audit_tree_nodes")
    return time.monotonic() - started


def seed(url: str, agreements: int = 100_000, events_per: int = 10, rng_seed: int = 7) -> Fixture:
    """Migrate ``url`` (an empty database) and fill it."""
    started = time.monotonic()
    fixture = Fixture(url=url, agreements=agreements)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-seed"})
    upgrade(app)
    with app.app_context():
        ref = _reference_data(fixture)
        tip = _chain_tip()
        db.engine.dispose()
    _bulk_load(url, api_rows.Plan(ref, agreements, events_per, random.Random(rng_seed)), tip)
    fixture.tree_seconds = _build_tree(app, url)
    fixture.seconds = time.monotonic() - started
    return fixture
