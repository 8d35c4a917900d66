"""Turn an API benchmark run into JSON (bench/results/api.json) and the
Markdown block that docs/PERFORMANCE.md quotes."""

from __future__ import annotations

import argparse
import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import common
from bench.api_seed import Fixture

# p95 ceilings, as multiples of hello-world's p95 in the same run (issue 2).
P95_TARGETS = {"detail": 3.0, "list": 3.0, "transition": 5.0}
LABELS = {
    "hello": "hello-world `GET /`",
    "detail": "`GET /api/v1/agreements/{id}` (random id)",
    "list": "`GET /api/v1/agreements?state=active&page=N` (random N)",
    "transition": "`POST /api/v1/agreements/{id}/transitions` (submit a draft)",
}


def build(
    args: argparse.Namespace,
    fixture: Fixture,
    reused: bool,
    measured: dict[str, Any],
    summary: dict[str, dict[str, float]],
    found: dict[str, Any],
) -> dict[str, Any]:
    met = {mode: summary[mode]["p95_ratio"] <= limit for mode, limit in P95_TARGETS.items()}
    problems = [
        f"{mode}: {v['errors']:.0f} failed requests" for mode, v in summary.items() if v["errors"]
    ]
    if not args.smoke:  # on a smoke run's few rows, a scan is the right plan
        problems += [
            f"list plan without an index (page {e['page']})"
            for e in found["explain"]
            if not e["uses_index"]
        ]
    problems += [
        f"{name}: HTTP {r['status']}" for name, r in found["requests"].items() if r["status"] != 200
    ]
    if "chain" in found and not found["chain"]["ok"]:
        problems.append(f"audit chain broken: {found['chain']}")
    return {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": common.git_commit(),
        "smoke": args.smoke,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_1m_before": measured["load_before"],
            "load_average_1m_after": round(os.getloadavg()[0], 2),
        },
        "settings": {
            key: getattr(args, key)
            for key in ("agreements", "events_per", "rounds", "seconds", "connections", "workers")
        },
        "seed_seconds": round(fixture.seconds),
        "reused_database": reused,
        "list_pages": measured["list_pages"],
        "summary": summary,
        "rounds": measured["rounds"],
        "checks": found,
        "targets_met": met,
        "problems": problems,
        "valid": not problems,
    }


def write(result: dict[str, Any], directory: Path) -> None:
    directory.mkdir(exist_ok=True)
    (directory / "api.json").write_text(json.dumps(result, indent=2))
    (directory / "api.md").write_text(markdown(result))


def _ms(microseconds: float) -> str:
    return f"{microseconds / 1000:.1f}"


def _figures(result: dict[str, Any]) -> list[str]:
    lines = [
        "| request | p50 ms | p95 ms | req/s | p50 × hello | p95 × hello | req/s × hello "
        "| p95 target | met |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for mode, v in result["summary"].items():
        limit = P95_TARGETS.get(mode)
        verdict = "—" if limit is None else ("yes" if result["targets_met"][mode] else "**no**")
        target = "baseline" if limit is None else f"≤ {limit:g}×"
        lines.append(
            f"| {LABELS[mode]} | {_ms(v['p50_us'])} | {_ms(v['p95_us'])} | {v['rps']:.0f} "
            f"| {v['p50_ratio']:.2f} | {v['p95_ratio']:.2f} | {v['rps_ratio']:.3f} "
            f"| {target} | {verdict} |"
        )
    return lines


def _accounting(result: dict[str, Any]) -> list[str]:
    lines = [
        "| request | HTTP | SQL statements | rows returned (total) | rows (largest) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, r in result["checks"]["requests"].items():
        lines.append(
            f"| {name} | {r['status']} | {r['statements']} "
            f"| {r['select_rows_total']} | {r['select_rows_max']} |"
        )
    return lines


def _plans(result: dict[str, Any]) -> list[str]:
    lines = []
    for e in result["checks"]["explain"]:
        lines += [
            f"`{e['role']}`, page {e['page']} (parameters {e['params']}); "
            f"uses an index: **{'yes' if e['uses_index'] else 'NO'}**",
            "",
            "```sql",
            e["sql"].strip(),
            "```",
            "```",
            e["plan"],
            "```",
            "",
        ]
    return lines


def markdown(result: dict[str, Any]) -> str:
    s, m, chain = result["settings"], result["machine"], result["checks"].get("chain")
    head = [
        "**SMOKE RUN** (tiny sizes, no wrk): these figures mean nothing.\n"
        if result["smoke"]
        else "",
        f"Run {result['when']}, commit `{result['commit']}`, {result['machine']['cpus']} CPUs "
        f"(1-min load average {m['load_average_1m_before']} before the load, "
        f"{m['load_average_1m_after']} after: other work shares the machine), "
        f"{s['agreements']:,} agreements × {s['events_per']} audit events; "
        f"{s['rounds']} interleaved rounds × {s['seconds']} s per request kind, "
        f"`wrk -t1 -c{s['connections']}`, gunicorn {s['workers']} workers each. "
        f"Figures are medians over the rounds. Seeding took {result['seed_seconds']} s"
        + (" (reused database)." if result["reused_database"] else "."),
        "",
        *_figures(result),
        "",
        "Per request (in-process, same database): SQL statements and rows they return.",
        "",
        *_accounting(result),
        "",
    ]
    if chain:
        head += [
            f"Audit chain over {chain['events_checked']:,} events: "
            f"{'valid' if chain['ok'] else 'BROKEN'} (verified in {chain['seconds']} s).",
            "",
        ]
    if result["problems"]:
        head += ["**Invalid run:** " + "; ".join(result["problems"]), ""]
    return "\n".join(head + ["List query plans:", "", *_plans(result)])
