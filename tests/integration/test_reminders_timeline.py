"""Time travel: walk one agreement through its life on the Porto calendar,
with the clock frozen day by day, a real worker and a real SMTP server, and
assert exactly which reminders, escalations and the expiry happened when."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from omd_gov.agreements.models import Agreement
from omd_gov.audit.models import AuditEvent
from omd_gov.db import db, transaction
from omd_gov.deadlines.models import Deadline
from omd_gov.deadlines.sweep import sweep
from tests.factories import Factory
from tests.integration.conftest import World
from tests.reminders_support import (
    BROKERS,
    LISBON,
    advance,
    on_broker,
    settle,
    smtp_sink,
    worker_thread,
)

START, END = date(2026, 6, 1), date(2026, 9, 2)


def _morning(day: date) -> datetime:
    """10:00 in Porto: after the office's 09:00 reminder hour."""
    return datetime.combine(day, time(10), LISBON).astimezone(UTC)


@pytest.mark.parametrize("broker", BROKERS)
def test_an_agreements_life_day_by_day(
    app: Any, world: World, factory: Factory, tmp_path: Path, broker: str
) -> None:
    head = factory.user("legal_officer", world.city)  # the head of legal
    with transaction(factory.session):
        for account in (world.legal, world.legal2):
            factory.get_user(account).supervisor_id = head.user_id
    email = {
        account.user_id: factory.get_user(account).email
        for account in (
            head,
            world.legal,
            world.legal2,
            world.data_officer,
            world.transparency,
            world.sign_city,
            world.sign_partner,
        )
    }
    actions = {
        date(2026, 6, 1): [("submit", world.data_officer)],
        date(2026, 6, 23): [("approve", world.legal), ("send_for_signature", world.legal)],
        date(2026, 7, 2): [("sign", world.sign_city)],
        date(2026, 7, 9): [("sign", world.sign_partner)],
    }
    states: dict[date, str] = {}
    with (
        time_machine.travel(_morning(START), tick=True) as traveller,
        smtp_sink() as sink,
        on_broker(app, broker, tmp_path, OMD_SMTP_URL=sink.url) as celery,
        worker_thread(celery),
    ):
        agreement = world.create_agreement(end_date="2026-08-31")
        day = START
        while day <= END:
            traveller.move_to(_morning(day))
            advance(world, agreement["id"], *actions.get(day, []))
            sweep(db.session, app.config)
            settle(app)
            states[day] = db.session.get(Agreement, agreement["id"]).state  # type: ignore[union-attr]
            day += timedelta(days=1)
    got: dict[date, set[tuple[str, str]]] = defaultdict(set)
    for item in sink.received:
        got[item.local_day] |= {(rcpt, item.message["X-OMD-Topic"]) for rcpt in item.rcpt}
    legal_team = [email[a.user_id] for a in (head, world.legal, world.legal2)]
    owner_and_legal = [email[world.data_officer.user_id], *legal_team]
    signatories = [email[world.sign_city.user_id], email[world.sign_partner.user_id]]
    expected = {
        date(2026, 6, 1): {(r, "legal_review.start") for r in legal_team},
        # 17 June is due (Corpus Christi and Portugal Day skipped): 2 business days before...
        date(2026, 6, 15): {(r, "legal_review.reminder") for r in legal_team},
        # ...and on the day; then 3 business days later, to the head of legal only.
        date(2026, 6, 17): {(r, "legal_review.reminder") for r in legal_team},
        date(2026, 6, 22): {(email[head.user_id], "legal_review.escalation")},
        # Signing from 23 June: due 15 July (São João skipped), every 5 business days.
        date(2026, 6, 23): {(r, "signature.start") for r in signatories},
        date(2026, 7, 1): {(r, "signature.reminder") for r in signatories},
        date(2026, 7, 8): {(email[world.sign_partner.user_id], "signature.reminder")},
        date(2026, 7, 9): {(email[world.transparency.user_id], "publication.start")},
        # Expiry notices 30 and 7 days before 31 August (the 90-day one predates activation).
        date(2026, 8, 1): {(r, "expiry.notice") for r in owner_and_legal},
        date(2026, 8, 24): {(r, "expiry.notice") for r in owner_and_legal},
    }
    assert dict(got) == expected
    assert len(sink.received) == sum(len(v) for v in expected.values())  # no duplicates
    assert states[date(2026, 7, 8)] == "signing" and states[date(2026, 7, 9)] == "active"
    assert states[date(2026, 8, 31)] == "active" and states[date(2026, 9, 1)] == "expired"
    _expired_by_the_system(agreement["id"])


def _expired_by_the_system(agreement_id: int) -> None:
    db.session.rollback()
    expiry = db.session.execute(
        select(AuditEvent).where(
            AuditEvent.agreement_id == agreement_id, AuditEvent.action == "expire"
        )
    ).scalar_one()
    assert expiry.actor_id is None and expiry.source == "worker"
    assert expiry.occurred_at.astimezone(LISBON).date() == date(2026, 9, 1)
    open_left = db.session.execute(
        select(Deadline).where(Deadline.agreement_id == agreement_id, Deadline.status == "open")
    ).all()
    assert open_left == []
