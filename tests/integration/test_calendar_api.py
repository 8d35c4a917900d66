"""/api/v1/calendar: business days, municipal holidays, and the iCalendar feed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import icalendar
import pytest
import time_machine
from sqlalchemy import select

from omd_gov.audit.models import AuditEvent
from omd_gov.db import db
from omd_gov.deadlines.models import CalendarFeedToken
from tests.integration.conftest import World
from tests.reminders_support import advance


@pytest.fixture
def monday() -> Iterator[Any]:
    with time_machine.travel(datetime(2026, 6, 1, 9, tzinfo=UTC), tick=False) as traveller:
        yield traveller


def _business(world: World, query: str) -> Any:
    return world.api.as_(world.legal).get(f"/api/v1/calendar/business-days?{query}")


def test_business_days_on_the_porto_calendar(world: World) -> None:
    answer = _business(world, "from=2026-06-19&n=5")
    assert answer.status_code == 200
    assert answer.json["date"] == "2026-06-29"
    assert (answer.json["country"], answer.json["subdiv"]) == ("PT", "13")
    assert [day["date"] for day in answer.json["skipped"]] == ["2026-06-24"]
    assert _business(world, "from=2026-06-29&n=-5").json["date"] == "2026-06-19"
    for bad in (
        "n=5",
        "from=2026-06-19",
        "from=19/06/2026&n=5",
        "from=2026-06-19&n=5000",
        "from=2026-06-19&n=five",
    ):
        response = _business(world, bad)
        assert response.status_code == 422, bad
        assert response.mimetype == "application/problem+json"
    assert world.api.get("/api/v1/calendar/business-days?from=2026-06-19&n=5").status_code == 401


def test_national_calendar_when_configured(app: Any, world: World) -> None:
    saved = app.config["OMD_CALENDAR_SUBDIV"]
    app.config["OMD_CALENDAR_SUBDIV"] = ""
    try:
        assert _business(world, "from=2026-06-19&n=5").json["date"] == "2026-06-26"
        app.config.update(OMD_CALENDAR_COUNTRY="ES", OMD_CALENDAR_SUBDIV="MD")
        madrid = _business(world, "from=2025-05-01&n=1").json
        assert madrid["date"] == "2025-05-05"  # 2 May: the Community of Madrid's day
    finally:
        app.config.update(OMD_CALENDAR_COUNTRY="PT", OMD_CALENDAR_SUBDIV=saved)


def test_municipal_holidays_are_admin_edited_and_audited(world: World) -> None:
    api = world.api
    year = api.as_(world.legal).get("/api/v1/calendar/holidays?year=2026").json
    assert year["year"] == 2026
    sao_joao = [h for h in year["items"] if h["date"] == "2026-06-24"]
    assert len(sao_joao) == 1 and sao_joao[0]["source"] == "official"
    closure = {"date": "2026-06-22", "name": "Office move", "kind": "closure"}
    assert api.as_(world.legal).post("/api/v1/calendar/holidays", json=closure).status_code == 403
    created = api.as_(world.admin).post("/api/v1/calendar/holidays", json=closure)
    assert created.status_code == 201 and created.json["source"] == "municipal"
    again = api.as_(world.admin).post("/api/v1/calendar/holidays", json=closure)
    assert again.status_code == 409
    bad = api.as_(world.admin).post("/api/v1/calendar/holidays", json={"date": "2026-02-30"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json["errors"]} == {"date", "name"}
    assert _business(world, "from=2026-06-19&n=5").json["date"] == "2026-06-30"
    listed = api.as_(world.legal).get("/api/v1/calendar/holidays?year=2026").json["items"]
    assert {"id": created.json["id"], "source": "municipal", **closure} in listed
    url = f"/api/v1/calendar/holidays/{created.json['id']}"
    assert api.as_(world.legal).delete(url).status_code == 403
    assert api.as_(world.admin).delete(url).status_code == 204
    assert api.as_(world.admin).delete(url).status_code == 404
    assert _business(world, "from=2026-06-19&n=5").json["date"] == "2026-06-29"
    actions = (
        db.session.execute(
            select(AuditEvent.action)
            .where(AuditEvent.entity_type == "municipal_holiday")
            .order_by(AuditEvent.seq)
        )
        .scalars()
        .all()
    )
    assert actions == ["create", "delete"]


def _feed(world: World, url: str) -> icalendar.Calendar:
    path = urlsplit(url)
    response = world.api.client.get(path.path, query_string=parse_qs(path.query))
    assert response.status_code == 200, response.data
    assert response.mimetype == "text/calendar"
    return icalendar.Calendar.from_ical(response.data)


def _events(calendar: icalendar.Calendar) -> dict[str, Any]:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_ical_feed_with_stable_uids_and_a_secret_token(world: World, monday: Any) -> None:
    api = world.api
    agreement = world.create_agreement()
    advance(world, agreement["id"], ("submit", world.data_officer))
    issued = api.as_(world.legal).post("/api/v1/calendar/feed-token")
    assert issued.status_code == 201
    token, url = issued.json["token"], issued.json["url"]
    assert url.endswith(f"/api/v1/calendar.ics?token={token}")
    stored = db.session.execute(select(CalendarFeedToken)).scalar_one()
    assert stored.token_hash != token and token not in stored.token_hash  # only a hash
    first = _events(_feed(world, url))
    assert len(first) == 1
    uid, event = next(iter(first.items()))
    assert event["DTSTART"].dt == date(2026, 6, 17) and int(event["SEQUENCE"]) == 0
    assert agreement["reference"] in str(event["SUMMARY"])
    assert str(event["URL"]).endswith(f"/agreements/{agreement['id']}")
    deadline_id = api.as_(world.legal).get("/api/v1/deadlines").json["items"][0]["id"]
    api.as_(world.legal).patch(f"/api/v1/deadlines/{deadline_id}", json={"due_on": "2026-06-19"})
    moved = _events(_feed(world, url))
    assert list(moved) == [uid]  # same event, updated
    assert moved[uid]["DTSTART"].dt == date(2026, 6, 19) and int(moved[uid]["SEQUENCE"]) == 1
    # The feed is per user: a partner's signatory sees nothing of the legal review.
    partner_url = api.as_(world.sign_partner).post("/api/v1/calendar/feed-token").json["url"]
    assert _events(_feed(world, partner_url)) == {}
    # Wrong, bearer, rotated and revoked tokens all answer 404.
    client = api.client
    assert client.get("/api/v1/calendar.ics?token=ics_nope").status_code == 404
    assert client.get("/api/v1/calendar.ics").status_code == 404
    assert client.get(f"/api/v1/calendar.ics?token={world.legal.token}").status_code == 404
    rotated = api.as_(world.legal).post("/api/v1/calendar/feed-token").json
    assert client.get(url).status_code == 404
    assert _events(_feed(world, rotated["url"])).keys() == first.keys()
    assert api.as_(world.legal).delete("/api/v1/calendar/feed-token").status_code == 204
    assert client.get(rotated["url"]).status_code == 404
