"""The steps of the browser walk (tests/e2e/test_walk.py), one person per
browser context, each step through the page an officer would use."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from omd_gov.cooperations.canvas import SECTION_KEYS
from omd_gov.documents.context_labels import CANVAS_SECTIONS as SECTION_LABELS
from tests.e2e.support import Visits, axe_check, sign_in
from tests.factories import Account
from tests.integration.conftest import World

Officer = Callable[[Account], str]
# Freezing the DSA for signature converts it to PDF/A with LibreOffice.
SLOW_MS = 60_000


class Walk:
    """The people of the walk, each signed in in a browser of their own."""

    def __init__(
        self, world: World, new_page: Callable[[], Page], visits: Visits, officer: Officer
    ):
        self.world, self.new_page, self.visits, self.officer = world, new_page, visits, officer
        self.pages: dict[int, Page] = {}

    def as_(self, account: Account) -> Page:
        if account.user_id not in self.pages:
            page = self.new_page()
            sign_in(page, self.visits, self.officer(account))
            self.pages[account.user_id] = page
        return self.pages[account.user_id]

    def check(self, page: Page) -> Page:
        axe_check(page, self.visits)
        return page

    def open(self, account: Account, agreement_id: int) -> Page:
        page = self.as_(account)
        page.goto(f"/agreements/{agreement_id}")
        return self.check(page)

    def fire(self, account: Account, agreement_id: int, trigger: str, comment: str = "") -> Page:
        """Press the trigger's button on the workspace; it must be offered."""
        page = self.open(account, agreement_id)
        name = trigger.replace("_", " ")
        if comment:
            page.get_by_label(f"Comment for “{name}”").fill(comment)
        button = page.get_by_role("button", name=name.capitalize(), exact=True)
        button.click(timeout=SLOW_MS)
        # Fired: the page comes back without the button (the state moved on,
        # or this signatory has signed).
        expect(button).to_have_count(0, timeout=SLOW_MS)
        return self.check(page)


def state_is(page: Page, state: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_contain_text(state.replace("_", " "))


def create_cooperation(walk: Walk, page: Page, title: str, members: list[str]) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cooperations").click()
    walk.check(page)
    page.get_by_label("Title").fill(title)
    page.get_by_label("Description").fill("Counting passengers at bus stops, together.")
    members_box = page.get_by_role("group", name="Organisations in the cooperation")
    for name in members:
        members_box.get_by_label(name).check()
    page.get_by_role("button", name="Create the cooperation").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    walk.check(page)


def fill_canvas(walk: Walk, page: Page) -> None:
    """Every section in its own cell, saved one by one; the indicator counts them."""
    total = len(SECTION_KEYS)
    expect(page.get_by_text(f"0 of {total} sections filled")).to_be_visible()
    for n, key in enumerate(SECTION_KEYS, start=1):
        label = SECTION_LABELS[key][0]  # the page's English term
        cell = page.get_by_role("region", name=label)
        cell.locator("textarea").fill(f"What we agreed on: {label.lower()}.")
        if key == "technical_concepts":
            cell.get_by_label("MIMs implemented").fill("MIM1, MIM2")
        cell.get_by_role("button", name=re.compile("^Save")).click()
        expect(page.get_by_text(f"{n} of {total} sections filled")).to_be_visible()
    expect(page.get_by_text("The canvas is complete.")).to_be_visible()
    walk.check(page)


def draft_agreement(walk: Walk, page: Page, title: str) -> int:
    """The cooperation's "New agreement draft" form; lands on the workspace."""
    page.get_by_role("link", name="New agreement draft").click()
    walk.check(page)
    page.get_by_label("Title").fill(title)
    page.get_by_label("Purpose").fill("Plan bus routes from the stops' passenger counts.")
    page.get_by_label("Sharing model").select_option("B2G")
    roles = ("controller", "processor", "data_recipient")
    for n, role in enumerate(roles, start=1):
        party = page.get_by_role("group", name=f"Party {n}", exact=True)
        party.get_by_label("Role").select_option(role)
        party.get_by_label("Signs the agreement").set_checked(role != "data_recipient")
    asset = page.get_by_role("group", name="Data asset 1", exact=True)
    asset.get_by_label("Name").fill("Passenger counts")
    asset.get_by_label("Standard or format").fill("NGSI-LD")
    asset.get_by_label("Delivery").select_option("online")
    asset.get_by_label("Holds personal data").check()
    _gdpr(page)
    page.get_by_role("button", name="Create the draft").click()
    state_is(page, "draft")
    walk.check(page)
    found = re.search(r"/agreements/(\d+)$", page.url)
    assert found, page.url
    return int(found.group(1))


def _gdpr(page: Page) -> None:
    gdpr = page.get_by_role("group", name="GDPR profile")
    gdpr.get_by_label("Lawful basis").select_option("public_task")
    gdpr.get_by_label("Categories of personal data").fill("boarding counts per stop")
    gdpr.get_by_label("Categories of data subjects").fill("passengers")
    gdpr.get_by_label("DPIA decision").select_option("done")
    gdpr.get_by_label("DPIA reference").fill("DPIA-7")
    gdpr.get_by_label("Retention").fill("P1Y")


def claim_review(walk: Walk, page: Page, reference: str) -> None:
    """From the team's queue on the dashboard to 'waiting on me'."""
    page.get_by_role("link", name="Dashboard").click()
    walk.check(page)
    team = page.get_by_role("region", name="My team")
    team.get_by_role("button", name=f"Claim the legal review of {reference}").click()
    waiting = page.get_by_role("region", name="Waiting on me")
    expect(waiting.get_by_role("link", name=reference)).to_be_visible()
    expect(page.get_by_role("region", name="My team").get_by_text(reference)).to_have_count(0)
    walk.check(page)
