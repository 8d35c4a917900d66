"""Security headers on every kind of response; a strict CSP that still lets
Swagger UI at /docs load; HSTS only over HTTPS."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from omd_gov import create_app
from tests.integration.conftest import World

COMMON = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def _assert_common(response: Any) -> None:
    for name, expected in COMMON.items():
        assert response.headers.get(name) == expected, (name, response.status_code)
    policy = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy


def test_json_problem_and_not_found_responses(world: World, client: Any) -> None:
    ok = world.api.as_(world.legal).get("/api/v1/agreements")
    unauthorized = client.get("/api/v1/agreements")
    invalid = world.api.as_(world.data_officer).post("/api/v1/agreements", json={})
    missing = client.get("/no/such/page")
    assert (ok.status_code, ok.mimetype) == (200, "application/json")
    for response, status in ((unauthorized, 401), (invalid, 422), (missing, 404)):
        assert (response.status_code, response.mimetype) == (status, "application/problem+json")
    for response in (ok, unauthorized, invalid, missing):
        _assert_common(response)
        assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert "Strict-Transport-Security" not in response.headers


def _sha256(block: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(block.encode()).digest()).decode() + "'"


def test_docs_page_is_html_under_a_strict_policy_that_allows_its_own_code(client: Any) -> None:
    page = client.get("/docs")
    assert (page.status_code, page.mimetype) == (200, "text/html")
    _assert_common(page)
    policy = dict(
        part.strip().split(" ", 1) for part in page.headers["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'none'"
    html = page.get_data(as_text=True)
    inline_scripts = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    inline_styles = re.findall(r"<style>(.*?)</style>", html, re.DOTALL)
    assert inline_scripts and inline_styles
    # Each inline block is allowed by its hash, and nothing else inline is.
    assert policy["script-src"].split() == ["'self'", *map(_sha256, inline_scripts)]
    assert policy["style-src"].split() == ["'self'", *map(_sha256, inline_styles)]
    # Everything else the page loads comes from this origin, and is there.
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(asset.startswith("/docs/assets/") for asset in assets)
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        _assert_common(response)
    # The page reads the document it describes from this origin too.
    assert "'self'" in policy["connect-src"] and client.get("/openapi.json").status_code == 200


def test_hsts_only_over_https(client: Any) -> None:
    assert "Strict-Transport-Security" not in client.get("/healthz/live").headers
    secure = client.get("/healthz/live", base_url="https://omd.test")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    # A forwarded scheme is believed only from configured proxies.
    forwarded = client.get("/healthz/live", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in forwarded.headers


def test_behind_a_configured_proxy_its_forwarded_scheme_counts(app: Any) -> None:
    proxied = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "OMD_PROXY_COUNT": 1,
        }
    )
    response = proxied.test_client().get("/healthz/live", headers={"X-Forwarded-Proto": "https"})
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
