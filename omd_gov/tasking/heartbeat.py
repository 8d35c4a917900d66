"""The worker's liveness, checked without the broker: a heartbeat file.

A worker started with ``--heartbeat-file PATH`` touches ``PATH`` every
``--heartbeat-file-seconds`` (default 10) while its consumer runs, and
removes it when it shuts down. The touch is run *by the consumer's own
loop*: a timer asks for it, the loop performs it (on RabbitMQ and Redis the
timer is the loop's own; on the embedded broker a timer thread queues the
touch as a pending operation that only the loop runs). So a worker that is
frozen, deadlocked or stuck in its loop stops touching the file, although
the process is still there.

    python -m omd_gov.tasking.heartbeat --check PATH --max-age 60

exits 0 when ``PATH`` was touched within ``--max-age`` seconds, 1 otherwise,
with a one-line reason: a Kubernetes exec probe or a systemd watchdog needs
nothing else (no ``celery inspect ping``, which needs the broker and a
responsive remote-control channel).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import click
from celery import Celery, bootsteps

DEFAULT_SECONDS = 10.0


class Heartbeat(bootsteps.StartStopStep):
    """A consumer bootstep: after the task consumer, so it beats only while
    tasks can be received."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(
        self,
        parent: Any,
        heartbeat_file: str | None = None,
        heartbeat_file_seconds: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(parent, **kwargs)
        self.path = Path(heartbeat_file) if heartbeat_file else None
        self.seconds = float(heartbeat_file_seconds or DEFAULT_SECONDS)
        self.timer_entry: Any = None
        self.queued = False

    def include_if(self, parent: Any) -> bool:
        return self.path is not None

    def start(self, parent: Any) -> None:
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._ask(parent)  # the first beat, as soon as the loop runs
        self.timer_entry = parent.timer.call_repeatedly(self.seconds, self._ask, (parent,))

    def _ask(self, consumer: Any) -> None:
        # One touch waits at a time: a stuck loop does not pile them up.
        if not self.queued:
            self.queued = True
            consumer.call_soon(self._touch)

    def _touch(self) -> None:
        self.queued = False
        if self.path is not None:
            self.path.touch()

    def stop(self, parent: Any) -> None:
        """The consumer stops (e.g. to reconnect): the file goes stale."""
        if self.timer_entry is not None:
            self.timer_entry.cancel()
            self.timer_entry = None
        self.queued = False

    def shutdown(self, parent: Any) -> None:
        """The worker shuts down: no file, so nobody mistakes it for alive."""
        self.stop(parent)
        if self.path is not None:
            self.path.unlink(missing_ok=True)


def install(celery: Celery) -> None:
    """Add the step and its two ``celery worker`` options to ``celery``."""
    celery.user_options["worker"].add(
        click.Option(
            ["--heartbeat-file"],
            default=None,
            help="touch this file while the consumer runs (liveness probe)",
        )
    )
    celery.user_options["worker"].add(
        click.Option(
            ["--heartbeat-file-seconds"],
            type=float,
            default=DEFAULT_SECONDS,
            help="how often the heartbeat file is touched",
        )
    )
    celery.steps["consumer"].add(Heartbeat)


def check(path: Path, max_age: float, now: float | None = None) -> tuple[bool, str]:
    """Whether the heartbeat at ``path`` is fresh, and a one-line reason."""
    try:
        age = (time.time() if now is None else now) - path.stat().st_mtime
    except FileNotFoundError:
        return False, f"dead: {path} is absent (worker not started, or shut down)"
    if age > max_age:
        return False, f"dead: {path} last touched {age:.1f}s ago (more than {max_age:g}s)"
    return True, f"alive: {path} touched {age:.1f}s ago"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a worker's heartbeat file.")
    parser.add_argument("--check", required=True, type=Path, metavar="FILE")
    parser.add_argument("--max-age", type=float, default=60.0, help="seconds (default 60)")
    args = parser.parse_args(argv)
    ok, reason = check(args.check, args.max_age)
    print(reason)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
