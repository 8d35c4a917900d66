"""``omd-gov serve``: gunicorn serves the app, and its access log never
records query strings (the calendar feed's secret token travels there)."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_cli import CLI, _env, _fresh_database, run


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except urllib.error.URLError:
        return 0  # not listening yet


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    for url in _fresh_database(tmp_path):
        env = _env(url, tmp_path)
        assert run(env, "init").returncode == 0
        port = _free_port()
        server = subprocess.Popen(
            [CLI, "serve", "--port", str(port), "--workers", "1"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while _get(f"{base}/openapi.json") != 200:
                assert server.poll() is None and time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
            yield base, server
        finally:
            server.terminate()
            server.wait(10)


def test_serve_answers_and_keeps_secrets_out_of_the_access_log(
    served: tuple[str, subprocess.Popen[str]],
) -> None:
    base, server = served
    assert _get(f"{base}/api/v1/agreements") == 401
    _get(f"{base}/api/v1/calendar.ics?token=ics_very-secret-token")
    server.terminate()
    log, _ = server.communicate(timeout=10)
    assert "/api/v1/calendar.ics" in log and "/api/v1/agreements" in log
    assert "very-secret-token" not in log
