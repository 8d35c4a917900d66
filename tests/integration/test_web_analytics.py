"""The analytics page ("where agreements get stuck"): agreements built through
the API at known moments (the clock moved with time_machine), then every
figure checked exactly: days per state (median, p90, still open) overall, by
sharing model and by partner, review rounds, draft to activation, deadlines
met; the period filter, the CSV, the SVG plots, a partner's 403, and a
statement count that does not grow with the agreements."""

from __future__ import annotations

import csv
import io
import re
from contextlib import nullcontext
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import select, update

from omd_gov.db import db
from omd_gov.deadlines.models import Deadline
from tests.factories import Factory, agreement_payload
from tests.integration.conftest import World
from tests.integration.test_statement_count import counted
from tests.web_support import Browser, browser, sign_in, web_user

DAY0 = datetime(2026, 2, 2, 10, tzinfo=UTC)  # a Monday; Lisbon is on UTC in February
NOW = 20  # the day the page is read
MAIN = "from=2026-02-02&to=2026-03-04"  # days 0..30
EARLY = "from=2025-12-19&to=2026-01-03"  # days -45..-30: only D's first stays
DUE = date(2026, 2, 12)  # day 10: every deadline's due day (but one)
LATER = date(2026, 2, 27)  # day 25: not yet due on day 20


def at(day: int) -> datetime:
    return DAY0 + timedelta(days=day)


# (day, agreement, step): A goes round review twice, B straight through, C
# stays a draft, D (created before the main period) is withdrawn in review.
SCHEDULE = [
    (-40, "D", "create"), (-39, "D", "submit"),
    (0, "A", "create"), (0, "B", "create"), (0, "C", "create"),
    (1, "B", "submit"), (2, "A", "submit"), (2, "D", "withdraw"), (3, "B", "approve"),
    (4, "B", "send"), (5, "A", "request_changes"), (5, "B", "sign_city"),
    (6, "B", "sign_partner"), (6, "A", "submit"), (10, "A", "approve"), (11, "A", "send"),
    (12, "A", "sign_city"), (14, "A", "sign_partner"),
]  # fmt: skip


def _create(world: World, name: str) -> int:
    parties = world.parties()
    shape = {
        "A": {"parties": parties, "sharing_model": "B2G"},  # city, partner, other partner
        "B": {"parties": parties[:2], "sharing_model": "B2B"},
        "C": {"parties": [parties[0], parties[2]], "sharing_model": "B2G"},
        "D": {"parties": parties, "sharing_model": "B2G"},
    }[name]
    payload = agreement_payload(world.cooperation_id, title=f"Agreement {name}", **shape)
    response = world.api.as_(world.data_officer).post("/api/v1/agreements", json=payload)
    assert response.status_code == 201, response.json
    return int(response.json["id"])


def _step(world: World, agreement_id: int, step: str) -> None:
    who = {"submit": world.data_officer, "request_changes": world.legal,
           "approve": world.legal2, "send": world.legal, "withdraw": world.data_officer,
           "sign_city": world.sign_city, "sign_partner": world.sign_partner}[step]  # fmt: skip
    trigger = {"send": "send_for_signature"}.get(step, step.split("_")[0])
    if step == "request_changes":
        trigger = step
    if step == "send":
        world.generate_dsa(agreement_id)
    response = world.fire(agreement_id, who, trigger, comment="analytics test")
    assert response.status_code == 200, (step, response.json)


@pytest.fixture
def built(app: Any, world: World) -> dict[str, int]:
    ids: dict[str, int] = {}
    with time_machine.travel(at(-40), tick=False) as traveller:
        for day, name, step in SCHEDULE:
            traveller.move_to(at(day))
            if step == "create":
                ids[name] = _create(world, name)
            else:
                _step(world, ids[name], step)
    with app.app_context():
        db.session.execute(update(Deadline).values(due_on=DUE))
        periodic = select(Deadline.id).where(
            Deadline.agreement_id == ids["B"], Deadline.kind == "periodic_review"
        )
        db.session.execute(update(Deadline).where(Deadline.id.in_(periodic)).values(due_on=LATER))
        db.session.commit()
    return ids


