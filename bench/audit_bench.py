"""Audit log benchmark (issue 10) on PostgreSQL, with 1,000,000 seeded events.

Seeds the API benchmark's database (``bench.api_seed``: agreements and their
audit events in one valid hash chain, bulk-loaded with COPY, then the Merkle
tree built by ``omd_gov.audit.services.catch_up_tree``), then measures three
things, each against a baseline measured in the same run:

1. VERIFY: ``verify_incrementally`` after ``--new-events`` (1,000) new events
   on the big log, against ``verify_fully`` of a separate fresh database that
   holds a chain of only that many events (same kind of events, also signed
   by one checkpoint). Before the rounds, the big log gets a checkpoint and a
   full verification, so the first incremental run has its anchor; each round
   appends the new events, publishes a checkpoint and verifies both, in
   alternating order. Target: ratio ≤ 2×.
2. PROOF: ``GET /api/v1/audit/events/{seq}/proof`` (random seq) against the
   agreement detail ``GET /api/v1/agreements/{id}`` (random id), both on
   ``omd-gov serve`` (gunicorn, as ``bench.api_bench`` serves it) driven by
   ``wrk`` from a second process, in interleaved rounds. Target: p95 ratio < 3×.
3. TRANSITION: ``POST /api/v1/agreements/{id}/transitions`` (submit a seeded
   draft) in-process with the Flask test client, with the tree and without it
   (``omd_gov.audit.tree.append_leaf`` patched to a no-op), same database,
   alternating rounds. The tree is caught up, untimed, after each round
   without it. Target: p95 ratio ≤ 1.1×.

It ends by publishing a checkpoint and verifying incrementally once more
(which must succeed), drops both databases, prints a Markdown report and
writes ``bench/results/audit.json`` and ``audit.md``. The exit status is
non-zero when the run is invalid (a failed verification or request), not when
a target is missed: the report says that.

    .venv/bin/python -m bench.audit_bench            # about 8 minutes
    .venv/bin/python -m bench.audit_bench --smoke    # a few seconds, no wrk
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from flask import Flask
from sqlalchemy import event as sqlalchemy_event

from bench import api_requests, common
from bench.api_bench import server_env, serving
from bench.api_seed import Fixture, psycopg_url, recreate_database, seed
from bench.common import drop_queue, free_port, migrated_app_on_redis
from omd_gov import create_app
from omd_gov.audit import services, tree
from omd_gov.audit.chain import Subject, record, verify_chain
from omd_gov.audit.models import AuditChainHead
from omd_gov.audit.signing import generate_private_key
from omd_gov.auth.actors import Actor
from omd_gov.db import db, transaction
from omd_gov.migrate import upgrade

SMOKE = {
    "database": "omd_smoke_audit",
    "events": 2_000,
    "new_events": 20,
    "rounds": 1,
    "seconds": 1,
    "workers": 1,
    "transition_rounds": 2,
    "transitions": 4,
}
SMOKE_REQUESTS = 5  # per request kind and round, instead of wrk
OPTIONS = (
    "events", "new_events", "rounds", "seconds", "connections", "workers",
    "transition_rounds", "transitions",
)  # fmt: skip
TARGETS = {"verify": 2.0, "proof": 3.0, "transition": 1.1}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/")
    add("--database", default="omd_bench_audit", help="the baseline's is <database>_small")
    add("--redis", default="redis://127.0.0.1:6379/0")
    add("--events", type=int, default=1_000_000, help="seeded events (10 per agreement)")
    add("--new-events", type=int, default=1_000, help="appended before each incremental verify")
    add("--rounds", type=int, default=5, help="interleaved rounds of the verify and proof parts")
    add("--seconds", type=int, default=8, help="wrk duration per request kind and round")
    add("--connections", type=int, default=4, help="concurrent wrk connections")
    add("--workers", type=int, default=2, help="gunicorn workers")
    add("--transition-rounds", type=int, default=40, help="alternating with/without rounds")
    add("--transitions", type=int, default=25, help="transitions per variant and round")
    return common.parse_args(parser, argv, SMOKE)


def _app(url: str, key: Path) -> Flask:
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "OMD_AUDIT_SIGNING_KEY": str(key)}
    )
    upgrade(app)
    return app


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def head_seq(app: Flask) -> tuple[int, int]:
    """(chain head seq, tree size)."""
    with app.app_context():
        head = db.session.get(AuditChainHead, 1)
        return (head.seq if head else 0), tree.head_edge(head).size


def append_events(app: Flask, count: int, start: int) -> float:
    """``count`` audit events, one transaction each, through ``chain.record``
    (so each also appends its Merkle leaf). Returns the seconds taken."""
    actor = Actor.system("cli")
    started = time.perf_counter()
    with app.app_context():
        for n in range(start, start + count):
            with transaction(db.session):
                record(
                    db.session,
                    actor,
                    Subject("bench", n),
                    "bench.append",
                    changes={"n": {"from": n - 1, "to": n}},
                    comment="appended by bench/audit_bench.py",
                )
    return time.perf_counter() - started


def publish(app: Flask) -> int:
    with app.app_context():
        return services.publish_checkpoint(db.session, app.config).size


def verify(app: Flask, full: bool) -> tuple[float, dict[str, Any]]:
    """Time one verification through the service (it records its run too);
    an invalid log is an error of the benchmark."""
    with app.app_context():
        service = services.verify_fully if full else services.verify_incrementally
        seconds, run = _timed(lambda: service(db.session, app.config))
        report = dict(run.report)
    if not report.get("ok"):
        raise RuntimeError(f"verification failed: {report}")
    return seconds, report


def bare_chain(app: Flask) -> float:
    """The chain links and hashes alone (``verify_chain``): no tree, no checkpoint."""
    with app.app_context():
        seconds, report = _timed(lambda: verify_chain(db.session))
    if not report.ok:
        raise RuntimeError(f"chain broken: {report}")
    return seconds


# 1. Incremental verification ------------------------------------------------


def measure_verify(args: argparse.Namespace, big: Flask, small: Flask) -> dict[str, Any]:
    """The anchor (checkpoint + one full verification), then per round: append
    the new events to the big log, publish a checkpoint, and verify the big
    log incrementally and the small one fully, in alternating order."""
    publish(big)
    full_seconds, full_report = verify(big, full=True)
    print(
        f"anchor: full verification of {full_report['events_checked']:,} events "
        f"in {full_seconds:.1f} s",
        flush=True,
    )
    rounds, next_n = [], 1
    for n in range(args.rounds):
        append_seconds = append_events(big, args.new_events, next_n)
        next_n += args.new_events
        publish(big)
        figures: dict[str, Any] = {"append_seconds": append_seconds}
        steps: list[tuple[str, Callable[[], Any]]] = [
            ("incremental", lambda: verify(big, full=False)),
            ("baseline", lambda: verify(small, full=True)),
        ]
        for name, step in steps if n % 2 == 0 else reversed(steps):
            seconds, report = step()
            figures[name] = seconds
            figures[f"{name}_events"] = report["events_checked"]
        figures["bare_chain"] = bare_chain(small)
        if figures["incremental_events"] != args.new_events:
            raise RuntimeError(f"incremental run checked {figures['incremental_events']} events")
        rounds.append(figures)
        print(
            f"verify round {n + 1}: incremental {figures['incremental'] * 1000:.1f} ms, "
            f"baseline {figures['baseline'] * 1000:.1f} ms, "
            f"bare chain {figures['bare_chain'] * 1000:.1f} ms "
            f"(appending {args.new_events} events took {append_seconds:.1f} s)",
            flush=True,
        )
    medians = {
        key: statistics.median(r[key] for r in rounds)
        for key in ("incremental", "baseline", "bare_chain", "append_seconds")
    }
    return {
        "anchor_full_seconds": round(full_seconds, 2),
        "anchor_full_events": full_report["events_checked"],
        "rounds": rounds,
        "incremental_ms": round(medians["incremental"] * 1000, 1),
        "baseline_ms": round(medians["baseline"] * 1000, 1),
        "bare_chain_ms": round(medians["bare_chain"] * 1000, 1),
        "append_ms_per_event": round(medians["append_seconds"] * 1000 / args.new_events, 2),
        "ratio": round(medians["incremental"] / medians["baseline"], 2),
        "ratio_bare_chain": round(medians["incremental"] / medians["bare_chain"], 2),
    }


# 2. Inclusion proof against the detail request -------------------------------


def _drive(port: int, mode: str, token: str, upper: int, seed_: int, requests: int) -> dict:
    """A smoke run's stand-in for wrk: a few requests, one after the other."""
    rng = random.Random(seed_)

    def make(_n: int) -> tuple[str, str, bytes | None]:
        n = rng.randint(1, upper)
        path = f"/api/v1/audit/events/{n}/proof" if mode == "proof" else f"/api/v1/agreements/{n}"
        return "GET", path, None

    return api_requests.send_all(port, token, requests, make)


