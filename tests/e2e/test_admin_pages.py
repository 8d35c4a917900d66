"""The admin pages in the browser: every page and a refused form pass the
axe-core check, and a new user's token is shown once, at 1280 and 390 px."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.e2e.support import Visits, axe_check, sign_in
from tests.factories import Account
from tests.integration.conftest import World

Officer = Callable[[Account], str]
PAGES = (
    ("/admin", "Admin"),
    ("/admin/users", "Users and roles"),
    ("/admin/organizations", "Organisations"),
    ("/admin/holidays", "Municipal holidays and closures"),
    ("/admin/policy", "Deadline policy"),
    ("/admin/templates", "Document templates"),
    ("/admin/webhooks", "Webhooks and failed deliveries"),
)


def test_every_admin_page_passes_axe_on_a_desk_and_a_phone(
    page: Page, visits: Visits, world: World, officer: Officer
) -> None:
    sign_in(page, visits, officer(world.admin))
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 800})
        for url, heading in PAGES:
            page.goto(url)
            expect(page.get_by_role("heading", level=1)).to_have_text(heading)
            axe_check(page, visits)


def test_a_new_user_is_created_in_the_form_and_a_refusal_is_shown_by_field(
    page: Page, visits: Visits, world: World, officer: Officer
) -> None:
    sign_in(page, visits, officer(world.admin))
    page.goto("/admin/users")
    page.get_by_label("E-mail").fill("browser.user@city.example")
    page.get_by_label("Name").fill("Browser User")
    page.get_by_role("button", name="Create the user").click()  # no role chosen
    expect(page.locator("#f-err-role")).to_have_text("Missing data for required field.")
    expect(page.get_by_label("Name")).to_have_value("Browser User")  # the form is kept
    axe_check(page, visits)
    page.get_by_label("Role").select_option("transparency_officer")
    page.get_by_label("Web password").fill("a long enough password")
    page.get_by_role("button", name="Create the user").click()
    expect(page.get_by_role("heading", name="New user's API token")).to_be_visible()
    expect(page.get_by_label("Secret")).to_have_value(re.compile(r"\S{20,}"))
    axe_check(page, visits)
    page.get_by_role("link", name="Done").click()
    expect(page.get_by_role("heading", name="Browser User")).to_be_visible()
    axe_check(page, visits)
