"""Sweep benchmark (issue 4): the cost of the reminder sweep on PostgreSQL with
10,000, 100,000 and 1,000,000 deadlines, of which 100 reminders are due.

In each stage it measures, in interleaved rounds (median of each):
- the BASELINE: the bare indexed SQL query for due reminders, on an open
  psycopg connection (the cheapest possible way to ask the question);
- the SWEEP's database part, ``omd_gov.deadlines.sweep.collect`` (session,
  pooled connection, due reminders and unfinished deliveries, end of read);
- the whole sweep, publishing one task per due reminder to Redis;
and prints the sweep's ``EXPLAIN (ANALYZE, BUFFERS)``. It ends with 1,000
due at 1M, to show that the cost follows the due rows, not the table.

    .venv/bin/python -m bench.sweep_bench            # about 3 minutes
    .venv/bin/python -m bench.sweep_bench --smoke    # a few seconds: does it still run?
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import psycopg as postgresql_psycopg

from bench import common
from bench.api_seed import psycopg_url, recreate_database
from bench.common import drop_queue, migrated_app_on_redis
from omd_gov.db import db, utcnow
from omd_gov.deadlines.sweep import OWED, SCHEDULED, collect, sweep

SMOKE = {"database": "omd_smoke_sweep", "sizes": "1000,3000", "rounds": 1, "calls": 2}
BARE = (
    f"SELECT id FROM reminders WHERE {SCHEDULED} AND scheduled_for <= %(now)s "
    "ORDER BY scheduled_for LIMIT %(limit)s"
)
KINDS = "ARRAY['legal_review','changes','signature','publication','expiry','periodic_review']"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/")
    parser.add_argument("--database", default="omd_bench_sweep")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=40, help="calls per target and round")
    parser.add_argument("--keep", action="store_true")
    return common.parse_args(parser, argv, SMOKE)


def _grow(conn: psycopg.Connection[Any], low: int, high: int) -> None:
    """Deadlines ``low..high``: 20 % open with future reminders, the rest
    closed with their reminders claimed or cancelled; half of the claimed
    ones left a sent delivery behind."""
    conn.execute(
        f"""INSERT INTO deadlines (id, agreement_id, kind, assignee_role, starts_on, due_on,
               status, close_reason, closed_at, revision, opened_at, created_at)
        SELECT g, (SELECT min(id) FROM agreements) + mod(g, 1000), ({KINDS})[1 + mod(g, 6)],
               'legal_officer', date '2025-01-01' + mod(g, 700), date '2025-01-15' + mod(g, 700),
               CASE WHEN mod(g, 5) = 0 THEN 'open' ELSE 'closed' END,
               CASE WHEN mod(g, 5) = 0 THEN NULL ELSE 'approve' END,
               CASE WHEN mod(g, 5) = 0 THEN NULL ELSE now() END, 1, now(), now()
        FROM generate_series(%(low)s::int, %(high)s::int) AS g""",
        {"low": low, "high": high},
    )
    conn.execute(
        """INSERT INTO reminders (deadline_id, kind, step, scheduled_for, status, created_at)
        SELECT d.id, 'reminder', 'before' || k || '.r1',
               now() + (1 + mod(d.id, 300)) * interval '1 day' - k * interval '1 day',
               CASE WHEN d.status = 'open' THEN 'scheduled'
                    WHEN mod(k, 2) = 0 THEN 'claimed' ELSE 'cancelled' END, now()
        FROM deadlines d CROSS JOIN generate_series(0, 3) AS k
        WHERE d.id BETWEEN %(low)s::int AND %(high)s::int""",
        {"low": low, "high": high},
    )
    conn.execute(
        """INSERT INTO deliveries (channel, dedupe_key, payload, status, attempts, rounds,
               created_at, sent_at)
        SELECT 'email', 'bench:' || g, '{}', 'sent', 1, 0, now(), now()
        FROM generate_series(%(low)s::int, %(high)s::int, 2) AS g""",
        {"low": low, "high": high},
    )


def _make_due(conn: psycopg.Connection[Any], due: int) -> None:
    """Exactly ``due`` reminders are due (scheduled in the past)."""
    conn.execute(
        "UPDATE reminders SET scheduled_for = now() + interval '1 day' "
        f"WHERE {SCHEDULED} AND scheduled_for <= now()"
    )
    conn.execute(
        f"""UPDATE reminders SET scheduled_for = now() - interval '1 hour'
        WHERE id IN (SELECT id FROM reminders WHERE {SCHEDULED} ORDER BY id LIMIT %(due)s)""",
        {"due": due},
    )
    conn.execute("VACUUM ANALYZE deadlines")
    conn.execute("VACUUM ANALYZE reminders")
    conn.execute("VACUUM ANALYZE deliveries")


def _median_ms(fn: Callable[[], Any], calls: int) -> float:
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def _measure(app: Any, conn: psycopg.Connection[Any], args: argparse.Namespace) -> dict[str, Any]:
    now = utcnow()
    params = {"now": now, "limit": 1000}
    same_sql = text(BARE.replace("%(now)s", ":now").replace("%(limit)s", ":limit"))
    rounds: dict[str, list[float]] = {"bare": [], "bare_sa": [], "collect": [], "sweep_redis": []}
    with app.app_context():
        assert len(collect(db.session, now, 1000).reminders) == _due_count(conn)
        pooled = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        targets: dict[str, tuple[Callable[[], Any], int]] = {
            "bare": (lambda: conn.execute(BARE, params).fetchall(), args.calls),
            "bare_sa": (lambda: pooled.execute(same_sql, params).all(), args.calls),
            "collect": (lambda: collect(db.session, now, 1000), args.calls),
            "sweep_redis": (lambda: sweep(db.session, app.config), max(3, args.calls // 8)),
        }
        for _ in range(args.rounds):  # interleaved, so load from elsewhere hits all alike
            for name, (target, calls) in targets.items():
                rounds[name].append(_median_ms(target, calls))
        plan = _explain(conn, now)
        pooled.close()
    out: dict[str, Any] = {key: statistics.median(values) for key, values in rounds.items()}
    out["ratio_collect_vs_bare"] = out["collect"] / out["bare"]
    out["ratio_collect_vs_bare_sa"] = out["collect"] / out["bare_sa"]
    out["explain"] = plan
    return out


def _due_count(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute(
        f"SELECT count(*) FROM reminders WHERE {SCHEDULED} AND scheduled_for <= now()"
    ).fetchone()
    return int(row[0]) if row else 0


def _explain(conn: psycopg.Connection[Any], now: Any) -> str:
    """The plan of the sweep's own statement (due reminders UNION ALL unfinished deliveries)."""
    sql = str(OWED.compile(dialect=postgresql_psycopg.dialect()))
    rows = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, {"now": now, "limit": 1000})
    return "\n".join(row[0] for row in rows.fetchall())


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    url = args.server.rstrip("/") + "/" + args.database
    recreate_database(url)
    app, queue = migrated_app_on_redis(url, args.redis)
    common.reference_rows(app, 1000)
    results: list[dict[str, Any]] = []
    sizes = [int(size) for size in args.sizes.split(",")]
    try:
        with psycopg.connect(psycopg_url(url), autocommit=True) as conn:
            stages = [(size, 100) for size in sizes] + [(sizes[-1], 1000)]
            grown = 0
            for size, due in stages:
                started = time.perf_counter()
                if size > grown:
                    _grow(conn, grown + 1, size)
                    grown = size
                _make_due(conn, due)
                seeded = time.perf_counter() - started
                figures = _measure(app, conn, args) | {"deadlines": size, "due": due}
                figures["seed_seconds"] = seeded
                results.append(figures)
                print(_line(figures), flush=True)
        _report(results, common.results_dir(args))
    finally:
        drop_queue(args.redis, queue)
        if not args.keep:
            with app.app_context():
                db.engine.dispose()
            recreate_database(url, drop_only=True)


