"""Request limits (Flask-Limiter), in Redis when ``OMD_RATELIMIT_STORAGE_URL``
is set (shared by every process) and in memory otherwise: sign-in failures
(``web.throttle``) and the public register's reads, per address."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Flask, Response, current_app
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address

from omd_gov.errors import problem

F = TypeVar("F", bound=Callable[..., Any])
limiter = Limiter(key_func=get_remote_address, headers_enabled=False)


def install(app: Flask) -> None:
    app.config["RATELIMIT_STORAGE_URI"] = app.config["OMD_RATELIMIT_STORAGE_URL"] or "memory://"
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "omd")
    limiter.init_app(app)


def _public_limit() -> str:
    return str(current_app.config["OMD_REGISTER_RATE_LIMIT"])


def _slow_down(limit: RequestLimit) -> Response:
    detail = f"at most {limit.limit} from one address"
    response = problem(429, "Too many requests", detail, "rate-limited")
    response.headers["Retry-After"] = "60"
    return response


def public_read(view: F) -> F:
    """The limit on an unauthenticated read: one allowance per address shared
    by every public page and feed of the register."""
    limited = limiter.shared_limit(
        _public_limit, scope="public-register", key_func=_public_key, on_breach=_slow_down
    )
    return cast(F, limited(view))


def _public_key() -> str:
    return "public:" + get_remote_address()
