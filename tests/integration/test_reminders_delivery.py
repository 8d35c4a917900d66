"""Never lost, never doubled: duplicated sweeps and tasks, lost broker
messages and an SMTP server that refuses, on each broker, with a real worker."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from omd_gov.db import db, transaction
from omd_gov.deadlines.models import Reminder
from omd_gov.deadlines.scheduling import SEND_REMINDER_TASK
from omd_gov.deadlines.sweep import sweep
from omd_gov.deadlines.tasks import SWEEP_TASK
from omd_gov.notifications.models import Delivery, DeliveryFailure, Notification
from omd_gov.notifications.outbox import DELIVER_TASK
from tests.factories import Factory
from tests.integration.conftest import World
from tests.reminders_support import (
    BROKERS,
    advance,
    fresh_snapshot,
    on_broker,
    outstanding,
    settle,
    smtp_sink,
    worker_thread,
)

MONDAY = datetime(2026, 6, 1, 9, tzinfo=UTC)  # 10:00 in Porto


def _topics(sink: Any) -> list[tuple[str, str]]:
    return sorted((item.rcpt[0], item.message["X-OMD-Topic"]) for item in sink.received)


@pytest.mark.parametrize("broker", BROKERS)
def test_duplicated_sweeps_and_tasks_send_one_email(
    app: Any, world: World, tmp_path: Path, broker: str
) -> None:
    agreement = world.create_agreement()
    with (
        time_machine.travel(MONDAY, tick=True) as traveller,
        smtp_sink() as sink,
        on_broker(app, broker, tmp_path, OMD_SMTP_URL=sink.url) as celery,
        worker_thread(celery, pool="threads", concurrency=4),
    ):
        advance(world, agreement["id"], ("submit", world.data_officer))
        settle(app)
        assert len(sink.received) == 2  # the start notices
        # Due 17 June: the "2 business days before" reminder is owed on the 15th.
        traveller.move_to(datetime(2026, 6, 15, 9, tzinfo=UTC))
        reminder_id = db.session.execute(
            select(Reminder.id).where(Reminder.step == "before2.r1")
        ).scalar_one()
        fresh_snapshot()
        for _ in range(2):  # two sweeps, as two beats (or a slow one) would run them
            celery.send_task(SWEEP_TASK)
        for _ in range(3):  # and the same reminder task three more times
            celery.send_task(SEND_REMINDER_TASK, args=(reminder_id,))
        sweep(db.session, app.config)  # and one more sweep from here
        settle(app)
        time.sleep(0.5)  # let any straggler duplicate run: it must not send
        settle(app)
    reminders = [topic for topic in _topics(sink) if topic[1] == "legal_review.reminder"]
    assert len(reminders) == 2 and len({rcpt for rcpt, _ in reminders}) == 2
    notifications = db.session.execute(
        select(Notification).where(Notification.reminder_id == reminder_id)
    ).all()
    assert len(notifications) == 2
    assert db.session.get(Reminder, reminder_id).status == "claimed"  # type: ignore[union-attr]


@pytest.mark.parametrize("broker", BROKERS)
def test_a_lost_broker_message_is_healed_by_the_next_sweep(
    app: Any, world: World, tmp_path: Path, broker: str
) -> None:
    agreement = world.create_agreement()
    with (
        smtp_sink() as sink,
        on_broker(app, broker, tmp_path, OMD_SMTP_URL=sink.url) as celery,
    ):
        advance(world, agreement["id"], ("submit", world.data_officer))
        with celery.connection_for_write() as connection:  # the broker loses the messages
            assert celery.amqp.queues[celery.conf.task_default_queue](connection).purge() >= 1
        with worker_thread(celery):
            time.sleep(0.3)
            assert outstanding(app) == 1 and sink.received == []  # nobody knows but the DB
            report = sweep(db.session, app.config)
            assert len(report.reminders) == 1  # the start notice, to both legal officers
            settle(app)
    assert len(_topics(sink)) == 2


def test_a_malformed_smtp_url_fails_at_once_without_showing_its_password(
    app: Any, world: World, factory: Factory, tmp_path: Path
) -> None:
    with transaction(factory.session):
        factory.get_user(world.legal2).active = False
    agreement = world.create_agreement()
    bad = "smtpx://mailer:hunter2@mail.city.pt:587"
    with (
        on_broker(app, "filesystem", tmp_path, OMD_SMTP_URL=bad) as celery,
        worker_thread(celery),
    ):
        advance(world, agreement["id"], ("submit", world.data_officer))
        settle(app)
    delivery = db.session.execute(select(Delivery)).scalar_one()
    # No retries (they cannot fix a setting); the sweep's next round tries again.
    assert (delivery.status, delivery.attempts, delivery.rounds) == ("failed", 1, 1)
    failure = db.session.execute(select(DeliveryFailure)).scalar_one()
    for stored in (delivery.last_error or "", failure.error):
        assert "OMD_SMTP_URL" in stored and "hunter2" not in stored and "mailer" not in stored


@pytest.mark.parametrize("broker", BROKERS)
def test_smtp_down_retries_then_records_then_the_sweep_delivers(
    app: Any, world: World, factory: Factory, tmp_path: Path, broker: str
) -> None:
    with transaction(factory.session):
        factory.get_user(world.legal2).active = False  # one recipient keeps this short
    agreement = world.create_agreement()
    with (
        smtp_sink(start=False) as sink,  # nothing listens yet: connections are refused
        on_broker(app, broker, tmp_path, OMD_SMTP_URL=sink.url) as celery,
        worker_thread(celery),
    ):
        advance(world, agreement["id"], ("submit", world.data_officer))
        settle(app)
        delivery = db.session.execute(select(Delivery)).scalar_one()
        assert (delivery.status, delivery.attempts, delivery.rounds) == ("failed", 4, 1)
        failure = db.session.execute(select(DeliveryFailure)).scalar_one()
        assert failure.attempts == 4 and not failure.permanent
        assert "ConnectionRefused" in failure.error or "refused" in failure.error.lower()
        # Three retries with exponential backoff: at least 0.05 + 0.1 + 0.2 s.
        assert failure.failed_at - delivery.created_at >= timedelta(seconds=0.35)
        listed = world.api.as_(world.admin).get("/api/v1/notifications/failures")
        assert listed.status_code == 200 and [f["id"] for f in listed.json] == [failure.id]
        assert listed.json[0]["recipient"] == factory.get_user(world.legal).email
        assert world.api.as_(world.legal).get("/api/v1/notifications/failures").status_code == 403
        fresh_snapshot()
        sink.start()  # SMTP is back
        time.sleep(1.1)  # the failed delivery's next round is due (1 s in tests)
        report = sweep(db.session, app.config)
        assert report.deliveries == [delivery.id]
        settle(app)
        sink.wait_for(1)
    assert _topics(sink) == [(factory.get_user(world.legal).email, "legal_review.start")]
    db.session.refresh(delivery)
    assert delivery.status == "sent" and delivery.attempts == 5
    db.session.refresh(failure)
    assert failure.resolved_at is not None
    left = world.api.as_(world.admin).get("/api/v1/notifications/failures?unresolved=true").json
    assert left == []


@pytest.mark.parametrize("broker", BROKERS[:1])
def test_a_permanent_refusal_is_recorded_and_not_retried(
    app: Any, world: World, factory: Factory, tmp_path: Path, broker: str
) -> None:
    with transaction(factory.session):
        factory.get_user(world.legal2).active = False
        factory.get_user(world.legal).email = "refuse-me@test.example"
    agreement = world.create_agreement()
    with smtp_sink() as sink:

        async def refuse(_server: Any, _session: Any, envelope: Any, address: str, _o: Any) -> str:
            if address.startswith("refuse"):
                return "550 5.1.1 no such user"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        sink.handle_RCPT = refuse  # type: ignore[attr-defined]
        with (
            on_broker(app, broker, tmp_path, OMD_SMTP_URL=sink.url) as celery,
            worker_thread(celery),
        ):
            advance(world, agreement["id"], ("submit", world.data_officer))
            settle(app)
    delivery = db.session.execute(select(Delivery)).scalar_one()
    assert (delivery.status, delivery.attempts, delivery.due_at) == ("rejected", 1, None)
    failure = db.session.execute(select(DeliveryFailure)).scalar_one()
    assert failure.permanent and "550" in failure.error
    assert sink.received == []
    assert sweep(db.session, app.config).deliveries == []  # never picked up again


def test_deliver_tasks_for_unknown_or_finished_deliveries_do_nothing(app: Any) -> None:
    from omd_gov.notifications.tasks import deliver

    with app.app_context():
        assert deliver.run(424242) == "not-owed"
    assert deliver.name == DELIVER_TASK