def _line(f: dict[str, Any]) -> str:
    return (
        f"{f['deadlines']:>9,} deadlines, {f['due']:>5} due: bare {f['bare']:.3f} ms, "
        f"via SQLAlchemy {f['bare_sa']:.3f} ms, sweep (DB) {f['collect']:.3f} ms = "
        f"{f['ratio_collect_vs_bare']:.2f}x / {f['ratio_collect_vs_bare_sa']:.2f}x, "
        f"sweep + publish to Redis {f['sweep_redis']:.1f} ms"
    )


def _report(results: list[dict[str, Any]], directory: Path) -> None:
    (directory / "sweep_bench.json").write_text(json.dumps(results, indent=2, default=str))
    print("\n| deadlines | due | bare query, psycopg (ms) | same, via SQLAlchemy (ms) |", end="")
    print(" sweep, DB part (ms) | ratio | ratio (SQLAlchemy) | sweep + publish to Redis (ms) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for f in results:
        print(
            f"| {f['deadlines']:,} | {f['due']} | {f['bare']:.3f} | {f['bare_sa']:.3f} | "
            f"{f['collect']:.3f} | {f['ratio_collect_vs_bare']:.2f}x | "
            f"{f['ratio_collect_vs_bare_sa']:.2f}x | {f['sweep_redis']:.1f} |"
        )
    print("\nEXPLAIN (ANALYZE, BUFFERS) of the sweep's statement, largest size, 100 due:\n")
    print(next(f for f in reversed(results) if f["due"] == 100)["explain"])


if __name__ == "__main__":
    main()
