"""Analytics page benchmark (issue 7) on PostgreSQL: ~1,000,000 audit events.

Seeds a database of its own (the schema by the migrations; organisations,
users and cooperations by ``bench.api_seed``'s reference data; the bulk rows
with COPY): ``--agreements`` agreements with realistic histories over three
years, interleaved in time as a live register's are — drafts edited, review
rounds (a third of reviews ask for changes), signatures per signing party,
withdrawals, activations, terminations — with their ``deadlines`` events and
deadline rows. Durations are drawn per state, slower for some partners. The
events' hashes are placeholders: this benchmark only reads the trail.

Then, in interleaved rounds (so load from elsewhere hits all alike), times:

- the baseline, ``SELECT count(*) FROM audit_events`` (one pass over the table);
- ``web.analytics.figures`` (the page's three query functions, all its SQL,
  over ``agreement_stays``: filled here by ``omd-gov init``'s catch-up from the
  COPYed trail, timed too);
- ``GET /analytics`` and ``GET /analytics.csv`` (the whole request, rendered),
  signed in as a legal officer, through the Flask test client,

over the whole three years (every stay) and over the default period (the last
year). Target: the page's p95 ≤ 2 s. Writes ``bench/results/analytics.json``
and ``analytics.md``; exits non-zero only when the run is invalid.

    .venv/bin/python -m bench.analytics_bench            # about 2 minutes
    .venv/bin/python -m bench.analytics_bench --smoke    # a few seconds
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy import text

from bench import common
from bench.api_seed import Fixture, _reference_data, psycopg_url, recreate_database
from omd_gov import create_app
from omd_gov.agreements.stays.services import catch_up_stays
from omd_gov.auth.models import User
from omd_gov.auth.passwords import session_fingerprint
from omd_gov.db import db
from omd_gov.migrate import upgrade
from omd_gov.web.analytics import figures

SMOKE = {"database": "omd_smoke_analytics", "agreements": 300, "rounds": 2}
TARGET_SECONDS = 2.0
MODELS = (("B2G", 50), ("G2B", 20), ("G2G", 15), ("B2B", 15))
# Median days per state (log-normal spread); partners multiply them by 0.6..2.
MEDIAN_DAYS = {"draft": 6.0, "legal_review": 7.0, "changes_requested": 5.0, "approved": 2.0,
               "sign": 3.0, "active": 400.0}  # fmt: skip
EVENT_COLUMNS = ("id", "seq", "occurred_at", "actor_label", "acting_role", "source",
                 "entity_type", "entity_id", "agreement_id", "action", "from_state", "to_state",
                 "changes", "comment", "prev_hash", "hash")  # fmt: skip
DEADLINE_COLUMNS = ("id", "agreement_id", "kind", "assignee_role", "starts_on", "due_on",
                    "status", "close_reason", "closed_at", "revision", "opened_at",
                    "created_at")  # fmt: skip
OPENS = {"legal_review": ("legal_review", 10), "changes_requested": ("changes", 10),
         "active": ("publication", 10)}  # fmt: skip


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/")
    add("--database", default="omd_bench_analytics")
    add("--agreements", type=int, default=100_000, help="about 10 audit events each")
    add("--rounds", type=int, default=10, help="interleaved timing rounds")
    add("--keep", action="store_true", help="keep the database afterwards")
    return common.parse_args(parser, argv, SMOKE)


class History:
    """One agreement's events and deadline rows, drawn step by step until the
    next step would be after ``now`` (then it stays where it is)."""

    def __init__(self, rng: random.Random, now: float, start: float, slow: float):
        self.rng, self.now, self.t, self.slow = rng, now, start, slow
        self.events: list[tuple[float, str, str | None, str | None]] = []
        self.deadlines: list[tuple[str, float, float, float | None, str | None]] = []
        self.state: str | None = None

    def wait(self, what: str) -> bool:
        days = MEDIAN_DAYS[what] * self.slow * self.rng.lognormvariate(0, 0.8)
        self.t += days * 86400
        return self.t < self.now

    def move(self, action: str, to: str) -> None:
        self._close(action)
        self.events.append((self.t, action, self.state, to))
        self.state = to
        if to in OPENS:
            kind, days = OPENS[to]
            self.deadlines.append((kind, self.t, self.t + days * 86400, None, None))
            self.events.append((self.t, "deadlines", None, None))

    def _close(self, action: str) -> None:
        if (
            self.deadlines
            and self.deadlines[-1][3] is None
            and self.deadlines[-1][0] != "publication"
        ):
            kind, opened, due, _c, _r = self.deadlines[-1]
            self.deadlines[-1] = (kind, opened, due, self.t, action)

    def edits(self) -> None:
        for _ in range(self.rng.randint(0, 2)):
            self.events.append((self.t + self.rng.random() * 3600, "edit", self.state, self.state))


def _reviewed(h: History) -> bool:
    """Review rounds: a third ask for changes (at most four rounds)."""
    for _round in range(4):
        h.move("submit", "legal_review")
        if not h.wait("legal_review"):
            return False
        if h.rng.random() > 0.33:
            return True
        h.move("request_changes", "changes_requested")
        if not h.wait("changes_requested"):
            return False
        h.edits()
    return True


def history(rng: random.Random, now: float, start: float, slow: float, signers: int) -> History:
    h = History(rng, now, start, slow)
    h.move("create", "draft")
    h.edits()
    if not h.wait("draft"):
        return h
    if rng.random() < 0.06:
        h.move("withdraw", "withdrawn")
        return h
    if not _reviewed(h):
        return h
    h.move("approve", "approved")
    if not h.wait("approved"):
        return h
    h.move("send_for_signature", "signing")
    for n in range(signers):
        if not h.wait("sign"):
            return h
        h.move("sign", "active" if n == signers - 1 else "signing")
    if h.wait("active"):
        h.move(*rng.choice((("expire", "expired"), ("terminate", "terminated"))))
    return h


def seed(args: argparse.Namespace, url: str) -> dict[str, Any]:
    started = time.monotonic()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-seed"})
    upgrade(app)
    with app.app_context():
        ref = _reference_data(Fixture(url=url, agreements=args.agreements))
        db.engine.dispose()
    rng = random.Random(11)
    now = datetime.now(UTC).timestamp()
    span = 3 * 365 * 86400
    partners = [org for _coop, members in ref["coops"] for org in members[1:]]
    slow = {org: rng.uniform(0.6, 2.0) for org in partners}
    agreements, parties, events, deadlines = [], [], [], []
    for n in range(1, args.agreements + 1):
        mine = rng.sample(sorted(set(partners)), rng.choice((1, 1, 2)))
        h = history(rng, now, now - rng.random() * span, max(slow[o] for o in mine), 1 + len(mine))
        agreements.append((n, rng.choices([m for m, _ in MODELS], [w for _, w in MODELS])[0],
                           h.state, h.events[0][0]))  # fmt: skip
        parties += [(n, org) for org in [ref["coops"][0][1][0], *mine]]
        events += [(t, n, *rest) for t, *rest in h.events]
        deadlines += [(n, *row) for row in h.deadlines]
    events.sort()
    load = time.monotonic()
    _copy_all(url, ref, agreements, parties, events, deadlines, now)
    backfill = time.monotonic()
    with app.app_context():  # what omd-gov init does for a trail older than the stays
        stays = catch_up_stays(db.session)
        db.session.execute(text("ANALYZE agreement_stays"))  # as autovacuum would, soon
        db.session.commit()
    return {"events": len(events), "agreements": len(agreements), "deadlines": len(deadlines),
            "stays": stays, "seed_seconds": round(time.monotonic() - started, 1),
            "copy_seconds": round(backfill - load, 1),
            "catch_up_seconds": round(time.monotonic() - backfill, 1)}  # fmt: skip


def _ts(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _copy_all(url: str, ref: dict, agreements: list, parties: list, events: list,
              deadlines: list, now: float) -> None:  # fmt: skip
    owner, coop = ref["users"]["data_officer"].id, ref["coops"][0][0]
    with psycopg.connect(psycopg_url(url)) as conn:
        conn.execute("SET synchronous_commit = off")
        offset = conn.execute("SELECT coalesce(max(seq), 0), coalesce(max(id), 0) "
                              "FROM audit_events").fetchone()  # fmt: skip
        assert offset is not None
        _copy(conn, "agreements", ("id", "reference", "title", "purpose", "sharing_model", "state",
              "cooperation_id", "owner_id", "gdpr", "statutory_power", "security_measures",
              "renewal_terms", "review_interval_months", "closed_reason", "created_at",
              "updated_at", "version"), (
            (n, f"AN-{n:07d}", f"Agreement {n}", "bench", model, state, coop, owner, "{}", "",
             "", "", 12, "", _ts(t), _ts(t), 1) for n, model, state, t in agreements))  # fmt: skip
        _copy(conn, "agreement_parties", ("id", "agreement_id", "organization_id", "role", "signs"),
              ((k, n, org, "controller" if k == 0 else "processor", True)
               for k, (n, org) in enumerate(parties, 1)))  # fmt: skip
        _copy(conn, "audit_events", EVENT_COLUMNS, (
            (offset[1] + k, offset[0] + k, _ts(t), "bench", "data_officer", "api", "agreement", n,
             n, action, from_state, to_state, "{}", "", "0" * 64, "0" * 64)
            for k, (t, n, action, from_state, to_state) in enumerate(events, 1)))  # fmt: skip
        _copy(conn, "deadlines", DEADLINE_COLUMNS, _deadline_rows(deadlines, now))
        for table in ("agreements", "agreement_parties", "audit_events", "deadlines"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                         f"(SELECT max(id) FROM {table}))")  # fmt: skip
    with psycopg.connect(psycopg_url(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")  # what autovacuum does on a live system


def _deadline_rows(deadlines: list, now: float) -> Iterator[tuple[Any, ...]]:
    for k, (n, kind, opened, due, closed, reason) in enumerate(deadlines, 1):
        status = "closed" if closed is not None else "open"
        closed_at = _ts(closed) if closed is not None else None
        if kind == "publication" and opened + 20 * 86400 < now:  # published at some point
            status, closed_at, reason = (
                "closed",
                _ts(opened + random.random() * 20 * 86400),
                "completed",
            )
        yield (k, n, kind, "legal_officer", _ts(opened).date(), _ts(due).date(), status, reason,
               closed_at, 1, _ts(opened), _ts(opened))  # fmt: skip


def _copy(conn: psycopg.Connection[Any], table: str, columns: tuple[str, ...], rows: Any) -> None:
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)


def _timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def measure(args: argparse.Namespace, url: str) -> dict[str, Any]:
    """Every measure once per round, the order rotating; p50 and p95 of each."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    client = app.test_client()
    with app.app_context():
        officer = db.session.execute(
            db.select(User).where(User.role == "legal_officer")
        ).scalar_one()
        uid, fingerprint = officer.id, session_fingerprint(officer.password_hash)
    with client.session_transaction() as session:  # signed in, as the sign-in page would
        session["uid"], session["fp"] = uid, fingerprint
    today = date.today()
    first = today - timedelta(days=3 * 365 + 1)
    everything = f"from={first.isoformat()}&to={today.isoformat()}"

    def get(path: str) -> Callable[[], None]:
        def run() -> None:
            response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"{path}: HTTP {response.status_code}")

        return run

    def in_app(fn: Callable[[], Any]) -> Callable[[], None]:
        def run() -> None:
            with app.app_context():
                fn()
                db.session.rollback()

        return run

    measures: dict[str, Callable[[], None]] = {
        "count(*) audit_events": in_app(
            lambda: db.session.execute(text("SELECT count(*) FROM audit_events")).scalar()
        ),
        "figures(), three years": in_app(lambda: figures(officer_of(app, uid), first, today)),
        "GET /analytics, three years": get(f"/analytics?{everything}"),
        "GET /analytics.csv, three years": get(f"/analytics.csv?{everything}"),
        "GET /analytics (default: last year)": get("/analytics"),
    }
    names = list(measures)
    for name in names:  # warm-up, not recorded
        measures[name]()
    samples: dict[str, list[float]] = {name: [] for name in names}
    for n in range(args.rounds):
        for name in names[n % len(names) :] + names[: n % len(names)]:
            samples[name].append(_timed(measures[name]))
        print(f"round {n + 1}: " + ", ".join(
            f"{name} {samples[name][-1] * 1000:.0f} ms" for name in names), flush=True)  # fmt: skip
    base = samples[names[0]]
    out: dict[str, Any] = {}
    for name, values in samples.items():
        p50, p95 = common.percentile(values, 0.5), common.percentile(values, 0.95)
        out[name] = {"p50_ms": round(p50 * 1000, 1), "p95_ms": round(p95 * 1000, 1),
                     "p95_ratio": round(p95 / common.percentile(base, 0.95), 2)}  # fmt: skip
    return out


