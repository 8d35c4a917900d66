"""Signing in to the web pages with Flask's test client, as a browser would:
read the form's CSRF token, post the form, keep the session cookie."""

from __future__ import annotations

import re
from typing import Any

from flask import g, has_app_context

from omd_gov.db import db
from tests.factories import Account, Factory

PASSWORD = "a long enough password"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(page: Any) -> str:
    found = _CSRF.search(page.get_data(as_text=True))
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


class Browser:
    """A fresh test client (its own cookie jar, like a new browser). A test
    holding an app context makes Flask reuse its session for each request:
    each request starts from a fresh transaction, as a real one would."""

    def __init__(self, app: Any):
        self.client = app.test_client()

    def get(self, url: str, **kw: Any) -> Any:
        return self._send("get", url, **kw)

    def post(self, url: str, **kw: Any) -> Any:
        return self._send("post", url, **kw)

    def _send(self, method: str, url: str, **kw: Any) -> Any:
        if has_app_context():
            db.session.rollback()
            for name in list(vars(g)):  # a real request starts with an empty g
                delattr(g, name)
        return getattr(self.client, method)(url, **kw)


def browser(app: Any) -> Browser:
    return Browser(app)


def sign_in(client: Any, email: str, password: str = PASSWORD, next_url: str = "") -> Any:
    form = client.get("/login")
    data = {"email": email, "password": password, "csrf_token": csrf_of(form), "next": next_url}
    return client.post("/login", data=data)


def web_user(
    factory: Factory, role: str, organization_id: int | None = None
) -> tuple[Account, str]:
    """An account with a web password; returns it with its e-mail."""
    account = factory.user(role, organization_id, password=PASSWORD)
    return account, factory.get_user(account).email
