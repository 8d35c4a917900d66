"""Security headers on every response, and the proxy's scheme for HSTS.

- ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: no-referrer``
  everywhere (feed URLs carry a token: no page should leak its URL onward).
- ``Content-Security-Policy``: API answers get ``default-src 'none'`` (they
  are data, never a page). HTML gets a strict policy: scripts and styles
  from this origin only, and frames only of this origin (the workspace's PDF
  preview; that PDF's own answer allows framing by this origin only). The
  one page with inline code is Swagger UI at ``/docs`` (APIFlask's template
  has an inline ``<script>`` and ``<style>``); that page reflects nothing
  from the request, so its inline blocks are allowed by their sha256
  hashes, never by ``'unsafe-inline'``.
- ``Strict-Transport-Security`` when the request came over HTTPS. Behind a
  reverse proxy that terminates TLS, set ``OMD_PROXY_COUNT`` so the
  ``X-Forwarded-Proto`` of that many proxies is believed (Werkzeug's ProxyFix).
"""

from __future__ import annotations

import base64
import hashlib
import re

from flask import Flask, Response, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
_HTML_POLICY = (
    "default-src 'none'; script-src 'self'{scripts}; style-src 'self'{styles}; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Endpoints whose page is the same for every request (no input reflected).
INLINE_ALLOWED = frozenset({"openapi.docs"})
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL)
_INLINE_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.DOTALL)


def install(app: Flask) -> None:
    proxies = int(app.config["OMD_PROXY_COUNT"])
    if proxies > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )
    app.after_request(_secure)


def _secure(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    if response.mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", html_policy(response))
    else:
        headers.setdefault("Content-Security-Policy", API_POLICY)
    max_age = int(current_app.config["OMD_HSTS_SECONDS"])
    if request.is_secure and max_age > 0:
        headers.setdefault("Strict-Transport-Security", f"max-age={max_age}")
    return response


def html_policy(response: Response) -> str:
    scripts = styles = ""
    if request.endpoint in INLINE_ALLOWED and not response.direct_passthrough:
        page = response.get_data(as_text=True)
        scripts = "".join(f" '{_sha256(block)}'" for block in _INLINE_SCRIPT.findall(page))
        styles = "".join(f" '{_sha256(block)}'" for block in _INLINE_STYLE.findall(page))
    return _HTML_POLICY.format(scripts=scripts, styles=styles)


def _sha256(block: str) -> str:
    digest = hashlib.sha256(block.encode()).digest()
    return "sha256-" + base64.b64encode(digest).decode()
