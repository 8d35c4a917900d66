"""Signed webhooks: the endpoints they may use, and a POST of a JSON event to
an organisation's endpoint.

The receiver verifies ``X-OMD-Signature: t=<unix time>,v1=<hex>`` where
``v1 = HMAC-SHA256(secret, "<t>.<raw body>")``, rejects stale ``t`` (replays),
and may deduplicate on ``X-OMD-Delivery`` (stable across retries).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from ipaddress import ip_address
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from omd_gov.db import utcnow
from omd_gov.errors import Unprocessable
from omd_gov.notifications.mailer import PermanentError, TransientError, counted_attempt
from omd_gov.notifications.redact import redact

SIGNATURE_HEADER = "X-OMD-Signature"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def check_webhook_url(url: str, demo: bool) -> None:
    """Payloads travel over TLS: plain http only in demo mode or to this host."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing it is the check (a bad port raises)
    except ValueError as error:  # e.g. an unclosed IPv6 bracket
        raise Unprocessable(
            "invalid webhook URL", [{"field": "url", "message": f"not a URL: {error}"}]
        ) from error
    if not parts.hostname:
        raise Unprocessable("invalid webhook URL", [{"field": "url", "message": "no host"}])
    if parts.scheme != "https" and not (demo or _loopback(parts.hostname)):
        raise Unprocessable(
            "webhooks must use https",
            [{"field": "url", "message": "https only (http: demo mode or loopback hosts)"}],
        )


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    """What a receiver does (and what the tests use)."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


def _basic_auth(url: str, headers: dict[str, str]) -> str:
    """urllib ignores a URL's ``user:password@``: send it as HTTP Basic auth."""
    parts = urlsplit(url)
    if parts.username is None:
        return url
    credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    headers["Authorization"] = "Basic " + base64.b64encode(credentials.encode()).decode()
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def post(url: str, secret: str, event: dict[str, Any], delivery_id: int, timeout: float) -> None:
    """POST the signed event. Raises TransientError (network, 5xx, 408, 429)
    or PermanentError (other 4xx)."""
    body = json.dumps(event, sort_keys=True, separators=(",", ":")).encode()
    timestamp = int(utcnow().timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "omd-gov-webhooks/1",
        "X-OMD-Event": str(event.get("type", "")),
        "X-OMD-Delivery": str(delivery_id),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
    }
    url = _basic_auth(url, headers)
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    with counted_attempt("webhook"):
        _post(request, timeout)


def _post(request: urllib.request.Request, timeout: float) -> None:
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            response.read(1024)
    except urllib.error.HTTPError as error:
        if 400 <= error.code < 500 and error.code not in (408, 429):
            raise PermanentError(f"webhook answered HTTP {error.code}") from error
        raise TransientError(f"webhook answered HTTP {error.code}") from error
    except (OSError, ValueError) as error:
        raise TransientError(redact(f"{type(error).__name__}: {error}")) from error
