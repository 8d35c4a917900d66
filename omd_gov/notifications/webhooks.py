"""Signed webhooks: the endpoints they may use, and a POST of a CloudEvent
to an endpoint, signed the Standard Webhooks way.

``webhook-signature: v1,<base64 HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<raw body>")>``
where the key is the base64 after the secret's ``whsec_``. A receiver
verifies it with the ``standardwebhooks`` library (``Webhook(secret).verify``
also refuses a timestamp more than five minutes off) and deduplicates on
``webhook-id`` (``msg_<delivery id>``: stable across retries and replays).
docs/WEBHOOKS.md has the recipe.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import urllib.error
import urllib.request
from datetime import datetime
from ipaddress import ip_address
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from standardwebhooks import Webhook

from omd_gov.db import utcnow
from omd_gov.errors import Unprocessable
from omd_gov.notifications.mailer import (
    ConfigurationError,
    PermanentError,
    TransientError,
    counted_attempt,
)
from omd_gov.notifications.redact import redact

CONTENT_TYPE = "application/cloudevents+json"


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
    """``whsec_`` and 32 random bytes in standard base64, the format every
    Standard Webhooks library reads."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, message_id: str, timestamp: datetime, body: bytes) -> str:
    """The ``webhook-signature`` header's value (``v1,<base64>``)."""
    try:
        signer = Webhook(secret)
    except (binascii.Error, ValueError) as error:  # not base64: an operator must fix it
        raise ConfigurationError("the webhook's secret is not whsec_<base64>") from error
    return signer.sign(message_id, timestamp, body.decode())


def message_id(delivery_id: int) -> str:
    return f"msg_{delivery_id}"


def _basic_auth(url: str, headers: dict[str, str]) -> str:
    """urllib ignores a URL's ``user:password@``: send it as HTTP Basic auth."""
    parts = urlsplit(url)
    if parts.username is None:
        return url
    credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    headers["Authorization"] = "Basic " + base64.b64encode(credentials.encode()).decode()
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def post(url: str, secret: str, event: dict[str, Any], delivery_id: int, timeout: float) -> None:
    """POST the signed event. Raises TransientError (network, 5xx, 408, 429),
    PermanentError (other 4xx) or ConfigurationError (a secret that is not
    base64)."""
    body = json.dumps(event, sort_keys=True, separators=(",", ":")).encode()
    msg_id, now = message_id(delivery_id), utcnow()
    headers = {
        "Content-Type": CONTENT_TYPE,
        "User-Agent": "omd-gov-webhooks/2",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": sign(secret, msg_id, now, body),
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
