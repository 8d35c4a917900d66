"""Lean queries (issue 9) on PostgreSQL with 100,000 agreements, in process
(the Flask test client), each figure against a baseline of the same run:

1. **A submit**: SQL statements per request (counted on the cursor) and time,
   against a Flask hello-world through the same test client and a bare write
   transaction (lock an agreement row, update it, commit) on the same engine.
2. **Deep pages**: ``GET /api/v1/agreements`` page 1, and the last page by
   page number and by cursor, all agreements and ``state=active``; time
   against page 1, and the index entries the id query reads (``EXPLAIN
   ANALYZE``), which is what the cursor saves.

    .venv/bin/python -m bench.lean_bench                  # about 6 minutes (seeding)
    .venv/bin/python -m bench.lean_bench --part transition --label before

``--part transition`` runs on a tree without cursor pages too, which is how
the "before" figures were taken (the file copied into a worktree of the
older commit). ``--smoke``: 200 agreements in ``omd_smoke_lean``, a few
requests.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import psycopg
from flask import Flask
from sqlalchemy import event, text

from bench import common
from bench.api_checks import captured
from bench.api_seed import Fixture, psycopg_url, recreate_database, seed
from bench.hello_app import create_hello_app
from omd_gov import create_app
from omd_gov.auth.security import _verify
from omd_gov.db import db

SMOKE = {"database": "omd_smoke_lean", "agreements": 200, "rounds": 2, "requests": 3}
CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Lean queries: a submit, and deep list pages")
    add = parser.add_argument
    add("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/")
    add("--database", default="omd_bench_lean")
    add("--agreements", type=int, default=100_000)
    add("--events-per", type=int, default=10)
    add("--rounds", type=int, default=5, help="interleaved rounds")
    add("--requests", type=int, default=20, help="requests per kind and round")
    add("--part", choices=("all", "transition", "list"), default="all")
    add("--label", default="", help="names the result files (e.g. 'before')")
    return common.parse_args(parser, argv, SMOKE)


def timed(send: Callable[[], Any], n: int, into: list[float]) -> None:
    for _ in range(n):
        started = time.perf_counter()
        send()
        into.append(time.perf_counter() - started)


def figures(samples: list[float], base: list[float] | None = None) -> dict[str, float]:
    out = {
        "p50_ms": round(common.percentile(samples, 0.5) * 1000, 3),
        "p95_ms": round(common.percentile(samples, 0.95) * 1000, 3),
        "count": len(samples),
    }
    if base:
        out["p50_ratio"] = round(out["p50_ms"] / (common.percentile(base, 0.5) * 1000), 2)
        out["p95_ratio"] = round(out["p95_ms"] / (common.percentile(base, 0.95) * 1000), 2)
    return out


class Counter:
    """Statements sent while ``on``, transaction control left out (as in
    tests/integration/test_statement_count.py)."""

    def __init__(self) -> None:
        self.on, self.sent = False, []  # type: bool, list[str]

    def __call__(self, _conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if self.on and not sql.lstrip().upper().startswith(CONTROL):
            self.sent.append(" ".join(sql.split())[:90])


@contextmanager
def listening(app: Flask, counter: Counter) -> Iterator[Counter]:
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter)


def submittable(url: str) -> list[int]:
    query = "SELECT id FROM agreements WHERE state = 'draft' ORDER BY id DESC"
    with psycopg.connect(psycopg_url(url)) as conn:
        return [row[0] for row in conn.execute(query)]


def bare_write(app: Flask, agreement_id: int) -> Callable[[], None]:
    """The baseline write: lock one agreement row, update it, commit."""

    def write() -> None:
        with app.app_context():
            connection = db.session.connection()
            lock = "SELECT version FROM agreements WHERE id = :id FOR UPDATE"
            connection.execute(text(lock), {"id": agreement_id})
            touch = "UPDATE agreements SET updated_at = now() WHERE id = :id"
            connection.execute(text(touch), {"id": agreement_id})
            db.session.commit()

    return write


def authenticate(app: Flask, token: str) -> Callable[[], None]:
    """What authentication costs a request: a request context and the token
    lookup (``omd_gov.auth.security``), nothing else."""

    def lookup() -> None:
        with app.test_request_context(headers={"Authorization": f"Bearer {token}"}):
            if _verify(token) is None:
                raise RuntimeError("the bench token did not authenticate")

    return lookup


def measure_transition(args: argparse.Namespace, fixture: Fixture, app: Flask) -> dict:
    ids = submittable(fixture.url)
    needed = args.rounds * args.requests + 2
    if len(ids) < needed:
        raise RuntimeError(f"{len(ids)} drafts for {needed} submits: seed more agreements")
    client, hello = app.test_client(), create_hello_app().test_client()
    headers = {"Authorization": f"Bearer {fixture.tokens['data_officer']}"}
    spare = ids.pop()
    samples: dict[str, list[float]] = {"hello": [], "auth": [], "bare": [], "submit": []}
    statements: list[int] = []
    failures: list[int] = []
    counter = Counter()

    def submit() -> None:
        agreement_id = ids.pop()
        counter.on, counter.sent = True, []
        response = client.post(
            f"/api/v1/agreements/{agreement_id}/transitions",
            json={"trigger": "submit", "comment": "bench"},
            headers=headers,
        )
        counter.on = False
        statements.append(len(counter.sent))
        if response.status_code != 200:
            failures.append(response.status_code)

    plans = {
        "hello": lambda: hello.get("/"),
        "auth": authenticate(app, fixture.tokens["data_officer"]),
        "bare": bare_write(app, spare),
        "submit": submit,
    }
    with listening(app, counter):
        for send in plans.values():  # warm-up, not recorded
            timed(send, 1, [])
        statements.clear()
        for _ in range(args.rounds):
            for kind, send in plans.items():
                timed(send, args.requests, samples[kind])
    if failures:
        raise RuntimeError(f"{len(failures)} submits failed, e.g. HTTP {failures[0]}")
    return {
        "hello": figures(samples["hello"]),
        "auth": figures(samples["auth"], samples["hello"]),
        "bare": figures(samples["bare"], samples["hello"]),
        "submit": figures(samples["submit"], samples["hello"])
        | {"bare_p50_ratio": figures(samples["submit"], samples["bare"])["p50_ratio"]},
        "statements": {"min": min(statements), "max": max(statements)},
        "statements_of_one": counter.sent,
    }


def list_urls(app: Flask, token: str, state: str | None) -> dict[str, str]:
    """Page 1, the last page by number, and the same page by cursor (the
    cursor handed out with the page before it)."""
    base = "/api/v1/agreements?per_page=20" + (f"&state={state}" if state else "")
    with app.app_context():
        where = "WHERE state = :state" if state else ""
        total = db.session.execute(
            text(f"SELECT count(*) FROM agreements {where}"), {"state": state}
        ).scalar_one()
    last = max(1, -(-int(total) // 20))
    headers = {"Authorization": f"Bearer {token}"}
    before_last = _json(app.test_client().get(f"{base}&page={max(1, last - 1)}", headers=headers))
    cursor = before_last["next_cursor"] if last > 1 else None
    urls = {"page 1": base, f"page {last} by number": f"{base}&page={last}"}
    if cursor:
        urls[f"page {last} by cursor"] = f"{base}&cursor={cursor}"
    return urls


def _json(response: Any) -> dict[str, Any]:
    body = response.json
    if not isinstance(body, dict):
        raise RuntimeError(f"HTTP {response.status_code}: {response.get_data(as_text=True)}")
    return body


def index_entries(app: Flask, client: Any, url: str, headers: dict[str, str]) -> dict[str, Any]:
    """EXPLAIN ANALYZE of the id query the request sends: the rows its
    index scan reads and the buffers it touches."""
    with app.app_context(), captured(db.engine) as statements:
        client.get(url, headers=headers)
    page = next(s for s in statements if "FROM agreements" in s["sql"])  # after the auth
    sql, params = page["sql"], page["params"]
    with app.app_context():
        plan = db.session.connection().exec_driver_sql(
            "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params
        )
        tree = plan.scalar_one()[0]["Plan"]
        db.session.rollback()
    scans = list(_scans(tree))
    return {
        "scans": sorted({f"{node['Node Type']} {node.get('Index Name', '')}" for node in scans}),
        "rows_read": sum(
            (node["Actual Rows"] + node.get("Rows Removed by Filter", 0)) * node["Actual Loops"]
            for node in scans
        ),
        "buffers": tree.get("Shared Hit Blocks", 0) + tree.get("Shared Read Blocks", 0),
        "offset": "OFFSET" in sql.upper(),
    }


def _scans(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The plan's scans of agreements (its table or its indexes)."""
    if node.get("Relation Name") == "agreements":
        yield node
    for child in node.get("Plans", []):
        yield from _scans(child)


