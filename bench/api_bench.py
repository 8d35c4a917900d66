"""API benchmark of the agreement core on PostgreSQL (see bench/README.md).

Seeds a dedicated database (100,000 agreements, 1,000,000 audit events),
serves the real app (``omd-gov serve --workers 2``) and a Flask hello-world
the same way, drives both with ``wrk`` from a second process, and reports
p50, p95 and throughput as ratios against hello-world measured in the same
run, in interleaved rounds so that load from elsewhere hits both alike.

    .venv/bin/python -m bench.api_bench            # or: make bench
    .venv/bin/python -m bench.api_bench --smoke    # a few seconds, no wrk: does it still run?

A smoke run seeds a few hundred agreements into its own database, serves both
apps with one worker each, and replaces the wrk load by a few requests of each
kind from this process (``bench.api_requests``); the checks and the report
run as usual.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import psycopg

from bench import api_checks, api_report, api_requests, common
from bench.api_seed import Fixture, database_exists, psycopg_url, recreate_database, seed
from bench.common import ROOT, free_port
from omd_gov import create_app
from omd_gov.migrate import upgrade

LUA = ROOT / "bench" / "api_wrk.lua"
TARGETS = ("hello", "detail", "list", "transition")
SMOKE = {"database": "omd_smoke_api", "agreements": 200, "rounds": 1, "seconds": 1, "workers": 1}
SMOKE_REQUESTS = 5  # per request kind and pass


def add_load_options(parser: argparse.ArgumentParser) -> None:
    """The seeded PostgreSQL register and the wrk load: shared with web_bench."""
    add = parser.add_argument
    add("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/")
    add("--database", default="omd_bench_api")
    add("--agreements", type=int, default=100_000)
    add("--events-per", type=int, default=10)
    add("--rounds", type=int, default=3, help="interleaved rounds over every request kind")
    add("--seconds", type=int, default=8, help="wrk duration per request kind and round")
    add("--connections", type=int, default=4, help="concurrent wrk connections")
    add("--workers", type=int, default=2)
    add("--threads", type=int, default=1, help="threads per gunicorn worker (both servers)")
    add("--keep", action="store_true", help="keep the database (and its tokens) afterwards")
    add("--reuse", action="store_true", help="reuse a database kept by --keep")


def parse_args(
    argv: list[str] | None = None, parser: argparse.ArgumentParser | None = None
) -> argparse.Namespace:
    parser = parser or argparse.ArgumentParser(description="API benchmark of the agreement core")
    add_load_options(parser)
    add = parser.add_argument
    add("--skip-verify", action="store_true", help="skip verifying the 1M-event chain (~35 s)")
    return common.parse_args(parser, argv, SMOKE)


def prepare(args: argparse.Namespace, url: str) -> tuple[Fixture, bool]:
    """Seed a fresh database, or reuse one kept earlier. Returns (fixture, reused)."""
    saved = common.results_dir(args) / "api_fixture.json"
    if args.reuse and saved.exists() and database_exists(url):
        fixture = Fixture(**json.loads(saved.read_text()))
        if fixture.url == url and fixture.agreements == args.agreements:
            # The schema may have moved on since it was kept.
            upgrade(create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"}))
            return fixture, True
    recreate_database(url)
    print(f"seeding {args.agreements:,} agreements into {url} ...", flush=True)
    fixture = seed(url, args.agreements, args.events_per)
    print(f"seeded in {fixture.seconds:.0f} s", flush=True)
    if args.keep:
        saved.write_text(json.dumps(asdict(fixture)))
    return fixture, False


@contextmanager
def serving(command: list[str], env: dict[str, str], port: int, log: Path) -> Iterator[int]:
    """Run a server in its own process group; stop exactly that group afterwards."""
    with log.open("w") as out:
        proc = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT
        )
    try:
        _wait_ready(port, proc, log)
        yield proc.pid
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)


def _wait_ready(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early; see {log}:\n{log.read_text()[-2000:]}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).close()
            return
        except urllib.error.HTTPError:
            return  # answered (the API has no root page): it is up
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not come up; see {log}")


def load(port: int, args: argparse.Namespace, mode: str, wrk_args: list[str], seconds: int) -> dict:
    """Drive one request kind with wrk for ``seconds``; in a smoke run, with a
    few requests from this process instead."""
    if args.smoke:
        result = api_requests.drive(port, mode, wrk_args, SMOKE_REQUESTS)
    else:
        result = common.run_wrk(port, args.connections, seconds, LUA, [mode, *wrk_args])
    result["rps"] = round(result["requests"] / (result["duration_us"] / 1e6), 1)
    return result


def transition_ids(url: str, slices: int, work: Path) -> tuple[list[Path], int]:
    """Disjoint shuffled slices of submittable agreements (each is submitted
    once), and one spare that no slice holds."""
    query = "SELECT id FROM agreements WHERE state IN ('draft', 'changes_requested') ORDER BY id"
    with psycopg.connect(psycopg_url(url)) as conn:
        ids = [row[0] for row in conn.execute(query)]
    random.Random(11).shuffle(ids)
    spare = ids.pop()
    size = len(ids) // slices
    files = []
    for n in range(slices):
        path = work / f"transition_ids_{n}.txt"
        path.write_text("\n".join(str(i) for i in ids[n * size : (n + 1) * size]) + "\n")
        files.append(path)
    return files, spare


def active_pages(url: str, per_page: int = 20) -> int:
    with psycopg.connect(psycopg_url(url)) as conn:
        row = conn.execute("SELECT count(*) FROM agreements WHERE state = 'active'").fetchone()
    assert row is not None
    return max(1, -(-int(row[0]) // per_page))


def measure(args: argparse.Namespace, fixture: Fixture, ports: dict[str, int], work: Path) -> dict:
    """Warm up, then ``rounds`` interleaved passes over hello/detail/list/transition."""
    token = fixture.tokens["data_officer"]
    pages = active_pages(fixture.url)
    id_files, spare = transition_ids(fixture.url, args.rounds + 1, work)
    plans = {
        "hello": (ports["hello"], [token, "1"]),
        "detail": (ports["app"], [token, str(fixture.agreements)]),
        "list": (ports["app"], [token, str(pages)]),
        "transition": (ports["app"], [token, "1"]),
    }
    rounds: list[dict[str, Any]] = []
    load_before = round(os.getloadavg()[0], 2)
    for n in range(args.rounds + 1):  # pass 0 warms caches and pools; it is not recorded
        results = {}
        for mode in TARGETS:
            port, extra = plans[mode]
            extra = extra + [str(id_files[n]), str(n + 1)]
            results[mode] = load(port, args, mode, extra, args.seconds if n else 2)
        if n:
            rounds.append(results)
            print(
                f"round {n}: "
                + ", ".join(f"{m} p95 {r['p95_us'] / 1000:.1f} ms" for m, r in results.items()),
                flush=True,
            )
    return {"rounds": rounds, "list_pages": pages, "spare_id": spare, "load_before": load_before}


def summarize(
    rounds: list[dict[str, Any]], targets: tuple[str, ...] = TARGETS
) -> dict[str, dict[str, float]]:
    """Median of each figure over the rounds, and its ratio to hello-world."""
    summary: dict[str, dict[str, float]] = {}
    for mode in targets:
        values = {
            key: statistics.median(r[mode][key] for r in rounds)
            for key in ("p50_us", "p95_us", "p99_us", "rps")
        }
        values["errors"] = sum(r[mode]["errors_status"] + r[mode]["errors_socket"] for r in rounds)
        values["requests"] = sum(r[mode]["requests"] for r in rounds)
        summary[mode] = values
    hello = summary["hello"]
    for values in summary.values():
        values["p50_ratio"] = round(values["p50_us"] / hello["p50_us"], 2)
        values["p95_ratio"] = round(values["p95_us"] / hello["p95_us"], 2)
        values["rps_ratio"] = round(values["rps"] / hello["rps"], 3)
    return summary


def server_env(fixture: Fixture, work: Path) -> dict[str, str]:
    """The environment ``omd-gov serve`` runs in for a bench."""
    return dict(
        os.environ,
        OMD_DATABASE_URL=fixture.url,
        OMD_SECRET_KEY=secrets.token_hex(16),
        OMD_INSTANCE_DIR=str(work / "instance"),
        OMD_DEMO="0",
    )


def run_servers(
    args: argparse.Namespace, fixture: Fixture, work: Path, measure_with: Any = measure
) -> dict[str, Any]:
    """Serve the app and hello-world; ``measure_with`` (``measure``, or another
    bench's own) drives them."""
    ports = {"app": free_port(), "hello": free_port()}
    env = server_env(fixture, work)
    bin_dir = Path(sys.executable).parent
    host = ["--host", "127.0.0.1"]
    app_cmd = [str(bin_dir / "omd-gov"), "serve", *host, "--port", str(ports["app"])]
    hello_cmd = [sys.executable, "-m", "bench.hello_app", *host, "--port", str(ports["hello"])]
    workers = ["--workers", str(args.workers), "--threads", str(args.threads)]
    with ExitStack() as stack:
        stack.enter_context(serving(app_cmd + workers, env, ports["app"], work / "app.log"))
        stack.enter_context(serving(hello_cmd + workers, env, ports["hello"], work / "hello.log"))
        result: dict[str, Any] = measure_with(args, fixture, ports, work)
        return result


def checks(args: argparse.Namespace, fixture: Fixture, pages: int, draft_id: int) -> dict:
    app = create_app({"SQLALCHEMY_DATABASE_URI": fixture.url, "SECRET_KEY": "bench"})
    office, partner = fixture.tokens["data_officer"], fixture.tokens["signatory"]
    found: dict[str, Any] = {
        "explain": [
            api_checks.explain_list(app, office, 1),
            api_checks.explain_list(app, office, pages),
            api_checks.explain_list(app, partner, 1, state=None),
        ],
        "requests": api_checks.request_accounting(
            app,
            office,
            {
                "detail": ("GET", f"/api/v1/agreements/{fixture.agreements // 2}"),
                "list (page 1)": ("GET", "/api/v1/agreements?state=active&page=1"),
                f"list (page {pages})": ("GET", f"/api/v1/agreements?state=active&page={pages}"),
                "transition": ("POST", f"/api/v1/agreements/{draft_id}/transitions"),
            },
        ),
    }
    if not args.skip_verify:
        found["chain"] = api_checks.verify(app)
    return found


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.smoke:
        print("SMOKE RUN: no wrk load; a few requests of each kind from this process", flush=True)
    elif shutil.which("wrk") is None:
        sys.exit("wrk is required: apt-get install wrk (bench/run.sh installs it)")
    url = args.server.rstrip("/") + "/" + args.database
    started = time.monotonic()
    fixture, reused = prepare(args, url)
    work = Path(tempfile.mkdtemp(prefix="omd-bench-api-"))
    try:
        measured = run_servers(args, fixture, work)
        found = checks(args, fixture, measured["list_pages"], measured["spare_id"])
    finally:
        if not args.keep:
            recreate_database(url, drop_only=True)
    result = api_report.build(args, fixture, reused, measured, summarize(measured["rounds"]), found)
    result["total_seconds"] = round(time.monotonic() - started)
    api_report.write(result, common.results_dir(args))
    print(api_report.markdown(result))
    shutil.rmtree(work, ignore_errors=True)
    return 0 if result["valid"] else 1


if __name__ == "__main__":
    sys.exit(main())
