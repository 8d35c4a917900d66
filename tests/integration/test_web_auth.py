"""Web sign-in: argon2 passwords, a session cookie with the right flags, CSRF
on every form, throttling per account and per address, safe ``next``
targets, and sessions that end with a new password or a deactivation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from omd_gov.db import db
from omd_gov.users import services as user_services
from omd_gov.web.throttle import limiter
from tests.factories import Factory
from tests.integration.conftest import World
from tests.web_support import PASSWORD, browser, csrf_of, sign_in, web_user


@pytest.fixture(autouse=True)
def _fresh_throttle(app: Any) -> Iterator[None]:
    with app.app_context():
        limiter.reset()
    yield


def test_signing_in_sets_a_safe_session_cookie_and_shows_the_dashboard(
    app: Any, factory: Factory
) -> None:
    _account, email = web_user(factory, "legal_officer")
    client = browser(app)
    response = sign_in(client, email)
    assert response.status_code == 303 and response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # served over plain HTTP here
    dashboard = client.get("/")
    assert dashboard.status_code == 200 and "Waiting on me" in dashboard.get_data(as_text=True)


def test_a_wrong_password_or_unknown_account_is_401_with_the_same_message(
    app: Any, factory: Factory
) -> None:
    _account, email = web_user(factory, "legal_officer")
    wrong = sign_in(browser(app), email, "not the right password")
    unknown = sign_in(browser(app), "nobody@example.org", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    message = "The e-mail or the password is not right."
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)
    assert browser(app).get("/").status_code == 302


def test_a_form_without_its_csrf_token_is_refused(app: Any, factory: Factory) -> None:
    _account, email = web_user(factory, "legal_officer")
    client = browser(app)
    refused = client.post("/login", data={"email": email, "password": PASSWORD})
    assert refused.status_code == 400 and "CSRF" in refused.get_data(as_text=True)
    assert sign_in(client, email).status_code == 303
    page = client.get("/")
    assert client.post("/logout").status_code == 400  # no token: still signed in
    assert client.get("/").status_code == 200
    assert client.post("/logout", data={"csrf_token": csrf_of(page)}).status_code == 303
    assert client.get("/").status_code == 302


def test_repeated_failures_throttle_the_account_then_the_address(
    app: Any, factory: Factory, monkeypatch: Any
) -> None:
    _account, email = web_user(factory, "legal_officer")
    client = browser(app)
    for _ in range(5):
        assert sign_in(client, email, "wrong password again").status_code == 401
    blocked = sign_in(client, email, PASSWORD)  # even the right password waits now
    assert blocked.status_code == 429 and "Too many failed sign-ins" in blocked.get_data(True)
    _other, other_email = web_user(factory, "data_officer")
    assert sign_in(client, other_email).status_code == 303  # another account is not blocked
    monkeypatch.setitem(app.config, "OMD_LOGIN_LIMIT_ADDRESS", "3 per 15 minutes")
    with app.app_context():
        limiter.reset()
    for n in range(3):
        assert sign_in(browser(app), f"guess{n}@example.org", "x" * 12).status_code == 401
    assert sign_in(browser(app), other_email).status_code == 429  # this address is blocked


@pytest.mark.parametrize(
    ("target", "lands"),
    [
        ("/agreements/7", "/agreements/7"),
        ("https://evil.example/agreements/7", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_only_leads_to_this_site(app: Any, factory: Factory, target: str, lands: str) -> None:
    _account, email = web_user(factory, "legal_officer")
    response = sign_in(browser(app), email, next_url=target)
    assert response.headers["Location"] == lands


def test_an_email_link_goes_through_sign_in_to_its_page(app: Any, world: World) -> None:
    agreement_id = world.create_agreement()["id"]
    factory = Factory(db.session)
    _account, email = web_user(factory, "legal_officer", world.city)
    client = browser(app)
    first = client.get(f"/agreements/{agreement_id}")
    assert first.status_code == 302
    login_page = client.get(first.headers["Location"])
    token = csrf_of(login_page)
    assert f'value="/agreements/{agreement_id}"' in login_page.get_data(as_text=True)
    form = {"email": email, "password": PASSWORD, "csrf_token": token,
            "next": f"/agreements/{agreement_id}"}  # fmt: skip
    landed = client.post("/login", data=form)
    assert landed.headers["Location"] == f"/agreements/{agreement_id}"
    assert client.get(landed.headers["Location"]).status_code == 200


def test_a_partner_gets_a_404_page_for_another_partners_agreement(app: Any, world: World) -> None:
    agreement_id = world.create_agreement()["id"]
    factory = Factory(db.session)
    _outsider, email = web_user(factory, "signatory", world.outsider_org)
    client = browser(app)
    sign_in(client, email)
    page = client.get(f"/agreements/{agreement_id}")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "Not found" in page.get_data(as_text=True)


def test_a_new_password_or_a_deactivation_ends_the_session(app: Any, factory: Factory) -> None:
    from omd_gov.auth.actors import Actor

    _account, email = web_user(factory, "legal_officer")
    client = browser(app)
    sign_in(client, email)
    assert client.get("/").status_code == 200
    user_services.set_password(db.session, Actor.system("cli"), email, "another long password")
    assert client.get("/").status_code == 302
    sign_in(client, email, "another long password")
    assert client.get("/").status_code == 200
    user_services.set_active(db.session, Actor.system("cli"), email, active=False)
    assert client.get("/").status_code == 302


def test_a_demo_password_works_only_in_demo_mode(
    app: Any, factory: Factory, monkeypatch: Any
) -> None:
    account = factory.user("legal_officer", password="demo-password")
    email = factory.get_user(account).email
    monkeypatch.setitem(app.config, "OMD_DEMO", False)
    assert sign_in(browser(app), email, "demo-password").status_code == 401
    monkeypatch.setitem(app.config, "OMD_DEMO", True)
    assert sign_in(browser(app), email, "demo-password").status_code == 303
