"""Web pages' benchmark (issue 7) on PostgreSQL with 100,000 agreements.

The API benchmark's seed and runner (``bench.api_bench``): the same database
(or one it kept, ``--reuse``), ``omd-gov serve`` and the Flask hello-world
served the same way, ``wrk`` from a second process (``bench/api_wrk.lua``).
``bench.web_seed`` adds the open deadlines the dashboard lists and web
passwords, and signs each user in once, as a browser does. Then, per user
(a data officer, who owns every agreement, and a legal officer), in
interleaved rounds:

- ``GET /api/v1/agreements/{id}``, random ids, the user's bearer token;
- ``GET /`` (the dashboard) and ``GET /agreements/{id}`` (the workspace, the
  same sequence of ids as the API detail), the user's session cookie;

and hello-world ``GET /``. Target: each page's p95 ≤ 1.5 × the API detail's
p95 of the same user, in the same run. Writes ``bench/results/web.json`` and
``web.md``; exits non-zero only when the run is invalid (failed requests, a
session that stopped working), not when a target is missed.

    .venv/bin/python -m bench.web_bench            # about 8 minutes, most of it seeding
    .venv/bin/python -m bench.api_bench --keep && .venv/bin/python -m bench.web_bench --reuse
    .venv/bin/python -m bench.web_bench --smoke    # a few seconds, no wrk
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import api_bench, common, web_seed
from bench.api_seed import Fixture, recreate_database

USERS = ("data_officer", "legal_officer")
PAGES = ("dashboard", "workspace")
TARGET = 1.5  # a page's p95 over the API detail's, same user, same run
SMOKE = {"database": "omd_smoke_web", "agreements": 200, "rounds": 1, "seconds": 1, "workers": 1}
LABELS = {
    "hello": "hello-world `GET /`",
    "detail": "`GET /api/v1/agreements/{id}` (API detail)",
    "dashboard": "`GET /` (dashboard)",
    "workspace": "`GET /agreements/{id}` (workspace)",
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    api_bench.add_load_options(parser)
    return common.parse_args(parser, argv, SMOKE)


def targets() -> tuple[str, ...]:
    return ("hello", *(f"{user} {kind}" for user in USERS for kind in ("detail", *PAGES)))


def plans(fixture: Fixture, ports: dict[str, int]) -> dict[str, tuple[int, str, list[str]]]:
    """(port, wrk mode, arguments) per target; signs every user in once."""
    upper = str(fixture.agreements)
    found = {"hello": (ports["hello"], "hello", [fixture.tokens[USERS[0]], "1"])}
    for user in USERS:
        cookie = web_seed.sign_in(ports["app"], f"{user}@bench.test")
        found[f"{user} detail"] = (ports["app"], "detail", [fixture.tokens[user], upper])
        found[f"{user} dashboard"] = (ports["app"], "dashboard", [cookie, "1"])
        found[f"{user} workspace"] = (ports["app"], "workspace", [cookie, upper])
    return found


def measure(args: argparse.Namespace, fixture: Fixture, ports: dict[str, int], _work: Path) -> dict:
    """Warm up, then ``rounds`` interleaved passes over every target. In a
    round, the workspace and the API detail draw the same ids (the same seed)."""
    planned = plans(fixture, ports)
    load_before = round(os.getloadavg()[0], 2)
    rounds: list[dict[str, Any]] = []
    for n in range(args.rounds + 1):  # pass 0 warms caches and pools; it is not recorded
        results = {}
        for name, (port, mode, extra) in planned.items():
            seconds = args.seconds if n else 2
            results[name] = api_bench.load(port, args, mode, [*extra, "-", str(n + 1)], seconds)
        if n:
            rounds.append(results)
            print(
                f"round {n}: "
                + ", ".join(f"{t} p95 {r['p95_us'] / 1000:.1f} ms" for t, r in results.items()),
                flush=True,
            )
    cookies = [extra[0] for _port, mode, extra in planned.values() if mode in PAGES]
    signed_in = all(web_seed.still_signed_in(ports["app"], cookie) for cookie in cookies)
    return {"rounds": rounds, "load_before": load_before, "still_signed_in": signed_in}


def ratios(summary: dict[str, dict[str, float]]) -> dict[str, dict[str, Any]]:
    """Each page against the API detail of the same user (medians over the rounds)."""
    out = {}
    for user in USERS:
        detail = summary[f"{user} detail"]
        for page in PAGES:
            mine = summary[f"{user} {page}"]
            p95 = round(mine["p95_us"] / detail["p95_us"], 2)
            out[f"{user} {page}"] = {
                "p50_vs_detail": round(mine["p50_us"] / detail["p50_us"], 2),
                "p95_vs_detail": p95,
                "met": p95 <= TARGET,
            }
    return out


def build(args: argparse.Namespace, fixture: Fixture, reused: bool, measured: dict) -> dict:
    summary = api_bench.summarize(measured["rounds"], targets())
    problems = [
        f"{t}: {v['errors']:.0f} failed requests" for t, v in summary.items() if v["errors"]
    ]
    if not measured["still_signed_in"]:
        problems.append("a session cookie stopped opening the dashboard")
    return {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": common.git_commit(),
        "smoke": args.smoke,
        "cpus": os.cpu_count(),
        "load_average_1m": [measured["load_before"], round(os.getloadavg()[0], 2)],
        "settings": {k: getattr(args, k) for k in ("rounds", "seconds", "connections", "workers")},
        "seed": {"agreements": fixture.agreements, "reused": reused, "seconds": fixture.seconds},
        "deadlines": measured["deadlines"],
        "summary": summary,
        "ratios": ratios(summary),
        "target": TARGET,
        "problems": problems,
        "valid": not problems,
    }


def markdown(result: dict[str, Any]) -> str:
    head = (
        f"Web pages, {result['when']}, commit {result['commit']}"
        f"{' (SMOKE RUN: figures mean nothing)' if result['smoke'] else ''}: "
        f"{result['seed']['agreements']:,} agreements, {result['deadlines']:,} open deadlines; "
        f"wrk -t1 -c{result['settings']['connections']}, {result['settings']['workers']} "
        f"gunicorn workers each, {result['settings']['rounds']} rounds × "
        f"{result['settings']['seconds']} s, medians; {result['cpus']} CPUs, load "
        f"{result['load_average_1m'][0]} → {result['load_average_1m'][1]}."
    )
    rows = [
        "| user | request | p50 ms | p95 ms | req/s | p95 × hello | p50 × API detail "
        f"| p95 × API detail (target ≤ {result['target']}) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, v in result["summary"].items():
        user, _, kind = name.rpartition(" ")
        r = result["ratios"].get(name)
        versus = (
            f"{r['p50_vs_detail']} | {r['p95_vs_detail']} {'✓' if r['met'] else '✗'}"
            if r
            else "— | —"
        )
        rows.append(
            f"| {user.replace('_', ' ') or '—'} | {LABELS[kind]} | {v['p50_us'] / 1000:.1f} "
            f"| {v['p95_us'] / 1000:.1f} | {v['rps']:.0f} | {v['p95_ratio']} "
            f"| {versus} |"
        )
    verdict = "all met" if all(r["met"] for r in result["ratios"].values()) else "NOT all met"
    tail = f"Targets: {verdict}." + "".join(f"\n\nINVALID: {p}" for p in result["problems"])
    return "\n\n".join([head, "\n".join(rows), tail])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.smoke:
        print("SMOKE RUN: no wrk load; a few requests of each kind from this process", flush=True)
    elif shutil.which("wrk") is None:
        sys.exit("wrk is required: apt-get install wrk (bench/run.sh installs it)")
    url = args.server.rstrip("/") + "/" + args.database
    started = time.monotonic()
    fixture, reused = api_bench.prepare(args, url)
    work = Path(tempfile.mkdtemp(prefix="omd-bench-web-"))
    try:
        deadlines = web_seed.add_deadlines(url)
        web_seed.set_passwords(url, [f"{user}@bench.test" for user in USERS])
        measured = api_bench.run_servers(args, fixture, work, measure_with=measure)
        measured["deadlines"] = deadlines
    finally:
        if not args.keep:
            recreate_database(url, drop_only=True)
    result = build(args, fixture, reused, measured)
    result["total_seconds"] = round(time.monotonic() - started)
    out = common.results_dir(args)
    (out / "web.json").write_text(json.dumps(result, indent=2))
    (out / "web.md").write_text(markdown(result) + "\n")
    print(markdown(result))
    shutil.rmtree(work, ignore_errors=True)
    return 0 if result["valid"] else 1


if __name__ == "__main__":
    sys.exit(main())