def measure_lists(args: argparse.Namespace, fixture: Fixture, app: Flask) -> dict:
    client = app.test_client()
    token = fixture.tokens["data_officer"]
    headers = {"Authorization": f"Bearer {token}"}
    out: dict[str, Any] = {}
    for state in (None, "active"):
        urls = list_urls(app, token, state)
        pages = [_json(client.get(url, headers=headers)) for url in urls.values()]
        if len(pages) == 3 and pages[1]["items"] != pages[2]["items"]:
            raise RuntimeError("the last page by cursor differs from the last page by number")
        samples: dict[str, list[float]] = {name: [] for name in urls}
        for _ in range(args.rounds):
            for name, url in urls.items():
                timed(partial(client.get, url, headers=headers), args.requests, samples[name])
        first = samples["page 1"]
        out[state or "all"] = {
            name: figures(samples[name], first) | index_entries(app, client, url, headers)
            for name, url in urls.items()
        }
    return out


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"# Lean queries ({result['label'] or 'this tree'}, commit {result['commit']})",
        "",
        f"{result['agreements']:,} agreements on PostgreSQL, in process; "
        f"{result['rounds']} interleaved rounds × {result['requests']} requests per kind.",
    ]
    t = result.get("transition")
    if t:
        lines += [
            "",
            "| request | p50 ms | p95 ms | p50 × hello | p95 × hello | p50 × bare write |",
            "|---|---:|---:|---:|---:|---:|",
            f"| hello-world | {t['hello']['p50_ms']} | {t['hello']['p95_ms']} | 1 | 1 | |",
            f"| authentication alone | {t['auth']['p50_ms']} | {t['auth']['p95_ms']} "
            f"| {t['auth']['p50_ratio']} | {t['auth']['p95_ratio']} | |",
            f"| bare write transaction | {t['bare']['p50_ms']} | {t['bare']['p95_ms']} "
            f"| {t['bare']['p50_ratio']} | {t['bare']['p95_ratio']} | 1 |",
            f"| submit | {t['submit']['p50_ms']} | {t['submit']['p95_ms']} "
            f"| {t['submit']['p50_ratio']} | {t['submit']['p95_ratio']} "
            f"| {t['submit']['bare_p50_ratio']} |",
            "",
            f"Statements per submit: {t['statements']['min']}–{t['statements']['max']}.",
            "",
            *[f"    {n}. {sql}" for n, sql in enumerate(t["statements_of_one"], 1)],
        ]
    for state, kinds in result.get("list", {}).items():
        lines += [
            "",
            f"List, {state} agreements:",
            "",
            "| page | p50 ms | p95 ms | p50 × page 1 | p95 × page 1 | rows read | buffers "
            "| scans |",
            "|---|---:|---:|---:|---:|---:|---:|---|",
        ]
        lines += [
            f"| {name} | {k['p50_ms']} | {k['p95_ms']} | {k['p50_ratio']} | {k['p95_ratio']} "
            f"| {k['rows_read']:,} | {k['buffers']:,} | {', '.join(k['scans'])} |"
            for name, k in kinds.items()
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # One JSON log line per request would flood the output (hello-world logs none).
    logging.getLogger("omd_gov.request").setLevel(logging.WARNING)
    url = args.server.rstrip("/") + "/" + args.database
    recreate_database(url)
    started = time.monotonic()
    try:
        print(f"seeding {args.agreements:,} agreements into {url} ...", flush=True)
        fixture = seed(url, args.agreements, args.events_per)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-lean"})
        result: dict[str, Any] = {
            "label": args.label,
            "commit": common.git_commit(),
            "agreements": args.agreements,
            "rounds": args.rounds,
            "requests": args.requests,
            "seed_seconds": round(fixture.seconds),
        }
        if args.part in ("all", "transition"):
            result["transition"] = measure_transition(args, fixture, app)
        if args.part in ("all", "list"):
            result["list"] = measure_lists(args, fixture, app)
        with app.app_context():
            db.engine.dispose()
    finally:
        recreate_database(url, drop_only=True)
    result["total_seconds"] = round(time.monotonic() - started)
    name = "lean" + (f"_{args.label}" if args.label else "")
    directory = common.results_dir(args)
    (directory / f"{name}.json").write_text(json.dumps(result, indent=2))
    (directory / f"{name}.md").write_text(markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
