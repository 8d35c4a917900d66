"""Where agreements get stuck, in the browser, over a few weeks of history
made through the API with the clock moved back: the office's figures show
the days each state took, its charts pass axe, and the README's screenshot
has something to show."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import time_machine
from playwright.sync_api import Page, expect

from tests.e2e.support import Visits, axe_check, screenshot, sign_in
from tests.factories import Account
from tests.integration.conftest import World

Officer = Callable[[Account], str]
# (sharing model, [(day, who, trigger)]): reviews that took days, one sent back.
HISTORIES = [
    ("B2G", [(0, "data_officer", "submit"), (6, "legal", "approve")]),
    (
        "B2G",
        [
            (1, "data_officer", "submit"),
            (9, "legal", "request_changes"),
            (15, "data_officer", "submit"),
            (18, "legal2", "approve"),
        ],
    ),
    ("B2B", [(2, "data_officer", "submit"), (4, "legal", "approve")]),
    ("G2G", [(3, "data_officer", "submit"), (13, "legal2", "approve")]),
]


def _history(world: World, start: datetime) -> None:
    """Agreements drafted and reviewed on the days above, weeks ago."""
    with time_machine.travel(start, tick=True) as clock:
        drafted = [world.create_agreement(sharing_model=model)["id"] for model, _ in HISTORIES]
        steps = sorted(
            (day, n, who, trigger)
            for n, (_, moves) in enumerate(HISTORIES)
            for day, who, trigger in moves
        )
        for day, n, who, trigger in steps:
            clock.move_to(start + timedelta(days=day, hours=n))
            comment = "Name the retention period." if trigger == "request_changes" else ""
            account = getattr(world, who)
            answer = world.fire(drafted[n], account, trigger, comment)
            assert answer.status_code == 200, answer.json


def test_the_office_sees_which_states_took_the_days(
    page: Page, visits: Visits, world: World, officer: Officer, settle: Callable[[], None]
) -> None:
    _history(world, datetime.now(UTC) - timedelta(days=40))
    settle()
    sign_in(page, visits, officer(world.legal))
    page.get_by_role("navigation").get_by_role("link", name="Where agreements get stuck").click()
    states = page.get_by_role("region", name="Days spent in each state")
    review = states.get_by_role("row", name="legal review")
    expect(review.get_by_role("cell").nth(0)).to_have_text("5")  # five stays in legal review
    expect(review).not_to_contain_text("0.00 0.00")
    expect(page.get_by_role("region", name="By sharing model")).to_contain_text("B2B")
    axe_check(page, visits)
    screenshot(page, "analytics")
