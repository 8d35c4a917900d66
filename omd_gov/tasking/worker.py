"""The Celery worker's command line, built once: the tests' worker
subprocesses, the reminder benchmark and ``make run`` all start it from here.

    python -m omd_gov.tasking.worker --name NAME [--queue Q] [--pool prefork]
        [--heartbeat-file PATH [--heartbeat-file-seconds 10]] ...

runs ``celery -A celery_worker worker`` with those options in place of this
process (same pid). Start it from the directory that holds ``celery_worker.py``
(the repository: the project is installed in editable mode).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from typing import Any


def worker_argv(
    queue: str | None = None,
    *,
    name: str,
    pool: str = "solo",
    concurrency: int = 1,
    loglevel: str = "INFO",
    heartbeat_file: str | None = None,
    heartbeat_seconds: float | None = None,
) -> list[str]:
    """``python -m celery -A celery_worker worker ...`` consuming ``queue`` (or
    the configured ``OMD_CELERY_QUEUE`` when None). Gossip, mingle and event
    heartbeats are off: each worker works alone, and they only add broker
    traffic and start-up time. Liveness is the ``heartbeat_file``
    (``omd_gov.tasking.heartbeat``)."""
    argv = [sys.executable, "-m", "celery", "-A", "celery_worker", "worker", "-n", name]
    argv += ["--pool", pool, "--concurrency", str(concurrency), "--loglevel", loglevel]
    if queue is not None:
        argv += ["-Q", queue]
    if heartbeat_file is not None:
        argv += ["--heartbeat-file", heartbeat_file]
    if heartbeat_seconds is not None:
        argv += ["--heartbeat-file-seconds", str(heartbeat_seconds)]
    return argv + ["--without-gossip", "--without-mingle", "--without-heartbeat"]


def worker_environment(config: Mapping[str, Any], **overrides: str) -> dict[str, str]:
    """This process's environment, plus every scalar ``OMD_*`` setting and the
    database of ``config`` (an app's config), so a worker started with it is
    configured like that app; ``overrides`` (``OMD_*`` names) win."""
    env = dict(os.environ)
    for key, value in config.items():
        if key.startswith("OMD_") and isinstance(value, str | int | float | bool):
            env[key] = ("1" if value else "0") if isinstance(value, bool) else str(value)
    env["OMD_DATABASE_URL"] = str(config["SQLALCHEMY_DATABASE_URI"])
    env.update(overrides)
    return env


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Start a Celery worker for omd-gov.")
    parser.add_argument("-n", "--name", required=True, help="node name, e.g. omd-1@%%h")
    parser.add_argument("--queue", default=None, help="default: OMD_CELERY_QUEUE")
    parser.add_argument("--pool", default="prefork")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--loglevel", default="INFO")
    parser.add_argument("--heartbeat-file", default=None, help="liveness file (default: none)")
    parser.add_argument("--heartbeat-file-seconds", type=float, default=None)
    args = parser.parse_args(argv)
    command = worker_argv(
        args.queue,
        name=args.name,
        pool=args.pool,
        concurrency=args.concurrency,
        loglevel=args.loglevel,
        heartbeat_file=args.heartbeat_file,
        heartbeat_seconds=args.heartbeat_file_seconds,
    )
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
