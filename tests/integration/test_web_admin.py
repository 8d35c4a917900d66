"""The admin pages: admins only (403 for anyone else, on every page and
form); users (a new account's token shown once, deactivation, a new password,
a new token), organisations, municipal holidays, the deadline policy,
templates (a refused upload listed per variable), webhooks and failed
deliveries. Each change goes through its service and is audited; a refused
one shows the service's message and changes nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from omd_gov.auth.models import User
from omd_gov.db import db
from tests.factories import Factory
from tests.integration.conftest import World
from tests.web_admin_support import events, post, signed_in, text, token_on
from tests.web_support import PASSWORD, Browser, browser, csrf_of, sign_in, web_user

PAGES = (
    "/admin",
    "/admin/users",
    "/admin/users/1",
    "/admin/organizations",
    "/admin/holidays",
    "/admin/policy",
    "/admin/templates",
    "/admin/webhooks",
)
FORMS = (
    "/admin/users",
    "/admin/users/1/active",
    "/admin/users/1/password",
    "/admin/users/1/token",
    "/admin/organizations",
    "/admin/holidays",
    "/admin/holidays/1/delete",
    "/admin/policy/legal_review",
    "/admin/templates",
    "/admin/webhooks",
    "/admin/webhooks/1/delete",
)
NEW_PASSWORD = "another long password"


@pytest.fixture
def admin(app: Any, factory: Factory, world: World) -> Browser:
    return signed_in(app, factory, "admin", world.city)


def _user(email: str) -> User:
    db.session.rollback()
    return db.session.execute(select(User).where(User.email == email)).scalar_one()


def api_status(app: Any, headers: dict[str, str]) -> int:
    return int(app.test_client().get("/api/v1/organizations", headers=headers).status_code)


def test_anyone_but_an_admin_gets_403_on_every_page_and_form(
    app: Any, factory: Factory, world: World
) -> None:
    for role in ("legal_officer", "data_officer", "auditor"):
        client = signed_in(app, factory, role, world.city)
        for url in PAGES:
            assert client.get(url).status_code == 403, (role, url)
        token = csrf_of(client.get("/"))
        for url in FORMS:
            assert client.post(url, data={"csrf_token": token}).status_code == 403, (role, url)
    assert browser(app).get("/admin/users").status_code == 302  # signed out: to sign-in
    assert "Admin</a>" not in text(client.get("/"))  # no link either


def test_the_index_links_every_admin_page(admin: Browser) -> None:
    page = text(admin.get("/admin"))
    for url in PAGES[1:]:
        if url != "/admin/users/1":
            assert f'href="{url}"' in page
    for url in PAGES[1:]:
        assert admin.get(url).status_code in (200, 404)


def _create_user(admin: Browser, world: World, **fields: str) -> Any:
    data = {
        "email": "new.officer@city.example",
        "name": "New Officer",
        "role": "legal_officer",
        "organization_id": str(world.city),
        "language": "pt",
        "signing_identity": "",
        "password": NEW_PASSWORD,
    }
    return post(admin, "/admin/users", "/admin/users", data | fields)


def test_a_new_user_gets_a_token_shown_once_and_signs_in_with_the_password(
    app: Any, admin: Browser, world: World
) -> None:
    created = _create_user(admin, world)
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    assert "shown only this once" in text(created)
    token = token_on(created)
    user = _user("new.officer@city.example")
    assert (user.role, user.organization_id, user.language) == ("legal_officer", world.city, "pt")
    listed = text(admin.get("/admin/users"))
    assert "new.officer@city.example" in listed and token not in listed
    assert token not in text(admin.get(f"/admin/users/{user.id}"))
    assert api_status(app, {"Authorization": f"Bearer {token}"}) == 200
    assert sign_in(browser(app), "new.officer@city.example", NEW_PASSWORD).status_code == 303
    [event] = [e for e in events("user", "create") if e.entity_id == user.id]
    assert event.source == "ui" and event.changes["role"]["to"] == "legal_officer"


def test_a_refused_new_user_shows_the_messages_by_field_and_creates_nothing(
    admin: Browser, world: World, factory: Factory
) -> None:
    bad = _create_user(admin, world, email="not-an-email", role="", name="")
    assert bad.status_code == 422
    page = text(bad)
    assert "Not a valid email address." in page and "Missing data for required field." in page
    assert 'id="f-err-email"' in page and 'id="f-err-role"' in page
    assert "Not a valid email address." in page and 'value="not-an-email"' in page
    short = _create_user(admin, world, password="short")  # the service's rule
    assert short.status_code == 422 and "at least 12 characters" in text(short)
    assert 'id="f-err-password"' in text(short) and "short" not in re.findall(
        r'value="([^"]*)"', text(short)
    )
    signatory = _create_user(admin, world, role="signatory", organization_id="")
    assert signatory.status_code == 422
    assert "a signatory must belong to an organisation" in text(signatory)
    _account, taken = web_user(factory, "data_officer", world.city)
    duplicate = _create_user(admin, world, email=taken)
    assert duplicate.status_code == 409 and "already exists" in text(duplicate)
    db.session.rollback()
    assert not db.session.execute(
        select(User).where(User.email == "new.officer@city.example")
    ).first()


def test_deactivating_ends_the_users_session_and_token_until_reactivated(
    app: Any, admin: Browser, world: World, factory: Factory
) -> None:
    account, email = web_user(factory, "legal_officer", world.city)
    officer = browser(app)
    assert sign_in(officer, email).status_code == 303
    assert officer.get("/").status_code == 200
    page = f"/admin/users/{account.user_id}"
    done = post(admin, page, f"{page}/active", {"active": "0"})
    assert done.status_code == 303 and done.headers["Location"] == page
    assert "is now deactivated" in text(admin.get(page))
    assert officer.get("/").status_code == 302  # to the sign-in page
    assert api_status(app, account.headers) == 401
    assert sign_in(browser(app), email).status_code == 401
    assert "deactivated" in text(admin.get("/admin/users"))
    post(admin, page, f"{page}/active", {"active": "1"})
    assert sign_in(browser(app), email).status_code == 303
    actions = [e.action for e in events("user", "deactivate") + events("user", "activate")]
    assert actions == ["deactivate", "activate"]


def test_a_new_password_ends_other_sessions_and_a_short_one_is_refused(
    app: Any, admin: Browser, world: World, factory: Factory
) -> None:
    account, email = web_user(factory, "data_officer", world.city)
    officer = browser(app)
    assert sign_in(officer, email).status_code == 303
    page = f"/admin/users/{account.user_id}"
    short = post(admin, page, f"{page}/password", {"password": "too short"})
    assert short.status_code == 422 and "at least 12 characters" in text(short)
    assert officer.get("/").status_code == 200  # nothing changed
    done = post(admin, page, f"{page}/password", {"password": NEW_PASSWORD})
    assert done.status_code == 303
    assert officer.get("/").status_code == 302
    assert sign_in(browser(app), email, PASSWORD).status_code == 401
    assert sign_in(browser(app), email, NEW_PASSWORD).status_code == 303
    assert [e.entity_id for e in events("user", "set_password")] == [account.user_id]


def test_a_rotated_token_replaces_the_old_one_at_once(
    app: Any, admin: Browser, world: World
) -> None:
    page = f"/admin/users/{world.legal.user_id}"
    rotated = post(admin, page, f"{page}/token", {})
    assert rotated.status_code == 201 and rotated.headers["Cache-Control"] == "no-store"
    new = token_on(rotated)
    assert api_status(app, world.legal.headers) == 401
    assert api_status(app, {"Authorization": f"Bearer {new}"}) == 200
    assert admin.get("/admin/users/999999").status_code == 404


def test_a_users_language_and_signing_identity_are_set(admin: Browser, world: World) -> None:
    page = f"/admin/users/{world.sign_partner.user_id}"
    too_long = post(
        admin, page, f"{page}/profile", {"language": "xx", "signing_identity": "I" * 201}
    )
    assert too_long.status_code == 422
    assert 'id="s-err-language"' in text(too_long) and 'id="s-err-signing_identity"' in text(
        too_long
    )
    saved = post(admin, page, f"{page}/profile", {"language": "es", "signing_identity": "IDCES-1"})
    assert saved.status_code == 303
    user = db.session.get(User, world.sign_partner.user_id)
    assert user is not None and (user.language, user.signing_identity) == ("es", "IDCES-1")
    assert [e.action for e in events("user", "set_signing_identity")] == ["set_signing_identity"]
    cleared = post(admin, page, f"{page}/profile", {"language": "es", "signing_identity": ""})
    assert cleared.status_code == 303
    db.session.rollback()
    assert db.session.get(User, world.sign_partner.user_id).signing_identity is None  # type: ignore[union-attr]
