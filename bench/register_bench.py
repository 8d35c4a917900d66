"""The public register's feeds (issue 8) on PostgreSQL with 100,000 entries.

The API benchmark's seed (``bench.api_bench``: 100,000 agreements, or the one
it kept, ``--reuse``), every agreement given a register entry by one
``INSERT … SELECT`` (the seed's states are not all signed ones; an entry's
cost does not depend on its status). ``omd-gov serve`` with one worker:

- **memory**: the worker's peak RSS (``VmHWM``) after downloading
  ``/register.json`` and ``/register.csv`` whole, with 1,000 entries and then
  with all of them (a fresh server each time);
- **first byte**: time to the first byte (and to the first entry) of each
  feed against the time to the whole first page of ``GET /api/v1/agreements``
  (the JSON API list), in interleaved rounds; target: first byte < 2×.

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

SMOKE = {"database": "omd_smoke_register", "agreements": 200, "rounds": 2, "settle": 0.2}
FEEDS = ("/register.json", "/register.csv")
LIST = "/api/v1/agreements?per_page=20"
TARGET = 2.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    api_bench.add_load_options(parser)
    parser.add_argument("--settle", type=float, default=3.0, help="seconds after a dropped feed")
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


def get(port: int, path: str, token: str = "", whole: bool = True) -> dict[str, Any]:
    """Seconds to the first byte, to the first entry (the first data row of
    the CSV, the first object of the JSON's entries) and to the last byte,
    the status and the size. With ``whole`` false the connection is dropped
    after the first entry."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    started = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    seen = response.read1(65536)
    got = {"first_byte": time.perf_counter() - started, "status": response.status}
    marker = b"\r\n" if path.endswith(".csv") else b'{"reference"'
    while seen.count(marker) < (2 if marker == b"\r\n" else 1) and (chunk := response.read1(65536)):
        seen += chunk
    got["first_entry"] = time.perf_counter() - started
    size = len(seen) + (len(response.read()) if whole else 0)
    conn.close()
    return got | {"last_byte": time.perf_counter() - started, "bytes": size}


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
    # Two threads: gunicorn's threaded worker keeps its heartbeat while one
    # thread streams a feed for minutes (a sync worker is killed at the timeout).
    command += ["--port", str(port), "--workers", "1", "--threads", "2"]
    return api_bench.serving(command, env, port, work / f"app-{port}.log")


def memory(fixture: Fixture, work: Path) -> dict[str, Any]:
    """Peak RSS after both feeds whole, on a fresh server."""
    port = common.free_port()
    with serve(fixture, work, port) as master:
        downloads = {path: get(port, path) for path in FEEDS}
        return {
            "peak_rss_mib": round(worker_hwm_kib(master) / 1024, 1),
            "bytes": {path: got["bytes"] for path, got in downloads.items()},
            "seconds_whole": {path: round(got["last_byte"], 2) for path, got in downloads.items()},
        }


def first_bytes(args: argparse.Namespace, fixture: Fixture, work: Path) -> dict[str, Any]:
    """Interleaved rounds. A feed's connection is dropped after its first
    entry; the worker notices at its next write, after reading its next page
    of entries, so each request waits until the worker is free again."""
    port = common.free_port()
    token = fixture.tokens["legal_officer"]
    kinds = {f"{path} first byte": (path, "first_byte") for path in FEEDS}
    kinds |= {f"{path} first entry": (path, "first_entry") for path in FEEDS}
    times: dict[str, list[float]] = {name: [] for name in (*kinds, LIST)}
    with serve(fixture, work, port):
        for _ in range(args.rounds + 1):  # the first round warms up
            for path in FEEDS:
                got = get(port, path, whole=False)
                for name, (kind_path, key) in kinds.items():
                    if kind_path == path:
                        times[name].append(got[key])
                time.sleep(args.settle)
            times[LIST].append(get(port, LIST, token)["last_byte"])  # the whole first page
    medians = {name: round(statistics.median(v[1:]) * 1000, 2) for name, v in times.items()}
    ratios = {name: round(medians[name] / medians[LIST], 2) for name in kinds}
    return {"median_ms": medians, "ratio_to_list_page": ratios}


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
    byte_ratios = [v for k, v in result["first_byte"]["ratio_to_list_page"].items() if "byte" in k]
    result["met"] = all(ratio < TARGET for ratio in byte_ratios)
    (common.results_dir(args) / "register.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
