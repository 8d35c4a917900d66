"""Deadlines follow the lifecycle (rows written in the transition's
transaction) and are listed, moved and completed through the API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from omd_gov.audit.models import AuditEvent
from omd_gov.db import db
from omd_gov.deadlines.models import Deadline
from tests.factories import agreement_payload
from tests.integration.conftest import World
from tests.reminders_support import advance

MONDAY = datetime(2026, 6, 1, 9, tzinfo=UTC)  # 10:00 in Porto


@pytest.fixture
def monday() -> Iterator[Any]:
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def _deadlines(world: World, agreement_id: int) -> list[dict[str, Any]]:
    response = world.api.as_(world.legal).get(f"/api/v1/agreements/{agreement_id}")
    assert response.status_code == 200
    return list(response.json["deadlines"])


def _open(world: World, agreement_id: int) -> list[tuple[str, str, int | None]]:
    return sorted(
        (d["kind"], d["due_on"], d["party_id"])
        for d in _deadlines(world, agreement_id)
        if d["status"] == "open"
    )


def test_deadlines_follow_the_lifecycle(world: World, monday: Any) -> None:
    agreement = world.create_agreement()
    aid = agreement["id"]
    assert _deadlines(world, aid) == []
    advance(world, aid, ("submit", world.data_officer))
    assert _open(world, aid) == [("legal_review", "2026-06-17", None)]
    review = _deadlines(world, aid)[0]
    assert (review["assignee_role"], review["overdue"]) == ("legal_officer", False)
    assert world.fire(aid, world.legal, "request_changes", "Narrow the purpose").status_code == 200
    assert _open(world, aid) == [("changes", "2026-06-17", None)]
    changes = next(d for d in _deadlines(world, aid) if d["kind"] == "changes")
    assert changes["assignee_id"] == world.data_officer.user_id
    closed = {
        d["kind"]: d["close_reason"] for d in _deadlines(world, aid) if d["status"] == "closed"
    }
    assert closed == {"legal_review": "request_changes"}
    advance(world, aid, ("submit", world.data_officer), ("approve", world.legal))
    assert _open(world, aid) == []
    advance(world, aid, ("send_for_signature", world.legal))
    parties = {p["organization_id"]: p["id"] for p in agreement["parties"]}
    # One per signing party (the non-signing party gets none); 15 business days.
    assert _open(world, aid) == [
        ("signature", "2026-06-25", parties[world.city]),
        ("signature", "2026-06-25", parties[world.partner]),
    ]
    advance(world, aid, ("sign", world.sign_city))
    assert _open(world, aid) == [("signature", "2026-06-25", parties[world.partner])]
    assert world.fire(aid, world.sign_partner, "decline", "Wrong annex").status_code == 200
    assert _open(world, aid) == [("changes", "2026-06-17", None)]
    assert world.fire(aid, world.data_officer, "withdraw", "Replaced").status_code == 200
    assert _open(world, aid) == []
    reasons = [d["close_reason"] for d in _deadlines(world, aid)]
    assert reasons.count("withdraw") == 1 and reasons.count("decline") == 1


def test_activation_opens_publication_expiry_and_review(world: World, monday: Any) -> None:
    agreement = world.create_agreement(end_date="2027-12-31")
    advance(
        world,
        agreement["id"],
        *[
            ("submit", world.data_officer),
            ("approve", world.legal),
            ("send_for_signature", world.legal),
            ("sign", world.sign_city),
            ("sign", world.sign_partner),
        ],
    )
    assert _open(world, agreement["id"]) == [
        ("expiry", "2027-12-31", None),
        ("periodic_review", "2027-06-01", None),  # the agreement's 12-month interval
        ("publication", "2026-07-02", None),  # 20 business days
    ]
    events = (
        db.session.execute(
            select(AuditEvent)
            .where(AuditEvent.agreement_id == agreement["id"], AuditEvent.action == "deadlines")
            .order_by(AuditEvent.seq)
        )
        .scalars()
        .all()
    )
    assert len(events) == 5  # submit, approve, send, sign, last sign (with activation)
    assert [d["kind"] for d in events[-1].changes["opened"]] == [
        "publication",
        "expiry",
        "periodic_review",
    ]


def test_a_failing_transition_writes_no_deadline(world: World, monday: Any) -> None:
    payload = agreement_payload(world.cooperation_id, world.parties()[:1])
    agreement = world.api.as_(world.data_officer).post("/api/v1/agreements", json=payload).json
    # The guards refuse: fewer than two parties.
    assert world.fire(agreement["id"], world.data_officer, "submit").status_code == 422
    assert db.session.execute(select(Deadline)).all() == []


def test_deadlines_and_the_transition_commit_together(
    world: World, monday: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    agreement = world.create_agreement()

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("calendar unavailable")

    monkeypatch.setattr("omd_gov.deadlines.hooks.due_date", broken)
    with pytest.raises(RuntimeError):
        world.fire(agreement["id"], world.data_officer, "submit")
    db.session.rollback()
    monkeypatch.undo()
    assert (
        world.api.as_(world.legal).get(f"/api/v1/agreements/{agreement['id']}").json["state"]
        == "draft"
    )
    assert db.session.execute(select(Deadline)).all() == []


def test_listing_filters_and_partner_isolation(world: World, monday: Any) -> None:
    first, second = world.create_agreement(), world.create_agreement()
    advance(world, first["id"], ("submit", world.data_officer))
    advance(
        world,
        second["id"],
        *[
            ("submit", world.data_officer),
            ("approve", world.legal),
            ("send_for_signature", world.legal),
        ],
    )
    api = world.api
    mine = api.as_(world.legal).get("/api/v1/deadlines?assignee=me").json["items"]
    assert [(d["agreement_id"], d["kind"]) for d in mine] == [(first["id"], "legal_review")]
    everything = api.as_(world.auditor).get("/api/v1/deadlines").json["items"]
    assert len(everything) == 3
    partner = api.as_(world.sign_partner).get("/api/v1/deadlines").json["items"]
    assert [(d["kind"], d["assignee_organization_id"]) for d in partner] == [
        ("signature", world.partner)
    ]
    outsider = api.as_(world.sign_outsider).get("/api/v1/deadlines").json["items"]
    assert outsider == []
    hidden = partner[0]["id"] - 1 if partner[0]["id"] > 1 else partner[0]["id"] + 1
    assert api.as_(world.sign_partner).get(f"/api/v1/deadlines/{hidden}").status_code == 404
    assert api.as_(world.legal).get("/api/v1/deadlines?due_before=2026-06-18").json["items"]
    with time_machine.travel(datetime(2026, 6, 18, 9, tzinfo=UTC), tick=False):
        overdue = api.as_(world.legal).get("/api/v1/deadlines?overdue=true").json["items"]
        assert [d["kind"] for d in overdue] == ["legal_review"] and overdue[0]["overdue"]
        on_time = api.as_(world.legal).get("/api/v1/deadlines?overdue=false").json["items"]
        assert {d["kind"] for d in on_time} == {"signature"}
    for bad in ("assignee=someone", "overdue=maybe", "due_before=June", "kind=nap", "per_page=0"):
        response = api.as_(world.legal).get(f"/api/v1/deadlines?{bad}")
        assert response.status_code == 422, bad
        assert response.mimetype == "application/problem+json"
    assert api.as_(world.legal).get("/api/v1/deadlines?assignee=99999").status_code == 404
    assert world.api.get("/api/v1/deadlines").status_code == 401


def test_moving_reassigning_and_completing(world: World, monday: Any) -> None:
    agreement = world.create_agreement()
    advance(world, agreement["id"], ("submit", world.data_officer))
    review = _deadlines(world, agreement["id"])[0]
    url = f"/api/v1/deadlines/{review['id']}"
    api = world.api
    assert api.as_(world.data_officer).patch(url, json={"due_on": "2026-06-30"}).status_code == 403
    past = api.as_(world.legal).patch(url, json={"due_on": "2026-05-29"})
    assert past.status_code == 422 and past.json["errors"][0]["field"] == "due_on"
    nobody = api.as_(world.legal).patch(url, json={"assignee_id": 99999})
    assert nobody.status_code == 422
    assert api.as_(world.legal).patch(url, json={}).status_code == 422
    moved = api.as_(world.legal).patch(
        url, json={"due_on": "2026-06-30", "assignee_id": world.legal2.user_id, "comment": "leave"}
    )
    assert moved.status_code == 200, moved.json
    body = moved.json
    assert (body["due_on"], body["revision"], body["assignee_id"]) == (
        "2026-06-30",
        2,
        world.legal2.user_id,
    )
    steps = {(r["step"], r["status"]) for r in body["reminders"]}
    assert ("before2.r1", "cancelled") in steps and ("before2.r2", "scheduled") in steps
    mine = api.as_(world.legal).get("/api/v1/deadlines?assignee=me").json["items"]
    assert mine == []  # now assigned to legal2 by name
    refused = api.as_(world.legal).post(f"{url}/complete", json={})
    assert refused.status_code == 409  # a legal review closes by approving
    advance(
        world,
        agreement["id"],
        *[
            ("approve", world.legal),
            ("send_for_signature", world.legal),
            ("sign", world.sign_city),
            ("sign", world.sign_partner),
        ],
    )
    publication = next(d for d in _deadlines(world, agreement["id"]) if d["kind"] == "publication")
    done_url = f"/api/v1/deadlines/{publication['id']}/complete"
    assert api.as_(world.auditor).post(done_url, json={}).status_code == 403
    done = api.as_(world.transparency).post(done_url, json={"comment": "published"})
    assert done.status_code == 200 and done.json["close_reason"] == "completed"
    assert api.as_(world.transparency).post(done_url, json={}).status_code == 409
    assert (
        api.as_(world.legal)
        .patch(done_url.removesuffix("/complete"), json={"due_on": "2026-07-30"})
        .status_code
        == 409
    )
    assert api.as_(world.legal).get("/api/v1/deadlines/424242").status_code == 404


def test_policy_is_stored_editable_and_audited(world: World, monday: Any) -> None:
    api = world.api
    policies = {p["kind"]: p for p in api.as_(world.legal).get("/api/v1/deadlines/policy").json}
    assert policies["legal_review"] == {
        "kind": "legal_review",
        "due_business_days": 10,
        "remind_before_business_days": [2, 0],
        "remind_every_business_days": None,
        "escalate_after_business_days": 3,
        "notice_days_before": [],
        "notify_on_start": True,
        "review_every_months": None,
    }
    assert policies["expiry"]["notice_days_before"] == [90, 30, 7]
    assert policies["signature"]["remind_every_business_days"] == 5
    url = "/api/v1/deadlines/policy/legal_review"
    assert api.as_(world.legal).patch(url, json={"due_business_days": 5}).status_code == 403
    assert api.as_(world.admin).patch("/api/v1/deadlines/policy/nap", json={}).status_code == 404
    bad = api.as_(world.admin).patch(url, json={"due_business_days": 0})
    assert bad.status_code == 422
    changed = api.as_(world.admin).patch(
        url, json={"due_business_days": 5, "remind_before_business_days": [1, 0, 1]}
    )
    assert changed.status_code == 200, changed.json
    assert changed.json["remind_before_business_days"] == [1, 0]
    agreement = world.create_agreement()
    advance(world, agreement["id"], ("submit", world.data_officer))
    assert _open(world, agreement["id"]) == [("legal_review", "2026-06-09", None)]
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "update_policy")
    ).scalar_one()
    assert event.changes["due_business_days"] == {"from": 10, "to": 5}