def _officer(
    app: Any, factory: Factory, role: str = "legal_officer", org: int | None = None, *, now=True
) -> Browser:
    """Signed in on day 20, when the page is read (a cookie from the real today
    would be from the future then), or today when ``now`` is false."""
    _account, email = web_user(factory, role, org)
    client = browser(app)
    with time_machine.travel(at(NOW), tick=False) if now else nullcontext():
        assert sign_in(client, email).status_code == 303
    return client


def _figures(client: Browser, query: str) -> dict[tuple[str, str, str], list[str]]:
    with time_machine.travel(at(NOW), tick=False):
        response = client.get(f"/analytics.csv?{query}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    assert b"\r\n" in body and b"\n\n" not in body  # RFC 4180 line ends
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert rows[0][:8] == ["section", "group", "measure", "count", "still open",
                           "median days", "p90 days", "value"]  # fmt: skip
    return {(r[0], r[1], r[2]): r[3:] for r in rows[1:]}


def _spread(figures: dict, section: str, group: str, measure: str) -> tuple[str, ...]:
    """count, still open, median days, p90 days."""
    return tuple(figures[(section, group, measure)][:4])


def test_days_in_each_state_overall_by_model_and_by_partner(app, factory, world, built) -> None:
    figures = _figures(_officer(app, factory), MAIN)
    expected_all = {
        "draft": ("3", "1", "2.0", "16.4"),  # A 2, B 1, C 20 (still a draft: up to now)
        "legal_review": ("3", "0", "3.0", "3.8"),  # A 3 and 4, B 2
        "changes_requested": ("1", "0", "1.0", "1.0"),
        "approved": ("2", "0", "1.0", "1.0"),
        "signing": ("2", "0", "2.5", "2.9"),  # A 3, B 2
    }
    for state, values in expected_all.items():
        assert _spread(figures, "days in state", "all", state) == values, state
    by_model = "days in state by sharing model"
    assert _spread(figures, by_model, "B2G", "draft") == ("2", "1", "11.0", "18.2")
    assert _spread(figures, by_model, "B2G", "legal_review") == ("2", "0", "3.5", "3.9")
    assert _spread(figures, by_model, "B2B", "legal_review") == ("1", "0", "2.0", "2.0")
    assert (by_model, "B2B", "changes_requested") not in figures
    by_partner = "days in state by partner"
    assert _spread(figures, by_partner, "Partner Co", "draft") == ("2", "0", "1.5", "1.9")
    assert _spread(figures, by_partner, "Partner Co", "signing") == ("2", "0", "2.5", "2.9")
    assert _spread(figures, by_partner, "Other Partner", "draft") == ("2", "1", "11.0", "18.2")
    assert not [key for key in figures if key[0] == by_partner and key[1] == "City"]


def test_review_rounds_and_draft_to_active(app, factory, world, built) -> None:
    figures = _figures(_officer(app, factory), MAIN)
    drafted = ("review rounds", "agreements first drafted")
    assert [figures[(*drafted, f"{n} rounds")][0] for n in (0, 1, 2)] == ["1", "1", "1"]
    assert figures[(*drafted, "median rounds")][0] == "3"
    assert figures[(*drafted, "median rounds")][4] == "1"
    to_active = ("draft to active", "agreements first activated", "days")
    assert _spread(figures, *to_active) == ("2", "0", "10.0", "13.2")  # A 14 days, B 6


def test_the_share_of_deadlines_met(app, factory, world, built) -> None:
    figures = _figures(_officer(app, factory), MAIN)
    counts = {
        outcome: figures[("deadlines", "due in the period", outcome)][0]
        for outcome in ("met", "late", "overdue", "pending", "dropped")
    }
    # A: review 1, changes, review 2 (closed on its due day) met; both signatures
    # late; publication and periodic review overdue. B: review and signatures met,
    # publication overdue, periodic review pending. D: dropped by the withdrawal.
    assert counts == {"met": "6", "late": "2", "overdue": "3", "pending": "1", "dropped": "1"}
    share = figures[("deadlines", "due in the period", "share met")]
    assert share[0] == "11" and share[4] == str(round(6 / 11, 4))


def test_the_period_selects_by_when_a_stay_began(app, factory, world, built) -> None:
    figures = _figures(_officer(app, factory), EARLY)
    assert _spread(figures, "days in state", "all", "draft") == ("1", "0", "1.0", "1.0")
    # D's review began in the period and ended (withdrawn) after it: counted whole.
    assert _spread(figures, "days in state", "all", "legal_review") == ("1", "0", "41.0", "41.0")
    assert ("days in state", "all", "signing") not in figures
    assert figures[("review rounds", "agreements first drafted", "1 rounds")][0] == "1"
    assert figures[("deadlines", "due in the period", "share met")][4] == ""


def test_the_page_plots_each_state_with_its_numbers(app, factory, world, built) -> None:
    client = _officer(app, factory)
    with time_machine.travel(at(NOW), tick=False):
        page = client.get(f"/analytics?{MAIN}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    chart = re.search(r'<svg class="chart".*?aria-labelledby="chart-states-t.*?</svg>', html, re.S)
    assert chart, "no plot of the days per state"
    svg = chart.group(0)
    assert '<title id="chart-states-t">Days spent in each state</title>' in svg
    labels = re.findall(r'<text [^>]*class="label">([^<]+)</text>', svg)
    assert labels == ["draft", "legal review", "changes requested", "approved", "signing"]
    assert "draft: median 2.00 days, p90 16.40 days." in svg  # the <desc>
    assert re.search(r'<th scope="row">draft</th><td>3</td><td>1</td><td>2.00</td>'
                     r"<td>16.40</td>", html)  # fmt: skip
    assert "<strong>54.5 %</strong>" in html
    assert " style=" not in html and "<style" not in html  # the CSP allows neither
    assert 'href="/analytics.csv?from=2026-02-02&amp;to=2026-03-04"' in html
    assert "analytics.css" in html


def test_the_default_period_is_the_year_up_to_today(app, factory, world, built) -> None:
    client = _officer(app, factory)
    with time_machine.travel(at(NOW), tick=False):
        html = client.get("/analytics").get_data(as_text=True)
    assert 'value="2025-02-23"' in html and 'value="2026-02-22"' in html


@pytest.mark.parametrize(
    ("query", "field"),
    [("from=2026-13-01", "from"), ("to=yesterday", "to"), ("from=2026-03-01&to=2026-02-01", "from"),
     ("from=2000-01-01&to=2026-01-01", "from")],
)  # fmt: skip
def test_a_bad_period_is_a_400_page_naming_the_field(app, factory, world, query, field) -> None:
    client = _officer(app, factory, now=False)
    for url in (f"/analytics?{query}", f"/analytics.csv?{query}"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert f"<strong>{field}</strong>" in response.get_data(as_text=True)


def test_partners_get_a_403_page(app, factory, world) -> None:
    client = _officer(app, factory, "signatory", world.partner, now=False)
    for url in ("/analytics", "/analytics.csv"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "text/html" in response.content_type
    for role in ("data_officer", "transparency_officer", "auditor", "admin"):
        assert _officer(app, factory, role, now=False).get("/analytics").status_code == 200, role


def test_signed_out_goes_through_sign_in(app) -> None:
    response = browser(app).get("/analytics?from=2026-01-01")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


def test_the_statements_do_not_grow_with_the_agreements(app, factory, world) -> None:
    client = _officer(app, factory, now=False)

    def statements() -> int:
        with counted(app) as seen:
            assert client.get("/analytics").status_code == 200
            assert client.get("/analytics.csv").status_code == 200
        return len(seen["statements"])

    first = world.create_agreement()["id"]
    world.to_state(first, "legal_review")
    few = statements()
    for _ in range(4):
        world.to_state(world.create_agreement()["id"], "approved")
    assert statements() == few <= 12
