"""Reminder throughput benchmark (issue 4): reminders delivered per second to
a local SMTP server by 2 worker processes on Redis, on PostgreSQL.

Each round seeds N due reminders (one recipient each), runs the sweep, and
times until the N-th e-mail reaches the SMTP server (aiosmtpd, in this
process): sweep -> claim task -> notification + delivery -> deliver task ->
SMTP. The baseline, in the same run and interleaved with it, sends the same
number of messages (built by ``omd_gov.notifications.mailer``) straight to
the same server from 2 threads: no broker, no database.

    .venv/bin/python -m bench.reminder_bench          # about 1 minute
    .venv/bin/python -m bench.reminder_bench --smoke  # a few seconds: does it still run?
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import psycopg

from bench import common
from bench.api_seed import psycopg_url, recreate_database
from bench.common import ROOT, drop_queue, free_port, migrated_app_on_redis
from omd_gov.db import db
from omd_gov.deadlines.sweep import sweep
from omd_gov.notifications import mailer
from omd_gov.tasking.worker import worker_argv, worker_environment

AGREEMENTS = 500
SMOKE = {"database": "omd_smoke_reminders", "reminders": 20, "rounds": 1, "workers": 1, "wait": 60}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/")
    parser.add_argument("--database", default="omd_bench_reminders")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--reminders", type=int, default=500, help="per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="worker processes (prefork)")
    parser.add_argument("--wait", type=float, default=300, help="seconds a round may take")
    return common.parse_args(parser, argv, SMOKE)


class Counter:
    """The SMTP server's handler: counts accepted messages."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, _server: Any, _session: Any, _envelope: Any) -> str:  # noqa: N802
        with self.lock:
            self.count += 1
        return "250 OK"

    def wait_for(
        self, target: int, timeout: float, check: Callable[[], None] | None = None
    ) -> None:
        """Until ``target`` messages arrived; ``check`` raises if waiting is pointless."""
        end = time.monotonic() + timeout
        while self.count < target:
            if time.monotonic() > end:
                raise TimeoutError(f"{self.count}/{target} messages after {timeout}s")
            if check is not None:
                check()
            time.sleep(0.005)


def _seed_due(url: str, count: int) -> None:
    """``count`` open deadlines, each with one due start notice to one user."""
    with psycopg.connect(psycopg_url(url), autocommit=True) as conn:
        conn.execute(
            """WITH users AS (SELECT array_agg(id ORDER BY id) AS ids FROM users),
            made AS (
              INSERT INTO deadlines (agreement_id, kind, assignee_id, starts_on, due_on, status,
                                     revision, opened_at, created_at)
              SELECT (SELECT min(id) FROM agreements) + mod(g, %(agreements)s::int), 'legal_review',
                     ids[1 + mod(g, array_length(ids, 1))], current_date, current_date + 14,
                     'open', 1, now(), now()
              FROM users, generate_series(1, %(count)s::int) AS g
              RETURNING id)
            INSERT INTO reminders (deadline_id, kind, step, scheduled_for, status, created_at)
            SELECT id, 'start', 'start.r1', now() - interval '1 minute', 'scheduled', now()
            FROM made""",
            {"count": count, "agreements": AGREEMENTS},
        )


