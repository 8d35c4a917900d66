"""The real processes: ``omd-gov serve --workers 2`` and a Celery worker
sharing one ``PROMETHEUS_MULTIPROC_DIR``. One scrape of the web server sums
both gunicorn workers and shows the Celery worker's counts; the request id of
a request reaches the log line of the task it enqueued; logs are JSON lines
without tokens."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import World
from tests.integration.test_cli import CLI
from tests.integration.test_serve import _free_port, _get
from tests.observability_support import METRICS_TOKEN, parse, value
from tests.reminders_support import WorkerProcess, on_broker

LIVE_HITS = 40


@pytest.fixture
def served(app: Any, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str], WorkerProcess]]:
    """A Celery worker and the web server, on the test's database and a
    fresh queue; LibreOffice is "missing", so the worker's conversion fails
    at once (and says so in its log)."""
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    with on_broker(app, "filesystem", tmp_path, OMD_SOFFICE=str(tmp_path / "no-soffice")):
        worker = WorkerProcess(app, tmp_path)
        worker.env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        port = _free_port()
        env = worker.env | {
            "OMD_METRICS_TOKEN": METRICS_TOKEN,
            "OMD_INSTANCE_DIR": str(tmp_path / "web-instance"),
        }
        command = [CLI, "serve", "--port", str(port), "--workers", "2"]
        # Both start at once: the server while the worker gets ready.
        server = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        base = f"http://127.0.0.1:{port}"
        try:
            worker.start()
            deadline = time.monotonic() + 30
            while _get(f"{base}/metrics") != 401:  # not /healthz/live: its hits are counted
                assert server.poll() is None and time.monotonic() < deadline, "no server"
                time.sleep(0.2)
            yield base, server, worker
        finally:
            server.terminate()
            server.wait(15)
            worker.stop()


def _request(url: str, token: str, body: dict[str, Any] | None = None, **headers: str) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    for name, header in headers.items():
        request.add_header(name.replace("_", "-"), header)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.read().decode()


def _wait_for(predicate: Any, what: str, timeout: float = 30) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.1)


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_one_scrape_sums_every_process_and_the_request_id_reaches_the_task(
    world: World, served: tuple[str, subprocess.Popen[str], WorkerProcess]
) -> None:
    base, server, worker = served
    agreement = world.create_agreement()
    request_id = f"e2e-{uuid.uuid4().hex[:12]}"
    documents = f"{base}/api/v1/agreements/{agreement['id']}/documents"
    status, _ = _request(
        documents, world.legal.token, {"kind": "dsa", "language": "en"}, X_Request_ID=request_id
    )
    assert status == 201
    # The web rendered the DSA and enqueued its PDF conversion; the worker
    # runs it under the request's id.
    _wait_for(lambda: f'"request_id": "{request_id}"' in worker.log(), "the task's log line")
    with ThreadPoolExecutor(4) as pool:
        assert set(pool.map(_get, [f"{base}/healthz/live"] * LIVE_HITS)) == {200}
    _, text = _request(f"{base}/metrics", METRICS_TOKEN)
    samples = parse(text)
    live = {"route": "/healthz/live", "method": "GET", "status": "200"}
    assert value(samples, "omd_http_request_duration_seconds_count", **live) == LIVE_HITS
    assert value(samples, "omd_documents_rendered_total", outcome="ok") == 1  # a web worker
    assert value(samples, "omd_pdf_conversions_total", outcome="failed") == 1  # the Celery worker
    server.terminate()
    web_log, _ = server.communicate(timeout=15)
    (line,) = [
        line
        for line in _json_lines(web_log)
        if line["logger"] == "omd_gov.request" and line.get("request_id") == request_id
    ]
    assert line["route"] == "/api/v1/agreements/<int:agreement_id>/documents"
    assert (line["method"], line["status"], line["user_id"]) == ("POST", 201, world.legal.user_id)
    task_lines = [line for line in _json_lines(worker.log()) if line.get("request_id")]
    assert {line["request_id"] for line in task_lines} == {request_id}
    assert any("PDF conversion" in line["message"] for line in task_lines)
    for secret in (world.legal.token, METRICS_TOKEN):
        assert secret not in web_log and secret not in worker.log()
