"""Signing in to the web pages with Flask's test client, as a browser would:
read the form's CSRF token, post the form, keep the session cookie."""

from __future__ import annotations

import re
from html.parser import HTMLParser
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


class _FormReader(HTMLParser):
    """The fields a browser would post from the form whose action is ``action``:
    inputs' values (ticked boxes only), textareas' text, selects' chosen option
    (the first when none is marked)."""

    def __init__(self, action: str):
        super().__init__()
        self.action, self.inside = action, False
        self.fields: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None
        self._chosen = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        at = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.inside = at.get("action") == self.action
        elif self.inside and tag == "option" and self._select:
            self._option(at)
        elif self.inside and at.get("name"):
            self._field(tag, at)

    def _field(self, tag: str, at: dict[str, str]) -> None:
        name, kind = at["name"], at.get("type", "text")
        if tag == "input" and (kind != "checkbox" or "checked" in at):
            self.fields[name] = at.get("value", "on" if kind == "checkbox" else "")
        elif tag == "textarea":
            self._textarea, self.fields[name] = name, ""
        elif tag == "select":
            self._select, self._chosen = name, False

    def _option(self, at: dict[str, str]) -> None:
        assert self._select
        if self._select not in self.fields or ("selected" in at and not self._chosen):
            self.fields[self._select] = at.get("value", "")
            self._chosen = "selected" in at

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def form_of(page: Any, action: str) -> dict[str, str]:
    """The form ``action`` on ``page`` as a browser would post it, untouched."""
    reader = _FormReader(action)
    reader.feed(page.get_data(as_text=True))
    assert reader.fields, f"the page has no form posting to {action}"
    return dict(reader.fields)


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
