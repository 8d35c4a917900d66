"""Waiting on the database (not on the broker) and driving agreements."""

from __future__ import annotations

import time
from typing import Any

from flask import has_app_context
from sqlalchemy import func, select, text

from omd_gov.db import db, utcnow
from omd_gov.deadlines.models import Reminder
from omd_gov.notifications.models import Delivery


def outstanding(app: Any) -> int:
    """Due but unclaimed reminders plus deliveries nobody has finished."""
    with app.app_context():
        now = utcnow()
        due = db.session.execute(
            select(func.count())
            .select_from(Reminder)
            .where(Reminder.status == "scheduled", Reminder.scheduled_for <= now)
        ).scalar_one()
        unfinished = db.session.execute(
            select(func.count())
            .select_from(Delivery)
            .where(text("status IN ('pending', 'sending')"))
        ).scalar_one()
        db.session.remove()
    return int(due) + int(unfinished)


def fresh_snapshot() -> None:
    """The ``factory`` fixture keeps one app context (so one session) for the
    whole test, and test-client requests reuse it. On SQLite its open read
    transaction would keep an old snapshot and miss the worker's commits."""
    if has_app_context():
        db.session.rollback()


def settle(app: Any, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while (left := outstanding(app)) and time.monotonic() < end:
        time.sleep(0.03)
    fresh_snapshot()
    assert not left, f"{left} reminders/deliveries still outstanding after {timeout}s"


def fire(world: Any, agreement_id: int, account: Any, trigger: str, comment: str = "") -> Any:
    """Fire a trigger, retrying a 409 "concurrent write" as the API asks
    clients to (a write racing the worker's; rare since units of work take
    SQLite's write lock up front)."""
    for _attempt in range(5):
        fresh_snapshot()
        response = world.fire(agreement_id, account, trigger, comment)
        if response.status_code != 409 or "concurrent-write" not in response.json["type"]:
            return response
        time.sleep(0.1)
    return response


def advance(world: Any, agreement_id: int, *steps: tuple[str, Any]) -> None:
    """Fire triggers in order; generate the DSA first where signing needs one."""
    for trigger, account in steps:
        fresh_snapshot()
        if trigger == "send_for_signature":
            response = world.api.as_(account).post(
                f"/api/v1/agreements/{agreement_id}/documents",
                json={"kind": "dsa", "language": "en"},
            )
            assert response.status_code == 201, response.json
        response = fire(world, agreement_id, account, trigger)
        assert response.status_code == 200, (trigger, response.json)


def happy_path(world: Any) -> list[tuple[str, Any]]:
    return [
        ("submit", world.data_officer),
        ("approve", world.legal),
        ("send_for_signature", world.legal),
        ("sign", world.sign_city),
        ("sign", world.sign_partner),
    ]
