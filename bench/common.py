"""Small pieces the benchmarks share."""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from omd_gov import create_app
from omd_gov.agreements.lifecycle import State
from omd_gov.agreements.models import Agreement
from omd_gov.auth.models import User
from omd_gov.cooperations.models import Cooperation
from omd_gov.db import db
from omd_gov.migrate import upgrade
from omd_gov.organizations.models import Organization

ROOT = Path(__file__).resolve().parent.parent


def parse_args(
    parser: argparse.ArgumentParser, argv: list[str] | None, smoke: Mapping[str, Any]
) -> argparse.Namespace:
    """Parse a benchmark's options, adding ``--smoke``: the ``smoke`` values
    (tiny sizes, a scratch database) replace the defaults, options given on
    the command line still win. A smoke run checks that the benchmark still
    works (``make test`` runs every one); its figures mean nothing."""
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes, a few seconds: does it still run?"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        parser.set_defaults(**smoke)
        args = parser.parse_args(argv)
    return args


def results_dir(args: argparse.Namespace) -> Path:
    """bench/results/, or bench/results/smoke/ for a smoke run (so that it never
    overwrites real figures)."""
    directory = ROOT / "bench" / "results" / ("smoke" if args.smoke else "")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def migrated_app_on_redis(database_url: str, redis_url: str) -> tuple[Flask, str]:
    """The app on a migrated database, with its own Celery queue and Redis key
    prefix (so a bench never touches anyone else's messages)."""
    queue = f"omd-bench-{uuid.uuid4().hex[:8]}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "bench",
            "OMD_BROKER_URL": redis_url,
            "OMD_CELERY_QUEUE": queue,
            "OMD_BROKER_KEY_PREFIX": f"{queue}:",
        }
    )
    upgrade(app)
    return app, queue


def reference_rows(app: Flask, agreements: int, users: int = 1) -> None:
    """What deadlines hang on, through the ORM: one organisation, ``users``
    legal officers (in turn en/es/pt; the first owns everything), one
    cooperation and ``agreements`` agreements."""
    with app.app_context():
        org = Organization(name="Bench City", kind="municipality", country="PT", tax_id="1")
        db.session.add(org)
        db.session.flush()
        people = [
            User(
                email=f"legal{n}@bench.example",
                name=f"Legal {n}",
                role="legal_officer",
                language=("en", "es", "pt")[n % 3],
                organization_id=org.id,
                token_hash=uuid.uuid4().hex,
            )
            for n in range(users)
        ]
        db.session.add_all(people)
        db.session.flush()
        cooperation = Cooperation(title="Bench", description="", owner_id=people[0].id)
        db.session.add(cooperation)
        db.session.flush()
        db.session.add_all(
            Agreement(
                reference=f"BENCH-{n:05d}",
                title=f"Agreement {n}",
                purpose="bench",
                sharing_model="B2G",
                state=State.DRAFT,
                cooperation_id=cooperation.id,
                owner_id=people[0].id,
            )
            for n in range(agreements)
        )
        db.session.commit()


def drop_queue(redis_url: str, queue: str) -> None:
    """Remove the bench's own broker keys (its queue prefix), nobody else's."""
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{queue}:*"))
    if keys:
        client.delete(*keys)


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile of ``values`` (nearest rank; they need not be sorted)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def git_commit() -> str:
    """The measured commit, for the report."""
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def run_wrk(port: int, connections: int, seconds: int, lua: Path, extra: list[str]) -> dict:
    """One wrk run with a Lua script that prints ``BENCH_JSON {...}`` when done."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    command += ["-s", str(lua), f"http://127.0.0.1:{port}", "--", *extra]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(row for row in output.splitlines() if row.startswith("BENCH_JSON "))
    result: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
    return result
