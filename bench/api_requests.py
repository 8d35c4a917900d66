"""The request mix of ``api_wrk.lua`` in Python, for smoke runs (which need no
wrk): a few real HTTP requests of one kind, one after the other, summed up
with the keys of the Lua script's ``done()``, so that everything after the
load step (summary, checks, report) runs as in a full run.

Arguments as for the Lua script: TOKEN UPPER [IDS_FILE] [SEED]; for the web
pages' modes (dashboard, workspace) TOKEN is a session cookie.
"""

from __future__ import annotations

import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import percentile

TRANSITION = b'{"trigger": "submit", "comment": "bench"}'
WEB_MODES = ("dashboard", "workspace")  # signed in by a session cookie, not a token


def _request(mode: str, upper: int, ids: list[str], n: int, rng: random.Random) -> tuple:
    """(method, path, body) of the ``n``-th request, as ``request()`` in the Lua script."""
    if mode == "detail":
        return "GET", f"/api/v1/agreements/{rng.randint(1, upper)}", None
    if mode == "workspace":
        return "GET", f"/agreements/{rng.randint(1, upper)}", None
    if mode == "list":
        return "GET", f"/api/v1/agreements?state=active&page={rng.randint(1, upper)}", None
    if mode == "transition":
        return "POST", f"/api/v1/agreements/{ids[n % len(ids)]}/transitions", TRANSITION
    return "GET", "/", None


def drive(port: int, mode: str, arguments: list[str], requests: int) -> dict[str, Any]:
    """``requests`` requests of ``mode``; the result has the keys wrk's run gives."""
    token, upper = arguments[0], int(arguments[1])
    ids_file = arguments[2] if len(arguments) > 2 else "-"
    rng = random.Random(int(arguments[3]) if len(arguments) > 3 else 1)
    ids = Path(ids_file).read_text().split() if mode == "transition" else []

    def make(n: int) -> tuple:
        return _request(mode, upper, ids, n, rng)

    return send_all(port, token, requests, make, cookie=mode in WEB_MODES)


def send_all(
    port: int,
    token: str,
    requests: int,
    make: Callable[[int], tuple[str, str, bytes | None]],
    *,
    cookie: bool = False,
) -> dict[str, Any]:
    """Send ``make(n)`` (method, path, body) for n < ``requests``, one after the
    other; sum them up with the keys of wrk's run. ``cookie``: ``token`` is a
    web session cookie rather than a bearer token."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if cookie:
        headers = {"Cookie": f"session={token}"}
    latencies: list[float] = []
    errors = {"errors_status": 0, "errors_socket": 0}
    started = time.perf_counter()
    for n in range(requests):
        method, path, body = make(n)
        url = f"http://127.0.0.1:{port}{path}"
        sent = time.perf_counter()
        try:
            request = urllib.request.Request(url, data=body, method=method, headers=headers)
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
        except urllib.error.HTTPError:
            errors["errors_status"] += 1
        except OSError:
            errors["errors_socket"] += 1
        latencies.append((time.perf_counter() - sent) * 1e6)
    return {
        "requests": requests,
        "duration_us": int((time.perf_counter() - started) * 1e6),
        "p50_us": int(percentile(latencies, 0.50)),
        "p95_us": int(percentile(latencies, 0.95)),
        "p99_us": int(percentile(latencies, 0.99)),
        "max_us": int(max(latencies)),
        **errors,
    }
