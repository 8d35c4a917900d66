"""Where the API's time goes: sample both gunicorn workers with py-spy while
wrk drives one request kind, then break the samples down by layer (driver,
SQLAlchemy, marshmallow, ...) and by step of the request (auth, loading,
transition, commit, serialising).

Not part of a full ``bench/run.sh``; run it after ``api_bench --keep``:

    .venv/bin/python -m bench.api_profile --reuse --keep
    .venv/bin/python -m bench.api_profile --smoke    # its own tiny database, no wrk
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench import api_bench

# (marker found in a frame's file path, layer); the frame nearest the leaf wins.
LAYERS = (
    ("psycopg/", "PostgreSQL driver, incl. waiting for the server"),
    ("sqlalchemy/", "SQLAlchemy ORM and Core"),
    ("marshmallow/", "marshmallow / webargs / apiflask"),
    ("webargs/", "marshmallow / webargs / apiflask"),
    ("apiflask/", "marshmallow / webargs / apiflask"),
    ("transitions/", "transitions (state machine)"),
    ("omd_gov/", "omd_gov's own code"),
    ("flask", "Flask / Werkzeug"),
    ("werkzeug/", "Flask / Werkzeug"),
    ("gunicorn/", "gunicorn (HTTP, sockets)"),
)
# (marker anywhere in the stack, step); the first listed marker that matches wins.
STEPS = (
    ("_checkout (sqlalchemy/pool", "connection checkout (pool_pre_ping)"),
    ("_verify (omd_gov/auth/security.py", "authentication (token lookup)"),
    ("commit (sqlalchemy/orm/session.py", "commit"),
    ("get_visible (omd_gov/", "loading the agreement (get_visible)"),
    ("list_visible (omd_gov/", "loading the page (list_visible)"),
    ("run_before (omd_gov/agreements/hooks.py", "transition hooks (documents, deadlines, ...)"),
    ("run_after (omd_gov/agreements/hooks.py", "transition hooks (documents, deadlines, ...)"),
    ("record (omd_gov/audit/chain.py", "audit event (locks the chain head)"),
    ("facts_for (omd_gov/agreements/hooks.py", "guards"),
    ("unmet_conditions (omd_gov/agreements/rules.py", "guards"),
    ("transition (omd_gov/agreements/transitions.py", "state change (flush, version check)"),
    ("detail_extras (omd_gov/agreements/hooks.py", "the agreement's deadlines (detail view)"),
    (
        "agreement_response (omd_gov/",
        "building the answer (allowed triggers, detail extras, serialising)",
    ),
    ("_response (apiflask/", "serialising the page"),
    ("remove (sqlalchemy/orm/scoping.py", "end of request (session close/rollback)"),
)
IDLE = "SyncWorker.wait (gunicorn"  # a sync worker blocked in select(), waiting for a request


def classify(frames: list[str]) -> tuple[str, str] | None:
    """(layer, step) of one sample, or None when the worker was idle."""
    if frames[-1].startswith(IDLE):
        return None
    layer = next(
        (name for frame in reversed(frames) for marker, name in LAYERS if marker in frame),
        "other (stdlib)",
    )
    stack = ";".join(frames)
    step = next((name for marker, name in STEPS if marker in stack), "framework (routing, I/O)")
    return layer, step


def breakdown(files: list[Path]) -> tuple[Counter[str], Counter[str]]:
    layers: Counter[str] = Counter()
    steps: Counter[str] = Counter()
    for path in files:
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            found = classify(stack.split(";"))
            if found:
                layers[found[0]] += int(count)
                steps[found[1]] += int(count)
    return layers, steps


def table(title: str, counts: Counter[str]) -> str:
    total = sum(counts.values()) or 1
    rows = [f"| {title} | share of busy samples |", "|---|---:|"]
    rows += [f"| {name} | {n / total:.0%} |" for name, n in counts.most_common()]
    return "\n".join(rows)


def profile_mode(args: argparse.Namespace, port: int, master: int, mode: str, work: Path) -> str:
    workers = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    files, spies = [], []
    for pid in workers:
        out = work / f"{mode}_{pid}.txt"
        files.append(out)
        spies.append(
            subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "py-spy"),
                    "record",
                    "--pid",
                    pid,
                    "--duration",
                    str(args.seconds),
                    "--rate",
                    "250",
                    "--idle",
                    "--format",
                    "raw",
                    "--output",
                    str(out),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    extra = args.plan[mode] + [str(args.ids_file), "99"]
    result = api_bench.load(port, args, mode, extra, args.seconds + 1)
    for spy in spies:
        spy.wait(timeout=60)
    layers, steps = breakdown([f for f in files if f.exists()])
    head = f"### {mode}: p50 {result['p50_us'] / 1000:.1f} ms, {result['rps']:.0f} req/s"
    return "\n\n".join([head, table("layer", layers), table("step", steps)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="py-spy breakdown of the API benchmark")
    parser.add_argument("--modes", nargs="+", default=["detail", "list", "transition"])
    args = api_bench.parse_args(argv, parser)  # --seconds: how long to sample each kind
    fixture, _ = api_bench.prepare(args, args.server.rstrip("/") + "/" + args.database)
    work = Path(tempfile.mkdtemp(prefix="omd-bench-profile-"))
    token = fixture.tokens["data_officer"]
    pages = api_bench.active_pages(fixture.url)
    id_files, _ = api_bench.transition_ids(fixture.url, 1, work)
    args.ids_file = id_files[0]
    args.plan = {
        "detail": [token, str(fixture.agreements)],
        "list": [token, str(pages)],
        "transition": [token, "1"],
    }
    port = api_bench.free_port()
    env = api_bench.server_env(fixture, work)
    command = [
        str(Path(sys.executable).parent / "omd-gov"),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(args.workers),
    ]
    try:
        with api_bench.serving(command, env, port, work / "app.log") as master:
            api_bench.load(port, args, "detail", args.plan["detail"] + ["-", "1"], 2)  # warm up
            for mode in args.modes:
                print(profile_mode(args, port, master, mode, work), "\n", flush=True)
    finally:
        if not args.keep:
            api_bench.recreate_database(fixture.url, drop_only=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
