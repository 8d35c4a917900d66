"""Sign-in throttling (the app's limiter, ``omd_gov.ratelimit``): failed
attempts are counted per account and per address, in Redis when
``OMD_RATELIMIT_STORAGE_URL`` is set (shared by every web process) and in
memory otherwise. Only failures count, so an officer who signs in often is
never slowed down."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Response, current_app, render_template, request
from flask_limiter import RequestLimit
from flask_limiter.util import get_remote_address

from omd_gov.ratelimit import limiter

F = TypeVar("F", bound=Callable[..., Any])


def account_key() -> str:
    return "account:" + request.form.get("email", "").strip().lower()


def address_key() -> str:
    return "address:" + get_remote_address()


def per_account() -> str:
    return str(current_app.config["OMD_LOGIN_LIMIT_ACCOUNT"])


def per_address() -> str:
    return str(current_app.config["OMD_LOGIN_LIMIT_ADDRESS"])


def failed(response: Response) -> bool:
    return response.status_code == 401


def too_many(_limit: RequestLimit) -> Response:
    page = render_template("login.html", throttled=True, email="", next=request.args.get("next"))
    return Response(page, status=429, mimetype="text/html", headers={"Retry-After": "900"})


def throttled_login(view: F) -> F:
    """Both limits on the sign-in POST; each failure counts against both."""
    wrapped: Callable[..., Any] = view
    for limit, key in ((per_account, account_key), (per_address, address_key)):
        wrapped = limiter.limit(
            limit, key_func=key, methods=["POST"], deduct_when=failed, on_breach=too_many
        )(wrapped)
    return cast(F, wrapped)
