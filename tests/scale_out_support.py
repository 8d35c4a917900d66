"""Real processes for the scale-out tests: ``omd-gov serve`` instances and
Celery workers (with heartbeat files) started as an operator would, an HTTP
client for the served instances, and requests released at once from threads.

The scale-out test always runs on PostgreSQL (SQLite is single-host): a
scratch database next to ``OMD_TEST_DATABASE_URL`` when that is PostgreSQL,
else next to ``OMD_TEST_PG_URL`` (``scripts/test.sh`` sets it), else the local
server. An unreachable server fails the test; it is never skipped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omd_gov import create_app
from omd_gov.audit.signing import generate_private_key
from omd_gov.db import db
from omd_gov.migrate import upgrade
from omd_gov.tasking.heartbeat import check
from omd_gov.tasking.worker import worker_argv, worker_environment
from tests.conftest import _postgres_database
from tests.factories import Account
from tests.reminders_support import free_port

REPO = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).parent / "omd-gov")
LOCAL_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
HEARTBEAT_SECONDS = 0.2  # how often the test workers touch their heartbeat files


def postgres_base_url() -> str:
    suite = os.environ.get("OMD_TEST_DATABASE_URL", "")
    if suite.startswith("postgresql"):
        return suite
    return os.environ.get("OMD_TEST_PG_URL") or LOCAL_PG


def postgres_app(directory: Path) -> Iterator[Any]:
    """A migrated app on a scratch PostgreSQL database, dropped afterwards."""
    key = directory / "audit-signing-key.pem"
    generate_private_key(key)
    for url in _postgres_database(postgres_base_url()):
        application = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": url,
                "SECRET_KEY": "scale-out-secret",
                "OMD_STORAGE_DIR": str(directory / "storage"),  # shared by every process
                "OMD_BROKER_URL": f"filesystem://{directory / 'broker'}",
                "OMD_AUDIT_SIGNING_KEY": str(key),
            }
        )
        upgrade(application)
        yield application
        with application.app_context():
            db.engine.dispose()


@dataclass
class Reply:
    status_code: int
    json: Any
    headers: dict[str, str]


@dataclass
class HttpApi:
    """``HttpApi(base).as_(account).patch(url, json=..., headers=...)`` against a
    served instance, answering like the test client (status_code, json)."""

    base: str
    account: Account | None = None

    def as_(self, account: Account) -> HttpApi:
        return HttpApi(self.base, account)

    def request(self, method: str, url: str, body: Any = None, **headers: str) -> Reply:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + url, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        for name, value in {**(self.account.headers if self.account else {}), **headers}.items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw, got = response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as error:
            status, raw, got = error.code, error.read(), dict(error.headers)
        return Reply(status, json.loads(raw) if raw else None, got)

    def get(self, url: str) -> Reply:
        return self.request("GET", url)

    def post(self, url: str, json: Any) -> Reply:
        return self.request("POST", url, json)

    def patch(self, url: str, json: Any, **headers: str) -> Reply:
        return self.request("PATCH", url, json, **headers)


@dataclass
class Process:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    heartbeat: Path | None = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self, max_age: float) -> bool:
        assert self.heartbeat is not None
        return check(self.heartbeat, max_age)[0]

    def signal(self, signum: int) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signum)

    def end(self) -> None:
        """Tests need no graceful drain: SIGKILL to its process group (a serve
        instance's gunicorn workers too), after SIGCONT in case it was frozen."""
        for signum in (signal.SIGCONT, signal.SIGKILL):
            with suppress(ProcessLookupError):  # the whole group is gone already
                os.killpg(self.process.pid, signum)
        self.process.wait(10)


@dataclass
class Cluster:
    """Processes started in one go, killed together on exit."""

    env: dict[str, str]
    directory: Path
    processes: list[Process] = field(default_factory=list)

    def _spawn(self, name: str, command: list[str], heartbeat: Path | None = None) -> Process:
        log_path = self.directory / f"{name}.log"
        with log_path.open("ab") as log:
            popen = subprocess.Popen(
                command, cwd=REPO, env=self.env, stdout=log, stderr=log, start_new_session=True
            )
        process = Process(name, popen, log_path, heartbeat)
        self.processes.append(process)
        return process

    def worker(self, name: str) -> Process:
        heartbeat = self.directory / f"{name}.alive"
        command = worker_argv(
            self.env["OMD_CELERY_QUEUE"],
            name=f"{name}-{uuid.uuid4().hex[:4]}@%h",
            heartbeat_file=str(heartbeat),
            heartbeat_seconds=HEARTBEAT_SECONDS,
        )
        return self._spawn(name, command, heartbeat)

    def web(self, name: str) -> tuple[Process, HttpApi]:
        port = free_port()
        command = [CLI, "serve", "--port", str(port), "--workers", "2"]
        return self._spawn(name, command), HttpApi(f"http://127.0.0.1:{port}")

    def wait(self, ready: Callable[[Process], bool], *processes: Process) -> None:
        deadline = time.monotonic() + 90
        waiting = list(processes)
        while waiting:
            waiting = [p for p in waiting if not ready(p)]
            for process in waiting:
                failed = process.process.poll() is not None or time.monotonic() > deadline
                assert not failed, f"{process.name} did not start:\n{process.log()[-3000:]}"
            time.sleep(0.1)

    def tails(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.log()[-2000:]}" for p in self.processes)


@contextmanager
def cluster(app: Any, directory: Path) -> Iterator[Cluster]:
    """Processes configured like ``app`` (same database, broker, queue and
    storage), all killed on exit."""
    env = worker_environment(
        app.config,
        OMD_SECRET_KEY="scale-out-secret",
        OMD_INSTANCE_DIR=str(directory / "instance"),
    )
    group = Cluster(env, directory)
    try:
        yield group
    finally:
        for process in group.processes:
            process.end()


def web_ready(api: HttpApi) -> Callable[[Process], bool]:
    def ready(_process: Process) -> bool:
        try:
            return api.get("/api/v1/agreements").status_code == 401  # served, and cheap
        except OSError:
            return False  # not listening yet

    return ready


def heartbeat_seen(process: Process) -> bool:
    """The first beat comes from the consumer's loop: the worker consumes."""
    return process.alive(max_age=30)


def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
