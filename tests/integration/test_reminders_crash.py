"""Crash: SIGKILL a worker subprocess in the middle of a send (the SMTP
server stalls on DATA). After a restart and the next sweep, the reminder
arrives exactly once, on each broker."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from omd_gov.db import db, transaction
from omd_gov.deadlines.sweep import sweep
from omd_gov.notifications.models import Delivery
from tests.factories import Factory
from tests.integration.conftest import World
from tests.reminders_support import (
    BROKERS,
    WorkerProcess,
    advance,
    fresh_snapshot,
    on_broker,
    settle,
    smtp_sink,
)

LEASE = 2.0  # seconds a sender holds a delivery before the sweep may take it back


@pytest.mark.parametrize("broker", BROKERS)
def test_a_worker_killed_mid_send_delivers_exactly_once_after_restart(
    app: Any, world: World, factory: Factory, tmp_path: Path, broker: str
) -> None:
    with transaction(factory.session):
        factory.get_user(world.legal2).active = False  # one recipient, one delivery
    agreement = world.create_agreement()
    with (
        smtp_sink() as sink,
        on_broker(app, broker, tmp_path, OMD_SMTP_URL=sink.url, OMD_DELIVERY_LEASE_SECONDS=LEASE),
    ):
        worker = WorkerProcess(app, tmp_path).start()
        try:
            sink.stall.set()
            advance(world, agreement["id"], ("submit", world.data_officer))
            assert sink.stalled.wait(20), worker.log()[-3000:]
            worker.kill()  # mid-DATA: the server never answered, the message is not accepted
            sink.stall.clear()
            sink.release.set()
            fresh_snapshot()
            delivery = db.session.execute(select(Delivery)).scalar_one()
            assert delivery.status == "sending"  # leased by a worker that no longer exists
            worker = WorkerProcess(app, tmp_path).start()
            time.sleep(LEASE + 0.2)
            report = sweep(db.session, app.config)
            if broker != "rabbitmq":
                # The filesystem transport lost the message; Redis keeps it unacked until
                # its visibility timeout: the database knows, and the sweep re-owes it.
                assert report.deliveries == [delivery.id]
            # RabbitMQ redelivers the unacked message at once: it finds the lease held
            # and leaves it, or (when the restart outlasted the lease) sends it itself.
            settle(app)
            assert len(sink.wait_for(1)) == 1
            time.sleep(0.5)
            assert sweep(db.session, app.config).deliveries == []  # nothing owed any more
            time.sleep(0.3)
        finally:
            worker.stop()
    assert len(sink.received) == 1
    assert sink.received[0].message["X-OMD-Topic"] == "legal_review.start"
    db.session.refresh(delivery)
    assert (delivery.status, delivery.attempts) == ("sent", 2)
