"""Who may be assigned a deadline, who may read or complete it, and the
rows that must survive (or act) whatever the agreement went through."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from sqlalchemy import delete, select

from omd_gov.agreements.models import Agreement, Party
from omd_gov.db import db, transaction, utcnow
from omd_gov.deadlines.models import Deadline, Reminder
from omd_gov.deadlines.scheduling import context, open_deadline
from omd_gov.deadlines.services import send_reminder
from omd_gov.deadlines.sweep import collect
from tests.factories import Factory
from tests.integration.conftest import World
from tests.reminders_support import advance

MONDAY = datetime(2026, 6, 1, 9, tzinfo=UTC)


@pytest.fixture
def monday() -> Iterator[Any]:
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def _add(agreement_id: int, **fields: Any) -> int:
    """A deadline row as older code (or a later change) may have left it."""
    now = utcnow()
    row = Deadline(
        agreement_id=agreement_id,
        kind="changes",
        starts_on=date(2026, 6, 1),
        due_on=date(2026, 6, 17),
        status="open",
        revision=1,
        opened_at=now,
        created_at=now,
    )
    for key, value in fields.items():
        setattr(row, key, value)
    with transaction(db.session):
        db.session.add(row)
    return row.id


def _submitted(world: World) -> tuple[int, str]:
    agreement = world.create_agreement()
    advance(world, agreement["id"], ("submit", world.data_officer))
    review = world.api.as_(world.legal).get(f"/api/v1/deadlines?agreement_id={agreement['id']}")
    return agreement["id"], f"/api/v1/deadlines/{review.json['items'][0]['id']}"


def test_only_office_staff_or_the_parties_signatories_can_be_assigned(
    world: World, factory: Factory, monday: Any
) -> None:
    _aid, url = _submitted(world)
    api = world.api.as_(world.legal)
    refused = api.patch(url, json={"assignee_id": world.sign_outsider.user_id})
    assert refused.status_code == 422, refused.json
    assert refused.json["errors"][0]["field"] == "assignee_id"
    retired = factory.user("legal_officer", world.city)
    with transaction(factory.session):
        factory.get_user(retired).active = False
    assert api.patch(url, json={"assignee_id": retired.user_id}).status_code == 422
    assert api.patch(url, json={"assignee_id": world.sign_partner.user_id}).status_code == 200
    assert api.patch(url, json={"assignee_id": world.auditor.user_id}).status_code == 200


def test_partners_read_only_their_own_deadlines_on_their_own_agreements(
    world: World, monday: Any
) -> None:
    aid, _url = _submitted(world)
    # Assigned by name to a user whose organisation is no party (as the old
    # reassignment allowed), and role-wide to every signatory of no organisation.
    foreign = _add(aid, assignee_id=world.sign_outsider.user_id)
    role_wide = _add(aid, assignee_role="signatory")
    own = _add(aid, assignee_role="signatory", assignee_organization_id=world.partner)
    api = world.api
    outsider = api.as_(world.sign_outsider)
    assert outsider.get("/api/v1/deadlines").json["items"] == []
    assert outsider.get(f"/api/v1/deadlines/{foreign}").status_code == 404
    feed = outsider.post("/api/v1/calendar/feed-token").json["url"].split("/api/v1")[1]
    body = api.get(f"/api/v1{feed}").get_data(as_text=True)
    assert "BEGIN:VCALENDAR" in body and "VEVENT" not in body
    partner = api.as_(world.sign_partner)
    assert [d["id"] for d in partner.get("/api/v1/deadlines").json["items"]] == [own]
    assert partner.get(f"/api/v1/deadlines/{role_wide}").status_code == 404
    feed = partner.post("/api/v1/calendar/feed-token").json["url"].split("/api/v1")[1]
    assert api.get(f"/api/v1{feed}").get_data(as_text=True).count("BEGIN:VEVENT") == 1
    # Partners may filter on themselves only; any other id is "not found", existing or not.
    me = partner.get(f"/api/v1/deadlines?assignee={world.sign_partner.user_id}")
    assert [d["id"] for d in me.json["items"]] == [own]
    for other in (world.legal.user_id, 99999):
        hidden = partner.get(f"/api/v1/deadlines?assignee={other}")
        assert (hidden.status_code, hidden.json["detail"]) == (404, f"user {other} not found")
    office = api.as_(world.auditor).get("/api/v1/deadlines?status=all").json["items"]
    assert {foreign, role_wide, own} <= {d["id"] for d in office}


def test_a_kind_is_completed_only_by_the_roles_that_own_it(world: World, monday: Any) -> None:
    aid, _url = _submitted(world)
    publication = _add(aid, kind="publication", assignee_role="transparency_officer")
    review = _add(aid, kind="periodic_review", assignee_role="legal_officer")
    api = world.api
    done = f"/api/v1/deadlines/{publication}/complete"
    refused = api.as_(world.data_officer).post(done, json={})
    assert refused.status_code == 403 and "transparency_officer" in refused.json["detail"]
    assert api.as_(world.legal).post(done, json={}).status_code == 403
    assert api.as_(world.transparency).post(done, json={}).status_code == 200
    review_done = f"/api/v1/deadlines/{review}/complete"
    assert api.as_(world.transparency).post(review_done, json={}).status_code == 403
    assert api.as_(world.data_officer).post(review_done, json={}).status_code == 200


def test_an_expiry_deadline_is_not_moved_by_hand(world: World, monday: Any) -> None:
    aid, _url = _submitted(world)
    expiry = _add(aid, kind="expiry", due_on=date(2027, 12, 31))
    moved = world.api.as_(world.legal).patch(
        f"/api/v1/deadlines/{expiry}", json={"due_on": "2026-07-01"}
    )
    assert moved.status_code == 422 and moved.json["errors"][0]["field"] == "due_on"


def test_removing_a_party_keeps_its_closed_signature_deadline(world: World, monday: Any) -> None:
    agreement = world.create_agreement()
    party = next(p["id"] for p in agreement["parties"] if p["organization_id"] == world.partner)
    deadline = _add(agreement["id"], kind="signature", party_id=party, status="closed")
    with transaction(db.session):  # what editing does to a party removed after a decline
        db.session.execute(delete(Party).where(Party.id == party))
    db.session.expire_all()
    row = db.session.get(Deadline, deadline)
    assert row is not None and row.party_id is None and row.status == "closed"


def test_an_agreement_active_after_its_end_date_is_expired_by_the_next_sweep(
    app: Any, world: World, monday: Any
) -> None:
    aid = world.create_agreement()["id"]
    end = date(2026, 5, 29)  # the Friday before: already over
    with transaction(db.session):
        agreement = db.session.get(Agreement, aid)
        assert agreement is not None
        agreement.state, agreement.end_date = "active", end
        deadline = open_deadline(db.session, context(db.session), aid, "expiry", end)
    expire = db.session.execute(
        select(Reminder.id).where(Reminder.deadline_id == deadline.id, Reminder.kind == "expire")
    ).scalar_one()
    assert collect(db.session, utcnow(), 100).reminders == [expire]
    assert send_reminder(db.session, expire) == "expired"
    db.session.expire_all()
    assert db.session.get(Agreement, aid).state == "expired"  # type: ignore[union-attr]