def officer_of(app: Any, uid: int) -> User:
    user = db.session.get(User, uid)
    assert user is not None
    return user


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.smoke:
        print("SMOKE RUN: tiny sizes; its figures mean nothing", flush=True)
    url = args.server.rstrip("/") + "/" + args.database
    started = time.monotonic()
    try:
        recreate_database(url)
        print(f"seeding {args.agreements:,} agreements into {url} ...", flush=True)
        seeded = seed(args, url)
        print(f"seeded {seeded['events']:,} events, {seeded['deadlines']:,} deadlines "
              f"in {seeded['seed_seconds']} s", flush=True)  # fmt: skip
        timings = measure(args, url)
    finally:
        if not args.keep:
            recreate_database(url, drop_only=True)
    page = timings["GET /analytics, three years"]
    result = {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": common.git_commit(),
        "smoke": args.smoke,
        "cpus": os.cpu_count(),
        "rounds": args.rounds,
        "seeded": seeded,
        "timings": timings,
        "met": page["p95_ms"] <= TARGET_SECONDS * 1000,
        "total_seconds": round(time.monotonic() - started),
    }
    directory = common.results_dir(args)
    (directory / "analytics.json").write_text(json.dumps(result, indent=2) + "\n")
    report = markdown(result)
    (directory / "analytics.md").write_text(report)
    print(report)
    return 0


def markdown(r: dict[str, Any]) -> str:
    s = r["seeded"]
    lines = [
        f"### Analytics benchmark — {r['when']} (`{r['commit']}`)"
        + (" — SMOKE RUN, figures mean nothing" if r["smoke"] else ""),
        "",
        f"{s['events']:,} audit events over {s['agreements']:,} agreements, "
        f"{s['deadlines']:,} deadlines (seeded in {s['seed_seconds']} s; the init catch-up "
        f"wrote {s['stays']:,} stays in {s['catch_up_seconds']} s); {r['cpus']} CPUs; "
        f"{r['rounds']} interleaved rounds; whole run {r['total_seconds']} s.",
        "",
        "| measure | p50 | p95 | p95 / baseline p95 |",
        "|---|---:|---:|---:|",
    ]
    for name, t in r["timings"].items():
        lines.append(f"| {name} | {t['p50_ms']} ms | {t['p95_ms']} ms | {t['p95_ratio']}× |")
    met = "yes" if r["met"] else "**no**"
    lines += ["", f"Target: the page over every stay, p95 ≤ {TARGET_SECONDS} s: {met}."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