class Workers:
    """``args.workers`` worker processes (one prefork worker) on the bench's queue."""

    def __init__(self, app: Any, args: argparse.Namespace, smtp_url: str, instance: str):
        env = worker_environment(
            app.config, OMD_SMTP_URL=smtp_url, OMD_SECRET_KEY="bench", OMD_INSTANCE_DIR=instance
        )
        command = worker_argv(
            app.config["OMD_CELERY_QUEUE"],
            name=f"bench-{uuid.uuid4().hex[:6]}@%h",
            pool="prefork",
            concurrency=args.workers,
            loglevel=os.environ.get("BENCH_WORKER_LOGLEVEL", "WARNING"),
        )
        self.log = Path(instance) / "worker.log"
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT
        )
        time.sleep(6)  # imports + pool start; a warm-up round follows anyway
        self.check()

    def check(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"the worker exited:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


def _pipeline_round(
    app: Any, url: str, counter: Counter, count: int, workers: Workers, wait: float
) -> float:
    _seed_due(url, count)
    target = counter.count + count
    start = time.perf_counter()
    with app.app_context():
        sweep(db.session, app.config)
    try:
        counter.wait_for(target, wait, workers.check)
    except TimeoutError:
        with psycopg.connect(psycopg_url(url)) as conn:
            states = conn.execute(
                "SELECT status, count(*), max(last_error) FROM deliveries GROUP BY status"
            ).fetchall()
        raise TimeoutError(f"deliveries by status: {states}") from None
    return count / (time.perf_counter() - start)


def _baseline_round(app: Any, port: int, counter: Counter, count: int, wait: float) -> float:
    settings = mailer.parse_smtp_url(f"smtp://127.0.0.1:{port}")
    note = SimpleNamespace(
        id=0,
        subject="Bench",
        body="Hello\n\nOpen: https://x/agreements/1",
        link="https://x/agreements/1",
        language="en",
        topic="legal_review.start",
    )
    message = mailer.build_message(note, "Legal", "legal0@bench.example", app.config, "BENCH-1")
    target = counter.count + count

    def send(share: int) -> None:
        for _ in range(share):
            mailer.send(message, settings)

    start = time.perf_counter()
    threads = [threading.Thread(target=send, args=(count // 2,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counter.wait_for(target - count % 2, wait)
    return (count - count % 2) / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> None:
    from aiosmtpd.controller import Controller

    args = parse_args(argv)
    url = args.server.rstrip("/") + "/" + args.database
    recreate_database(url)
    instance = os.environ.get("BENCH_INSTANCE") or tempfile.mkdtemp(prefix="omd-bench-")
    app, queue = migrated_app_on_redis(url, args.redis)
    common.reference_rows(app, AGREEMENTS, users=10)
    counter = Counter()
    port = free_port()
    smtp = Controller(counter, hostname="127.0.0.1", port=port)
    smtp.start()
    workers: Workers | None = None
    try:
        workers = Workers(app, args, f"smtp://127.0.0.1:{port}", instance)
        # warm-up: connections, imports, plans
        _pipeline_round(app, url, counter, min(50, args.reminders), workers, args.wait)
        pipeline, baseline = [], []
        for _ in range(args.rounds):
            baseline.append(_baseline_round(app, port, counter, args.reminders, args.wait))
            pipeline.append(_pipeline_round(app, url, counter, args.reminders, workers, args.wait))
            print(f"baseline {baseline[-1]:.0f} msg/s, reminders {pipeline[-1]:.0f}/s", flush=True)
        _report(args, statistics.median(pipeline), statistics.median(baseline))
    finally:
        if workers is not None:
            workers.stop()
        smtp.stop()
        drop_queue(args.redis, queue)
        with app.app_context():
            db.engine.dispose()
        recreate_database(url, drop_only=True)


def _report(args: argparse.Namespace, pipeline: float, baseline: float) -> None:
    figures = {
        "reminders_per_round": args.reminders,
        "workers": args.workers,
        "rounds": args.rounds,
        "reminders_per_second": pipeline,
        "bare_smtp_per_second": baseline,
        "ratio": pipeline / baseline,
    }
    (common.results_dir(args) / "reminder_bench.json").write_text(json.dumps(figures, indent=2))
    print("\n| workers | reminders/round | reminders/s (median) | bare SMTP msg/s | ratio |")
    print("|---:|---:|---:|---:|---:|")
    print(
        f"| {args.workers} | {args.reminders} | {pipeline:.0f} | {baseline:.0f} | "
        f"{pipeline / baseline:.2f}x |"
    )


if __name__ == "__main__":
    main()