def measure_proof(
    args: argparse.Namespace, fixture: Fixture, big: Flask, work: Path
) -> dict[str, Any]:
    token = fixture.tokens["legal_officer"]  # may read both agreements and proofs
    events, _size = head_seq(big)
    uppers = {"detail": fixture.agreements, "proof": events}
    lua = common.ROOT / "bench" / "api_wrk.lua"
    port = free_port()
    bin_dir = Path(sys.executable).parent
    command = [str(bin_dir / "omd-gov"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(args.workers)]
    rounds: list[dict[str, Any]] = []
    with ExitStack() as stack:
        stack.enter_context(serving(command, server_env(fixture, work), port, work / "app.log"))
        for n in range(args.rounds + 1):  # pass 0 warms caches and pools; not recorded
            results = {}
            modes = ("detail", "proof") if n % 2 == 0 else ("proof", "detail")
            for mode in modes:
                extra = [mode, token, str(uppers[mode]), "-", str(n + 1)]  # no IDS_FILE
                if args.smoke:
                    result = _drive(port, mode, token, uppers[mode], n + 1, SMOKE_REQUESTS)
                else:
                    seconds = args.seconds if n else 2
                    result = common.run_wrk(port, args.connections, seconds, lua, extra)
                result["rps"] = round(result["requests"] / (result["duration_us"] / 1e6), 1)
                results[mode] = result
            if n:
                rounds.append(results)
                print(
                    f"proof round {n}: "
                    + ", ".join(
                        f"{m} p50 {r['p50_us'] / 1000:.1f} ms p95 {r['p95_us'] / 1000:.1f} ms"
                        for m, r in results.items()
                    ),
                    flush=True,
                )
    summary: dict[str, Any] = {}
    for mode in ("detail", "proof"):
        summary[mode] = {
            key: statistics.median(r[mode][key] for r in rounds)
            for key in ("p50_us", "p95_us", "p99_us", "rps")
        }
        summary[mode]["errors"] = sum(
            r[mode]["errors_status"] + r[mode]["errors_socket"] for r in rounds
        )
        summary[mode]["requests"] = sum(r[mode]["requests"] for r in rounds)
    summary["p50_ratio"] = round(summary["proof"]["p50_us"] / summary["detail"]["p50_us"], 2)
    summary["p95_ratio"] = round(summary["proof"]["p95_us"] / summary["detail"]["p95_us"], 2)
    summary["round_p95_ratios"] = [
        round(r["proof"]["p95_us"] / r["detail"]["p95_us"], 2) for r in rounds
    ]
    summary["tree_size"] = events
    summary["driver"] = "python (smoke)" if args.smoke else f"wrk -t1 -c{args.connections}"
    return summary


# 3. A transition with and without the tree ----------------------------------


@contextmanager
def tree_disabled() -> Iterator[None]:
    """The "without" variant: appending an event writes no tree nodes."""
    original = tree.append_leaf
    tree.append_leaf = lambda *_args, **_kwargs: None
    try:
        yield
    finally:
        tree.append_leaf = original


def submittable(url: str) -> list[int]:
    query = "SELECT id FROM agreements WHERE state IN ('draft', 'changes_requested') ORDER BY id"
    with psycopg.connect(psycopg_url(url)) as conn:
        ids = [row[0] for row in conn.execute(query)]
    random.Random(13).shuffle(ids)
    return ids


class Transitions:
    """Submits seeded drafts with or without the tree, timing each request
    and counting the SQL statements it sends."""

    def __init__(self, fixture: Fixture, app: Flask, ids: list[int]):
        self.app, self.ids, self.client = app, ids, app.test_client()
        self.headers = {"Authorization": f"Bearer {fixture.tokens['data_officer']}"}
        self.samples: dict[str, list[float]] = {"with": [], "without": []}
        self.statements = {"with": {"all": 0, "tree": 0}, "without": {"all": 0, "tree": 0}}
        self.counting: str | None = None  # the variant whose statements are counted
        self.errors: list[str] = []

    def count(self, _conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if self.counting:
            self.statements[self.counting]["all"] += 1
            self.statements[self.counting]["tree"] += "audit_tree_nodes" in sql

    def run(self, variant: str, how_many: int, keep: bool) -> None:
        body = {"trigger": "submit", "comment": "bench"}
        with tree_disabled() if variant == "without" else ExitStack():
            for _ in range(how_many):
                agreement_id = self.ids.pop()
                self.counting = variant if keep else None
                started = time.perf_counter()
                response = self.client.post(
                    f"/api/v1/agreements/{agreement_id}/transitions",
                    json=body,
                    headers=self.headers,
                )
                taken = time.perf_counter() - started
                self.counting = None
                if keep:
                    self.samples[variant].append(taken)
                if response.status_code != 200:
                    self.errors.append(f"{agreement_id}: HTTP {response.status_code}")
        if variant == "without":  # untimed: the next "with" run never pays a catch-up
            with self.app.app_context():
                services.catch_up_tree(db.session)

    def summary(self) -> dict[str, Any]:
        summary: dict[str, Any] = {}
        for variant, values in self.samples.items():
            summary[variant] = {
                "p50_ms": round(common.percentile(values, 0.50) * 1000, 2),
                "p95_ms": round(common.percentile(values, 0.95) * 1000, 2),
                "p99_ms": round(common.percentile(values, 0.99) * 1000, 2),
                "mean_ms": round(statistics.fmean(values) * 1000, 2),
                "count": len(values),
                "statements": round(self.statements[variant]["all"] / len(values), 2),
                "tree_statements": round(self.statements[variant]["tree"] / len(values), 2),
            }
        for figure in ("p50", "p95", "p99", "mean"):
            ratio = summary["with"][f"{figure}_ms"] / summary["without"][f"{figure}_ms"]
            summary[f"{figure}_ratio"] = round(ratio, 3)
        return summary


def measure_transitions(args: argparse.Namespace, fixture: Fixture, app: Flask) -> dict[str, Any]:
    """Submit seeded drafts, the variants alternating in short rounds (so that
    load from elsewhere hits both alike); p50/p95 over all samples of each."""
    ids, warm_up = submittable(fixture.url), 5
    needed = 2 * (args.transition_rounds * args.transitions + warm_up)
    if len(ids) < needed:
        raise RuntimeError(f"{len(ids)} drafts for {needed} transitions: seed more events")
    runs = Transitions(fixture, app, ids)
    with app.app_context():
        engine = db.engine
    sqlalchemy_event.listen(engine, "before_cursor_execute", runs.count)
    try:
        runs.run("with", warm_up, keep=False)
        runs.run("without", warm_up, keep=False)
        for n in range(args.transition_rounds):
            for variant in ("with", "without") if n % 2 == 0 else ("without", "with"):
                runs.run(variant, args.transitions, keep=True)
            if (n + 1) % 10 == 0 or n + 1 == args.transition_rounds:
                p95 = {v: common.percentile(t, 0.95) * 1000 for v, t in runs.samples.items()}
                print(
                    f"transition rounds 1-{n + 1}: p95 with the tree {p95['with']:.1f} ms, "
                    f"without {p95['without']:.1f} ms",
                    flush=True,
                )
    finally:
        sqlalchemy_event.remove(engine, "before_cursor_execute", runs.count)
    if runs.errors:
        raise RuntimeError(f"{len(runs.errors)} transitions failed, e.g. {runs.errors[0]}")
    return runs.summary()


# The run and its report ------------------------------------------------------


def seed_small(args: argparse.Namespace, url: str, key: Path) -> Flask:
    """A fresh database whose log is a chain of ``--new-events`` events and one
    checkpoint: what "verifying a 1,000-event chain alone" verifies."""
    recreate_database(url)
    app = _app(url, key)
    append_events(app, args.new_events, 1)
    publish(app)
    return app


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.smoke:
        print("SMOKE RUN: tiny sizes, no wrk; its figures mean nothing", flush=True)
    elif shutil.which("wrk") is None:
        sys.exit("wrk is required: apt-get install wrk (bench/run.sh installs it)")
    base = args.server.rstrip("/") + "/"
    url, small_url = base + args.database, base + args.database + "_small"
    work = Path(tempfile.mkdtemp(prefix="omd-bench-audit-"))
    # One key per log: the signer keeps the last note it signed beside its
    # key and refuses to sign a tree that does not extend it.
    key, small_key = work / "audit-signing-key.pem", work / "audit-small-key.pem"
    generate_private_key(key)
    generate_private_key(small_key)
    os.environ["OMD_AUDIT_SIGNING_KEY"] = str(key)  # for the served app (server_env copies it)
    started = time.monotonic()
    load_before = round(os.getloadavg()[0], 2)
    queue = ""
    result: dict[str, Any] = {}
    try:
        recreate_database(url)
        print(f"seeding {args.events:,} events into {url} ...", flush=True)
        fixture = seed(url, max(1, args.events // 10), 10)
        print(
            f"seeded in {fixture.seconds:.0f} s, of which the Merkle tree "
            f"(catch_up_tree) {fixture.tree_seconds:.0f} s",
            flush=True,
        )
        big = _app(url, key)
        seeded_events, tree_size = head_seq(big)
        if seeded_events != tree_size:
            raise RuntimeError(f"tree of {tree_size} leaves over {seeded_events} events")
        small = seed_small(args, small_url, small_key)
        verify_figures = measure_verify(args, big, small)
        proof_figures = measure_proof(args, fixture, big, work)
        app, queue = migrated_app_on_redis(url, args.redis)
        app.config["OMD_AUDIT_SIGNING_KEY"] = str(key)
        transition_figures = measure_transitions(args, fixture, app)
        publish(big)
        _seconds, final = verify(big, full=False)
        final_events, final_tree = head_seq(big)
        if final_tree != final_events:
            raise RuntimeError(f"tree of {final_tree} leaves over {final_events} events")
        result = {
            "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": common.git_commit(),
            "smoke": args.smoke,
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_before": load_before,
            "load_after": round(os.getloadavg()[0], 2),
            "options": {name: getattr(args, name) for name in OPTIONS},
            "seeded_events": seeded_events,
            "seed_seconds": round(fixture.seconds, 1),
            "tree_seconds": round(fixture.tree_seconds, 1),
            "verify": verify_figures,
            "proof": proof_figures,
            "transition": transition_figures,
            "final_check": {"ok": final["ok"], "events_checked": final["events_checked"]},
        }
    finally:
        if queue:
            drop_queue(args.redis, queue)
        recreate_database(url, drop_only=True)
        recreate_database(small_url, drop_only=True)
        shutil.rmtree(work, ignore_errors=True)
    problems = [
        f"{mode}: {proof_figures[mode]['errors']:.0f} failed requests"
        for mode in ("detail", "proof")
        if proof_figures[mode]["errors"]
    ]
    result["met"] = {
        "verify": verify_figures["ratio"] <= TARGETS["verify"],
        "proof": proof_figures["p95_ratio"] < TARGETS["proof"],
        "transition": transition_figures["p95_ratio"] <= TARGETS["transition"],
    }
    result["problems"] = problems
    result["total_seconds"] = round(time.monotonic() - started)
    directory = common.results_dir(args)
    (directory / "audit.json").write_text(json.dumps(result, indent=2) + "\n")
    report = markdown(result)
    (directory / "audit.md").write_text(report)
    print(report)
    for problem in problems:
        print(f"INVALID RUN: {problem}", file=sys.stderr)
    return 1 if problems else 0


def _yes(met: bool) -> str:
    return "yes" if met else "**no**"


def markdown(r: dict[str, Any]) -> str:
    v, p, t, o = r["verify"], r["proof"], r["transition"], r["options"]
    lines = [
        f"### Audit log benchmark — {r['when']} (`{r['commit']}`)"
        + (" — SMOKE RUN, figures mean nothing" if r["smoke"] else ""),
        "",
        f"{r['seeded_events']:,} seeded events, seeded in {r['seed_seconds']} s "
        f"(of which the Merkle tree, `catch_up_tree`: {r['tree_seconds']} s); "
        f"{r['cpus']} CPUs, load average {r['load_before']} before, {r['load_after']} after; "
        f"whole run {r['total_seconds']} s.",
        "",
        "| target | baseline (same run) | measured | ratio | target | met |",
        "|---|---:|---:|---:|---:|---|",
        f"| incremental verify after {o['new_events']:,} new events "
        f"| full verify of a {o['new_events']:,}-event log: {v['baseline_ms']} ms "
        f"| {v['incremental_ms']} ms | {v['ratio']}× | ≤ 2× | {_yes(r['met']['verify'])} |",
        f"| inclusion proof p95 (`GET /api/v1/audit/events/{{seq}}/proof`) "
        f"| agreement detail p95: {p['detail']['p95_us'] / 1000:.1f} ms "
        f"| {p['proof']['p95_us'] / 1000:.1f} ms | {p['p95_ratio']}× | < 3× "
        f"| {_yes(r['met']['proof'])} |",
        f"| transition p95 with the tree | without the tree: {t['without']['p95_ms']} ms "
        f"| {t['with']['p95_ms']} ms | {t['p95_ratio']}× | ≤ 1.1× "
        f"| {_yes(r['met']['transition'])} |",
        "",
        f"- Verify ({o['rounds']} rounds, medians): the anchor's full verification of "
        f"{v['anchor_full_events']:,} events took {v['anchor_full_seconds']} s; the bare chain "
        f"walk (`verify_chain`) of the {o['new_events']:,}-event log {v['bare_chain_ms']} ms "
        f"(incremental = {v['ratio_bare_chain']}× that); appending an event "
        f"(`chain.record`, one commit each) {v['append_ms_per_event']} ms.",
        f"- Proof ({p['driver']}, {o['rounds']} rounds × {o['seconds']} s, medians, "
        f"tree of {p['tree_size']:,}): p50 proof {p['proof']['p50_us'] / 1000:.1f} ms vs detail "
        f"{p['detail']['p50_us'] / 1000:.1f} ms ({p['p50_ratio']}×); req/s proof "
        f"{p['proof']['rps']} vs detail {p['detail']['rps']}; p95 ratio per round "
        f"{p['round_p95_ratios']}.",
        f"- Transition (in-process, Flask test client, {o['transition_rounds']} alternating "
        f"rounds × {o['transitions']} per variant; {t['with']['count']} samples each): "
        f"p50 with {t['with']['p50_ms']} ms, without {t['without']['p50_ms']} ms "
        f"({t['p50_ratio']}×); p99 {t['p99_ratio']}×; mean {t['with']['mean_ms']} vs "
        f"{t['without']['mean_ms']} ms ({t['mean_ratio']}×). SQL statements per transition: "
        f"{t['with']['statements']} with the tree ({t['with']['tree_statements']} of them "
        f"on `audit_tree_nodes`), {t['without']['statements']} without.",
        f"- Final check: incremental verify ok={r['final_check']['ok']} over "
        f"{r['final_check']['events_checked']:,} events since the last anchor.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
