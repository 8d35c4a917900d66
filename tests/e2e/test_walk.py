"""The issue's walk in the browser: a new cooperation, its canvas, an
agreement drafted, reviewed (sent back once), approved, generated, previewed,
sent for signature and signed by each party, until it is active; then its
timeline and diagram tell the story. Each person works in a browser of their
own, and every page on the way gets its axe check."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.e2e.support import Visits, screenshot
from tests.e2e.walk import (
    SLOW_MS,
    Officer,
    Walk,
    claim_review,
    create_cooperation,
    draft_agreement,
    fill_canvas,
    state_is,
)
from tests.integration.conftest import World

# Chromium shows a PDF in its viewer extension, in a frame of its own.
PDF_VIEWER = "chrome-extension://"
CHANGES = "Say how long the counts are kept, and how they are protected."


def test_an_agreement_walks_from_draft_to_active_in_the_browser(
    new_page: Callable[[], Page], visits: Visits, world: World, officer: Officer
) -> None:
    walk = Walk(world, new_page, visits, officer)
    data = walk.as_(world.data_officer)
    create_cooperation(walk, data, "Bus stops", ["City", "Partner Co", "Other Partner"])
    fill_canvas(walk, data)
    screenshot(data, "canvas")
    agreement_id = draft_agreement(walk, data, "Bus stop passenger counts")
    reference = data.get_by_role("heading", level=1).inner_text().split()[0]
    state_is(walk.fire(world.data_officer, agreement_id, "submit"), "legal_review")

    legal = walk.as_(world.legal)
    claim_review(walk, legal, reference)
    screenshot(legal, "dashboard")
    state_is(walk.fire(world.legal, agreement_id, "request_changes", CHANGES), "changes_requested")
    _answer_the_changes(walk, agreement_id)
    state_is(walk.fire(world.data_officer, agreement_id, "submit"), "legal_review")
    state_is(walk.fire(world.legal2, agreement_id, "approve"), "approved")

    _generate_and_preview(walk, walk.open(world.legal2, agreement_id))
    state_is(walk.fire(world.legal2, agreement_id, "send_for_signature"), "signing")
    page = walk.fire(world.sign_city, agreement_id, "sign")
    state_is(page, "signing")
    expect(page.get_by_text("Nothing: this agreement does not wait on you.")).to_be_visible()
    state_is(walk.fire(world.sign_partner, agreement_id, "sign"), "active")

    story = walk.open(world.data_officer, agreement_id)
    _read_the_timeline(story)
    _see_the_diagram(walk, story)
    _see_where_it_got_stuck(walk, walk.as_(world.legal))


def _answer_the_changes(walk: Walk, agreement_id: int) -> None:
    """The data officer reads legal's comment and edits the content."""
    page = walk.open(walk.world.data_officer, agreement_id)
    expect(page.get_by_role("region", name="Timeline").get_by_text(CHANGES)).to_be_visible()
    page.get_by_role("link", name="Edit the content").click()  # the edit page
    walk.check(page)
    page.get_by_label("Security measures").fill("Counts kept one year, encrypted at rest.")
    asset = page.get_by_role("group", name="Data asset 1", exact=True)
    asset.get_by_label("Description").fill("Hourly counts per street segment.")
    page.get_by_label("Retention (ISO 8601 duration, e.g. P2Y)").fill("P18M")
    page.get_by_role("button", name="Save changes").click()
    details = page.get_by_role("region", name="Details")
    expect(details.get_by_text("Counts kept one year, encrypted at rest.").first).to_be_visible()
    expect(details.get_by_text("Hourly counts per street segment.")).to_be_visible()
    expect(details.get_by_text("Retention: P18M")).to_be_visible()
    walk.check(page)


def _generate_and_preview(walk: Walk, page: Page) -> None:
    """The DSA generated from the workspace, shown in the page by Chromium's PDF viewer."""
    documents = page.get_by_role("region", name="Documents", exact=True)
    documents.get_by_role("button", name="Generate the DSA").click()
    expect(page.get_by_role("status").filter(has_text="Generated")).to_be_visible()
    walk.check(page)
    preview = page.locator("iframe.pdf-preview")
    expect(preview).to_have_attribute("title", re.compile(r"^PDF preview of "))
    _show_the_preview(page)
    source = preview.get_attribute("src")
    assert source
    answer = page.request.get(source, timeout=SLOW_MS)  # the frame's own request, same cookies
    assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
    assert answer.body().startswith(b"%PDF")


def _show_the_preview(page: Page) -> None:
    """Scroll to the preview (it loads lazily, maybe already) until Chromium's viewer has it."""
    page.locator("iframe.pdf-preview").scroll_into_view_if_needed()
    for _ in range(200):  # polls the page's frames for 10 s at most
        viewer = next((f for f in page.frames if f.url.startswith(PDF_VIEWER)), None)
        if viewer is not None:
            viewer.wait_for_load_state()
            return
        page.wait_for_timeout(50)
    raise AssertionError("Chromium's PDF viewer never showed the preview")


def _read_the_timeline(page: Page) -> None:
    """Who did what, in which role, from which state to which, and what changed."""
    timeline = page.get_by_role("region", name="Timeline")
    for move in (
        "draft → legal review",
        "legal review → changes requested",
        "changes requested → legal review",
        "legal review → approved",
        "approved → signing",
        "signing → active",
    ):
        expect(timeline.get_by_text(move).first).to_be_visible()
    expect(timeline.get_by_text("(legal officer)").first).to_be_visible()
    expect(timeline.get_by_text(CHANGES)).to_be_visible()
    edit = timeline.get_by_role("row")
    measures = edit.filter(has_text="security measures").get_by_role("insertion")
    expect(measures).to_contain_text("Counts kept one year")
    asset = edit.filter(has_text="data assets 1 › description").get_by_role("insertion")
    expect(asset).to_have_text("Hourly counts per street segment.")
    expect(edit.filter(has_text="gdpr › retention").get_by_role("deletion")).to_have_text("P1Y")
    _show_the_preview(page)  # the frozen PDF/A, now
    screenshot(page, "workspace")
    screenshot(page, "workspace-phone", width=390)


def _see_the_diagram(walk: Walk, page: Page) -> None:
    """The machine's own diagram, the agreement's state highlighted; the help page explains it."""
    diagram = page.get_by_role("img", name=re.compile("The agreement lifecycle"))
    expect(diagram).to_have_accessible_name(re.compile("now active"))
    page.get_by_role("link", name="How agreements move").first.click()
    expect(page.get_by_role("heading", name="How agreements move", level=1)).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("The agreement lifecycle"))).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("^request changes"))).to_be_visible()
    walk.check(page)
    screenshot(page, "diagram")


def _see_where_it_got_stuck(walk: Walk, page: Page) -> None:
    """The analytics, computed from the audit trail: this agreement's one round of changes."""
    page.get_by_role("navigation").get_by_role("link", name="Where agreements get stuck").click()
    expect(page.get_by_role("heading", name="Where agreements get stuck", level=1)).to_be_visible()
    states = page.get_by_role("region", name="Days spent in each state")
    expect(states.get_by_role("img").first).to_be_visible()
    expect(page.get_by_role("region", name="Review rounds").get_by_role("table")).to_be_visible()
    walk.check(page)
    # The README's analytics screenshot: tests/e2e/test_analytics.py, with weeks of history.
