"""Web sign-in state: a signed session cookie (``OMD_SECRET_KEY``) that holds
the user's id and a fingerprint of their password hash, so that a new
password or a deactivation ends every session at the next request."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import redirect, request, session, url_for

from omd_gov.auth.actors import Actor
from omd_gov.auth.models import User
from omd_gov.auth.passwords import session_fingerprint
from omd_gov.db import db

F = TypeVar("F", bound=Callable[..., Any])
_USER, _FINGERPRINT = "uid", "fp"
_CACHE = "omd_gov.web_user"


def sign_in(user: User) -> None:
    session.clear()  # a fresh session: no fixation of a pre-login cookie
    session[_USER], session[_FINGERPRINT] = user.id, session_fingerprint(user.password_hash)
    session.permanent = True


def sign_out() -> None:
    session.clear()


def signed_in_user() -> User | None:
    """Read once per request (kept in the request's environ, which, unlike
    ``g``, never outlives the request)."""
    if _CACHE not in request.environ:
        request.environ[_CACHE] = _load()
    return cast(User | None, request.environ[_CACHE])


def _load() -> User | None:
    user_id = session.get(_USER)
    if not isinstance(user_id, int):
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        return None
    if session.get(_FINGERPRINT) != session_fingerprint(user.password_hash):
        return None
    return user


def web_user() -> User:
    user = signed_in_user()
    assert user is not None, "the view is not behind login_required"
    return user


def web_actor() -> Actor:
    return Actor.of(web_user(), "ui")


def login_required(view: F) -> F:
    """Signed out: to the sign-in page, which comes back here afterwards."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if signed_in_user() is None:
            return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return cast(F, wrapper)


def safe_next(target: str | None) -> str:
    """Only a path on this site: never another host, scheme or ``//host``."""
    fallback = url_for("web.dashboard")
    if not target or not target.startswith("/") or target.startswith("//"):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target:
        return fallback
    return target
