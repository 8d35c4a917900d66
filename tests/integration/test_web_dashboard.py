"""The dashboard: what waits on me by name and my team's unclaimed queue kept
apart; claiming and assigning from the queue (audited, refused with a clear
message when someone was quicker, 403 outside the team); counts by state and
recent activity as far as the user may see; business days left; the
notifications page; and a constant number of SQL statements per page."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import time_machine
from flask import render_template_string
from sqlalchemy import select

import omd_gov.web.notices  # noqa: F401  (its pages and header count, until install.py lists it)
from omd_gov.audit.models import AuditEvent
from omd_gov.db import db
from omd_gov.deadlines.calendar import BusinessCalendar
from omd_gov.deadlines.worklists import business_days_left
from omd_gov.notifications.models import Notification
from tests.factories import Account, Factory, agreement_payload
from tests.integration.conftest import World
from tests.integration.test_statement_count import counted
from tests.web_support import Browser, browser, csrf_of, sign_in, web_user

MONDAY = datetime(2026, 6, 1, 9, tzinfo=UTC)


def _signed_in(app: Any, factory: Factory, role: str, org: int | None) -> tuple[Account, Browser]:
    account, email = web_user(factory, role, org)
    client = browser(app)
    assert sign_in(client, email).status_code == 303
    return account, client


def _section(page: Any, name: str) -> str:
    html = page.get_data(as_text=True)
    found = re.search(rf'<section[^>]*aria-labelledby="{name}".*?</section>', html, re.S)
    assert found, f"no section {name}"
    return found.group(0)


def _in_review(world: World, parties: list[dict[str, Any]] | None = None) -> tuple[str, int]:
    """An agreement in legal review: its reference and its legal-review deadline."""
    payload = agreement_payload(world.cooperation_id, parties or world.parties())
    agreement = world.api.as_(world.data_officer).post("/api/v1/agreements", json=payload).json
    world.to_state(agreement["id"], "legal_review")
    listed = world.api.as_(world.legal).get(f"/api/v1/deadlines?agreement_id={agreement['id']}")
    return agreement["reference"], listed.json["items"][0]["id"]


def _claim(client: Browser, deadline_id: int, **form: Any) -> Any:
    token = csrf_of(client.get("/"))
    return client.post(f"/deadlines/{deadline_id}/claim", data={"csrf_token": token, **form})


def _claim_events(deadline_id: int) -> list[AuditEvent]:
    statement = select(AuditEvent).where(
        AuditEvent.entity_id == deadline_id, AuditEvent.action == "claim_deadline"
    )
    return list(db.session.scalars(statement))


def test_waiting_on_me_and_my_teams_queue_are_kept_apart(app, factory, world):
    mine_ref, mine_id = _in_review(world)
    team_ref, _team_id = _in_review(world)
    legal, client = _signed_in(app, factory, "legal_officer", world.city)
    _colleague, other = _signed_in(app, factory, "legal_officer", world.city)
    claimed = world.api.as_(legal).post(f"/api/v1/deadlines/{mine_id}/claim")
    assert claimed.status_code == 200

    page = client.get("/")
    colleague_page = other.get("/")

    assert page.status_code == 200
    assert mine_ref in _section(page, "waiting") and team_ref not in _section(page, "waiting")
    assert team_ref in _section(page, "team") and mine_ref not in _section(page, "team")
    assert mine_ref not in _section(colleague_page, "waiting")
    assert team_ref in _section(colleague_page, "team")
    assert "10 business days left" in _section(page, "waiting")


def test_claiming_moves_a_deadline_from_the_team_queue_to_me_and_is_audited(app, factory, world):
    reference, deadline_id = _in_review(world)
    legal, client = _signed_in(app, factory, "legal_officer", world.city)
    assert reference in _section(client.get("/"), "team")

    response = _claim(client, deadline_id)

    assert response.status_code == 303 and response.headers["Location"] == "/"
    page = client.get("/")
    assert "You claimed the legal review" in page.get_data(as_text=True)
    assert reference in _section(page, "waiting") and reference not in _section(page, "team")
    (event,) = _claim_events(deadline_id)
    assert (event.actor_id, event.source) == (legal.user_id, "ui")
    assert event.changes["assignee_id"] == {"from": None, "to": legal.user_id}


def test_assigning_to_a_colleague_puts_it_in_their_waiting_list(app, factory, world):
    reference, deadline_id = _in_review(world)
    legal, client = _signed_in(app, factory, "legal_officer", world.city)
    colleague, other = _signed_in(app, factory, "legal_officer", world.city)
    team = _section(client.get("/"), "team")
    name = factory.get_user(colleague).name
    assert f'<option value="{colleague.user_id}">{name}</option>' in team
    assert f'<option value="{legal.user_id}">' not in team  # claiming for oneself is "Claim"

    refused = _claim(client, deadline_id, assignee_id=world.data_officer.user_id)
    assert refused.status_code == 422
    assert "must be an active user of the team" in refused.get_data(as_text=True)
    response = _claim(client, deadline_id, assignee_id=colleague.user_id)

    assert response.status_code == 303
    assert reference in _section(other.get("/"), "waiting")
    assert reference not in _section(client.get("/"), "team")
    (event,) = _claim_events(deadline_id)
    assert event.actor_id == legal.user_id
    assert event.changes["assignee_id"] == {"from": None, "to": colleague.user_id}


def test_claiming_an_already_claimed_deadline_is_refused_with_a_clear_message(app, factory, world):
    _reference, deadline_id = _in_review(world)
    first, client = _signed_in(app, factory, "legal_officer", world.city)
    _second, late = _signed_in(app, factory, "legal_officer", world.city)
    assert _claim(client, deadline_id).status_code == 303

    refused = _claim(late, deadline_id)

    assert refused.status_code == 409
    name = factory.get_user(first).name
    alert = re.search(r'<div class="error" role="alert">.*?</div>', refused.get_data(True), re.S)
    assert alert and f"this deadline is already assigned to {name}" in alert.group(0)
    assert len(_claim_events(deadline_id)) == 1


def test_a_data_officer_cannot_claim_a_legal_review(app, factory, world):
    reference, deadline_id = _in_review(world)
    _account, client = _signed_in(app, factory, "data_officer", world.city)
    assert reference not in _section(client.get("/"), "team")

    refused = _claim(client, deadline_id)

    assert refused.status_code == 403
    assert "Not allowed" in refused.get_data(as_text=True)
    assert _claim_events(deadline_id) == []
    no_token = client.post(f"/deadlines/{deadline_id}/claim")
    assert no_token.status_code == 400  # CSRF, before anything else


def _counts(page: Any) -> dict[str, int]:
    rows = re.findall(r"state=(\w+)\">[^<]*</a></td><td>(\d+)</td>", _section(page, "states"))
    return {state: int(count) for state, count in rows}


def test_counts_by_state_and_activity_follow_what_the_user_may_see(app, factory, world):
    without_partner = [
        {"organization_id": world.city, "role": "controller", "signs": True},
        {"organization_id": world.other_partner, "role": "processor", "signs": True},
    ]
    shared_ref, _ = _in_review(world)
    hidden_ref, _ = _in_review(world, without_partner)
    world.create_agreement()
    _legal, office = _signed_in(app, factory, "legal_officer", world.city)
    _signatory, partner = _signed_in(app, factory, "signatory", world.partner)

    office_page, partner_page = office.get("/"), partner.get("/")

    assert _counts(office_page)["legal_review"] == 2 and _counts(office_page)["draft"] == 1
    assert _counts(partner_page)["legal_review"] == 1 and _counts(partner_page)["draft"] == 1
    assert _counts(partner_page)["active"] == 0
    office_activity = _section(office_page, "activity")
    partner_activity = _section(partner_page, "activity")
    assert shared_ref in office_activity and hidden_ref in office_activity
    assert shared_ref in partner_activity and hidden_ref not in partner_activity
    assert "draft → legal review" in partner_activity
    assert "deadlines" not in partner_activity  # the office's part of the trail
    assert "@" not in partner_activity  # office staff are named by role only


def test_business_days_left_count_the_office_calendar():
    porto = BusinessCalendar("PT", "13")
    friday, monday = date(2026, 6, 5), date(2026, 6, 8)
    assert business_days_left(porto, friday, monday) == 1
    assert business_days_left(porto, monday, monday) == 0
    assert business_days_left(porto, monday, friday) == -1
    # 10 June (Portugal Day) is no business day.
    assert business_days_left(porto, date(2026, 6, 9), date(2026, 6, 11)) == 1


def test_an_overdue_deadline_shows_the_business_days_since(app, factory, world):
    with time_machine.travel(MONDAY, tick=False) as traveller:
        reference, _ = _in_review(world)
        # Due on the 17th: ten business days, skipping Corpus Christi (4 June)
        # and Portugal Day (10 June).
        traveller.move_to(datetime(2026, 6, 19, 9, tzinfo=UTC))
        _account, client = _signed_in(app, factory, "legal_officer", world.city)
        soon = _section(client.get("/"), "soon")
    assert reference in soon and 'class="overdue"' in soon
    assert "2026-06-17" in soon and "overdue</strong> by 2 business days" in soon


def test_the_dashboard_sends_as_many_statements_for_many_agreements_as_for_one(app, factory, world):
    _account, client = _signed_in(app, factory, "legal_officer", world.city)
    _in_review(world)
    client.get("/")  # warm: the first request reads the templates, not the database

    def statements() -> list[str]:
        client.get("/")  # the office's counts are taken again once after a change
        with counted(app) as seen:
            assert client.get("/").status_code == 200
        return seen["statements"]

    few = statements()
    for _ in range(4):
        _in_review(world)
        world.create_agreement()
    many = statements()
    assert len(many) == len(few), "\n".join(many)
    assert len(few) <= 10, "\n".join(few)


def test_the_office_counts_are_taken_again_after_every_change_and_only_then(app, factory, world):
    _account, client = _signed_in(app, factory, "legal_officer", world.city)
    grouped = "GROUP BY agreements.state"

    def dashboard() -> tuple[dict[str, int], bool]:
        with counted(app) as seen:
            page = client.get("/")
        return _counts(page), any(grouped in statement for statement in seen["statements"])

    before, counted_now = dashboard()
    assert counted_now and dashboard() == (before, False)  # unchanged: kept
    agreement = world.create_agreement()
    created, counted_now = dashboard()
    assert counted_now and created["draft"] == before["draft"] + 1
    assert world.fire(agreement["id"], world.data_officer, "submit").status_code == 200
    submitted, counted_now = dashboard()
    assert counted_now and submitted["draft"] == before["draft"]
    assert submitted["legal_review"] == before["legal_review"] + 1
    assert dashboard() == (submitted, False)


def test_the_notifications_page_lists_mine_and_marks_them_read(app, factory, world):
    legal, client = _signed_in(app, factory, "legal_officer", world.city)
    _partner, partner = _signed_in(app, factory, "signatory", world.partner)
    for n in range(3):
        db.session.add(Notification(user_id=legal.user_id, topic="test", language="en",
                                    subject=f"Reminder {n}", body="b"))  # fmt: skip
    db.session.commit()
    first = db.session.scalars(select(Notification.id).order_by(Notification.id)).first()

    def unread(who: Browser) -> str:
        return str(who.get("/notifications").get_data(as_text=True))

    page = unread(client)
    assert page.count("<strong>Unread:</strong>") == 3 and "Reminder 2" in page
    assert "Reminder" not in unread(partner)
    token = {"csrf_token": csrf_of(client.get("/notifications"))}
    partner_token = {"csrf_token": csrf_of(partner.get("/notifications"))}
    assert partner.post(f"/notifications/{first}/read", data=partner_token).status_code == 404
    assert client.post(f"/notifications/{first}/read", data=token).status_code == 303
    assert unread(client).count("<strong>Unread:</strong>") == 2
    assert client.post("/notifications/read-all", data=token).status_code == 303
    assert unread(client).count("<strong>Unread:</strong>") == 0


def test_the_header_count_is_the_signed_in_users_unread_notifications(app, factory, world):
    legal, client = _signed_in(app, factory, "legal_officer", world.city)
    db.session.add(Notification(user_id=legal.user_id, topic="t", language="en", subject="s",
                                body="b"))  # fmt: skip
    db.session.commit()
    with app.test_request_context():
        assert render_template_string("{{ unread_notifications() }}") == "0"  # signed out
    cookie = client.client.get_cookie("session")
    assert cookie is not None
    with app.test_request_context(headers={"Cookie": f"session={cookie.value}"}):
        assert render_template_string("{{ unread_notifications() }}") == "1"
