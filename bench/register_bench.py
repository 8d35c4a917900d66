"""The public register's feeds (issue 8) on PostgreSQL with 100,000 entries.

The API benchmark's seed (``bench.api_bench``: 100,000 agreements, or the one
it kept, ``--reuse``), every agreement given a register entry by one
``INSERT … SELECT`` (the seed's states are not all signed ones; an entry's
cost does not depend on its status). ``omd-gov serve`` with one worker:

- **memory**: the worker's peak RSS (``VmHWM``) after downloading
  ``/register.json`` and ``/register.csv`` whole, with 1,000 entries and then
  with all of them (a fresh server each time);
- **first byte**: time to the first byte of each feed against the time to
  the whole first page of ``GET /api/v1/agreements`` (the JSON API list), in
  interleaved rounds; target < 2×.

Writes ``bench/results/register.json``.

    .venv/bin/python -m bench.api_bench --keep && .venv/bin/python -m bench.register_bench --reuse
    .venv/bin/python -m bench.register_bench --smoke    # a few seconds
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg

from bench import api_bench, common
from bench.api_seed import Fixture, psycopg_url, recreate_database

SMOKE = {"database": "omd_smoke_register", "agreements": 200, "rounds": 2}
FEEDS = ("/register.json", "/register.csv")
LIST = "/api/v1/agreements?per_page=20"
TARGET = 2.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    api_bench.add_load_options(parser)
    parser.set_defaults(rounds=15, workers=1)
    return common.parse_args(parser, argv, SMOKE)


def publish(url: str, up_to: int | None) -> int:
    """Give the agreements (those with id ≤ ``up_to``, or all) an entry."""
    limit = "" if up_to is None else f"WHERE id <= {int(up_to)}"
    with psycopg.connect(psycopg_url(url), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO register_entries (agreement_id, reference, overrides, published_at,"
            " updated_at, withdrawal_reason, search_text) SELECT id, reference, '{}', now(),"
            f" now(), '', lower(reference || ' ' || title) FROM agreements {limit}"
            " ON CONFLICT (agreement_id) DO NOTHING"
        )
        conn.execute("VACUUM ANALYZE register_entries")
        count = conn.execute("SELECT count(*) FROM register_entries").fetchone()
        return int(count[0]) if count else 0


def get(port: int, path: str, token: str = "", whole: bool = True) -> tuple[float, float, int, int]:
    """(seconds to the first byte, seconds to the last, status, bytes); with
    ``whole`` false the connection is dropped after the first byte."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    started = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    first = response.read(1)
    first_byte = time.perf_counter() - started
    size = len(first) + (len(response.read()) if whole else 0)
    conn.close()
    return first_byte, time.perf_counter() - started, response.status, size


def worker_hwm_kib(master: int) -> int:
    """The peak resident memory of the gunicorn master's (only) worker."""
    children = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True)
    peaks = []
    for pid in children.stdout.split():
        status = Path(f"/proc/{pid}/status").read_text()
        peaks += [int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM")]
    return max(peaks)


def serve(fixture: Fixture, work: Path, port: int) -> Any:
    env = api_bench.server_env(fixture, work) | {"OMD_REGISTER_RATE_LIMIT": "1000000 per minute"}
    command = [str(Path(sys.executable).parent / "omd-gov"), "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", "1", "--threads", "1"]
    return api_bench.serving(command, env, port, work / f"app-{port}.log")


def memory(fixture: Fixture, work: Path) -> dict[str, Any]:
    """Peak RSS after both feeds whole, on a fresh server."""
    port = common.free_port()
    with serve(fixture, work, port) as master:
        downloads = {path: get(port, path) for path in FEEDS}
        return {
            "peak_rss_mib": round(worker_hwm_kib(master) / 1024, 1),
            "bytes": {path: got[3] for path, got in downloads.items()},
            "seconds_whole": {path: round(got[1], 2) for path, got in downloads.items()},
        }


def first_bytes(args: argparse.Namespace, fixture: Fixture, work: Path) -> dict[str, Any]:
    port = common.free_port()
    token = fixture.tokens["legal_officer"]
    times: dict[str, list[float]] = {path: [] for path in (*FEEDS, LIST)}
    with serve(fixture, work, port):
        for path in (*FEEDS, LIST):
            get(port, path, token, whole=False)  # warm
        for _ in range(args.rounds):
            for path in FEEDS:
                times[path].append(get(port, path, whole=False)[0])
            times[LIST].append(get(port, LIST, token)[1])  # the whole first page
    out = {path: round(statistics.median(values) * 1000, 2) for path, values in times.items()}
    return {"median_ms": out, "ratio": {p: round(out[p] / out[LIST], 2) for p in FEEDS}}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = args.server.rstrip("/") + "/" + args.database
    fixture, reused = api_bench.prepare(args, url)
    work = Path(tempfile.mkdtemp(prefix="omd-bench-register-"))
    try:
        with psycopg.connect(psycopg_url(url), autocommit=True) as conn:
            conn.execute("DELETE FROM register_entries")
        small = min(1000, args.agreements // 2)
        result: dict[str, Any] = {"commit": common.git_commit(), "reused": reused}
        result["small"] = {"entries": publish(url, small), **memory(fixture, work)}
        result["large"] = {"entries": publish(url, None), **memory(fixture, work)}
        result["first_byte"] = first_bytes(args, fixture, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if not args.keep:
            recreate_database(url, drop_only=True)
    result["met"] = all(ratio < TARGET for ratio in result["first_byte"]["ratio"].values())
    (common.results_dir(args) / "register.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
