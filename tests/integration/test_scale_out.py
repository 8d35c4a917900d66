"""The scale-out recipe (docs/OPERATIONS.md): two ``omd-gov serve`` instances
and two Celery workers on a RabbitMQ quorum queue against one PostgreSQL, and
the workers' heartbeat files (liveness without ``celery inspect ping``).

This module always runs on PostgreSQL, whatever database the suite runs on
(its ``app`` is a scratch PostgreSQL database; see tests/scale_out_support.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from kombu import Connection
from sqlalchemy import select, update

from omd_gov.agreements.models import Agreement
from omd_gov.auth.models import User
from omd_gov.db import db, utcnow
from omd_gov.deadlines.models import Reminder
from omd_gov.deadlines.tasks import SWEEP_TASK
from omd_gov.notifications.models import Delivery
from omd_gov.tasking import heartbeat
from tests.factories import Account, agreement_payload
from tests.integration.conftest import World
from tests.reminders_support import on_broker, settle, smtp_sink
from tests.scale_out_support import (
    Cluster,
    HttpApi,
    cluster,
    heartbeat_seen,
    postgres_app,
    wait_until,
    web_ready,
)
from tests.support import race

AGREEMENTS = 4  # submitted through both instances at once; the first half approved too
EDIT_ROUNDS = 4  # rounds of two simultaneous edits with the same If-Match
LIFECYCLE = ("create", "submit", "approve")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """This module's app: a scratch PostgreSQL database, even in the SQLite run."""
    yield from postgres_app(tmp_path_factory.mktemp("scale-out"))


def _start(group: Cluster) -> tuple[HttpApi, HttpApi, list[Any]]:
    (web_a, a), (web_b, b) = group.web("web-a"), group.web("web-b")
    workers = [group.worker("worker-1"), group.worker("worker-2")]
    group.wait(web_ready(a), web_a)
    group.wait(web_ready(b), web_b)
    group.wait(heartbeat_seen, *workers)
    return a, b, workers


def _both(a: HttpApi, b: HttpApi, account: Account, method: str, url: str, **kw: Any) -> list[Any]:
    """The same request through both instances at the same moment."""
    return race(*(partial(api.as_(account).request, method, url, **kw) for api in (a, b)))


def _one_wins(replies: list[Any], *losers: int) -> Any:
    """Exactly one reply is a 200; the other is a problem with a loser's status."""
    winner, loser = sorted(replies, key=lambda reply: reply.status_code)
    assert (winner.status_code, loser.status_code in losers) == (200, True), [winner, loser]
    assert loser.headers["Content-Type"] == "application/problem+json", loser
    return winner


def _edit_race(a: HttpApi, b: HttpApi, world: World, agreement_id: int) -> None:
    """Each round, both instances PATCH with the ETag just read (from either
    instance: no stickiness): one wins, the other is refused; nothing is lost."""
    url = f"/api/v1/agreements/{agreement_id}"
    first = a.as_(world.data_officer).get(url).json["version"]
    titles = []
    for n in range(EDIT_ROUNDS):
        etag = (a, b)[n % 2].as_(world.data_officer).get(url).headers["ETag"]
        editor = {"If-Match": etag}
        replies = race(
            *(
                partial(
                    api.as_(world.data_officer).patch, url, {"title": f"{n} via {side}"}, **editor
                )
                for api, side in ((a, "a"), (b, "b"))
            )
        )
        titles.append(_one_wins(replies, 409, 412).json["title"])
    final = b.as_(world.legal).get(url).json
    assert (final["version"], final["title"]) == (first + EDIT_ROUNDS, titles[-1])
    edits = [e for e in _events(b, world, agreement_id) if e["action"] == "edit"]
    assert [e["changes"]["title"]["to"] for e in edits] == titles


def _events(api: HttpApi, world: World, agreement_id: int) -> list[dict[str, Any]]:
    reply = api.as_(world.auditor).get(f"/api/v1/agreements/{agreement_id}/events")
    assert reply.status_code == 200, reply.json
    return list(reply.json)


def _make_reminders_due() -> list[int]:
    """Time passes for the workers: the "2 business days before" reminders of
    the legal reviews fall due now."""
    due = db.session.execute(
        update(Reminder)
        .where(Reminder.step == "before2.r1", Reminder.status == "scheduled")
        .values(scheduled_for=utcnow() - timedelta(seconds=1))
        .returning(Reminder.id)
    )
    ids = list(due.scalars())
    db.session.commit()
    return ids


def _messages(sink: Any) -> Counter[tuple[str, str, str]]:
    return Counter(
        (item.message["X-OMD-Agreement"], item.rcpt[0], item.message["X-OMD-Topic"])
        for item in sink.received
    )


def test_two_instances_and_two_workers_lose_no_update_and_double_no_reminder(
    app: Any, world: World, tmp_path: Path
) -> None:
    with (
        smtp_sink() as sink,
        on_broker(app, "rabbitmq", tmp_path, OMD_SMTP_URL=sink.url) as celery,
        cluster(app, tmp_path) as group,
    ):
        a, b, workers = _start(group)
        payload = agreement_payload(world.cooperation_id, world.parties())
        ids = []
        for n in range(AGREEMENTS):
            created = (a, b)[n % 2].as_(world.data_officer).post("/api/v1/agreements", payload)
            assert created.status_code == 201, created.json
            ids.append(created.json["id"])
        _edit_race(a, b, world, ids[0])
        for agreement_id in ids:  # exactly one submit each; the loser is told why
            url = f"/api/v1/agreements/{agreement_id}/transitions"
            _one_wins(_both(a, b, world.data_officer, "POST", url, body={"trigger": "submit"}), 409)
        settle(app, timeout=60)  # the start notices, sent by the workers
        due = _make_reminders_due()
        assert len(due) == AGREEMENTS
        for _beat in range(2):  # a duplicated sweep, as a second beat would publish
            celery.send_task(SWEEP_TASK)
        for agreement_id in ids[: AGREEMENTS // 2]:  # approvals race the reminders' claims
            url = f"/api/v1/agreements/{agreement_id}/transitions"
            _one_wins(_both(a, b, world.legal, "POST", url, body={"trigger": "approve"}), 409)
        settle(app, timeout=60)
        time.sleep(0.5)  # any straggling duplicate runs now: it must send nothing
        settle(app)
        _check_reminders(sink, world, ids, due)
        _check_audit(b, world, ids)
        for worker in workers:  # both workers took their share
            assert "succeeded" in worker.log(), group.tails()
        _check_liveness(workers)


def _check_reminders(sink: Any, world: World, ids: list[int], due: list[int]) -> None:
    db.session.rollback()  # a fresh snapshot
    claimed = (
        db.session.execute(
            select(Reminder).where(Reminder.id.in_(due), Reminder.status == "claimed")
        )
        .scalars()
        .all()
    )
    rows = db.session.execute(select(Agreement.id, Agreement.reference))
    reference = {agreement_id: ref for agreement_id, ref in rows}
    reminded = {reference[r.deadline.agreement_id] for r in claimed}
    # Approving closes the review: its reminder was either sent first, or cancelled.
    assert {reference[i] for i in ids[AGREEMENTS // 2 :]} <= reminded
    officers = (world.legal.user_id, world.legal2.user_id)
    legal = set(db.session.execute(select(User.email).where(User.id.in_(officers))).scalars())
    messages = _messages(sink)
    assert set(messages.values()) == {1}, messages  # nothing doubled
    expected = {(reference[i], "legal_review.start") for i in ids}
    expected |= {(i, "legal_review.reminder") for i in reminded}
    assert {(agreement, topic) for agreement, _rcpt, topic in messages} == expected
    assert len(messages) == 2 * len(expected)  # each to both legal officers
    assert {rcpt for _a, rcpt, _t in messages} == legal
    statuses = db.session.execute(select(Delivery.status)).scalars()
    assert Counter(statuses) == {"sent": len(messages)}


def _check_audit(api: HttpApi, world: World, ids: list[int]) -> None:
    report = api.as_(world.auditor).get("/api/v1/audit/verify").json
    assert report["ok"] is True, report
    for n, agreement_id in enumerate(ids):
        events = _events(api, world, agreement_id)
        actions = [e["action"] for e in events if e["action"] in LIFECYCLE]
        approved = ["approve"] if n < AGREEMENTS // 2 else []
        assert actions == ["create", "submit", *approved]


def _check_liveness(workers: list[Any]) -> None:
    """Both heartbeats are fresh; a frozen worker's goes stale, the other's not."""
    assert all(worker.alive(max_age=5) for worker in workers)
    frozen, running = workers[1], workers[0]
    frozen.signal(signal.SIGSTOP)
    assert wait_until(lambda: not frozen.alive(max_age=3), timeout=20)
    assert wait_until(lambda: running.alive(max_age=3))


def test_a_frozen_worker_stops_its_heartbeat_and_a_stopped_one_removes_it(
    app: Any, tmp_path: Path
) -> None:
    """On the embedded broker: the touch waits for the consumer's loop, so
    freezing the process (SIGSTOP, a hang) stops it, though a timer runs."""
    with on_broker(app, "filesystem", tmp_path), cluster(app, tmp_path) as group:
        worker = group.worker("worker")
        group.wait(heartbeat_seen, worker)
        path = worker.heartbeat
        assert path is not None
        first = path.stat().st_mtime
        assert wait_until(lambda: path.stat().st_mtime > first)  # again and again
        worker.signal(signal.SIGSTOP)
        assert wait_until(lambda: not worker.alive(max_age=3), timeout=20)
        worker.signal(signal.SIGCONT)
        assert wait_until(lambda: worker.alive(max_age=1), timeout=20), group.tails()
        worker.signal(signal.SIGTERM)  # a warm shutdown removes the file
        assert wait_until(lambda: not path.exists(), timeout=20), group.tails()


def test_the_liveness_check_needs_no_broker_and_says_why_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "worker.alive"
    assert heartbeat.main(["--check", str(path)]) == 1
    assert "absent" in capsys.readouterr().out
    path.touch()
    assert heartbeat.main(["--check", str(path), "--max-age", "60"]) == 0
    assert capsys.readouterr().out.startswith("alive:")
    stale = time.time() - 120
    os.utime(path, (stale, stale))
    probe = subprocess.run(
        [sys.executable, "-m", "omd_gov.tasking.heartbeat", "--check", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.returncode == 1
    assert probe.stdout.startswith("dead:") and probe.stdout.count("\n") == 1, probe
    assert "RuntimeWarning" not in probe.stderr


def test_rabbitmq_queues_are_quorum_queues(app: Any, tmp_path: Path) -> None:
    with on_broker(app, "rabbitmq", tmp_path) as celery:
        queue = celery.conf.task_default_queue
        declared = celery.amqp.queues[queue]
        assert declared.queue_arguments == {"x-queue-type": "quorum"} and declared.durable
        assert declared.exchange.type == "topic"  # for RabbitMQ's delayed delivery of retries
        with Connection(celery.conf.broker_url) as connection:
            channel = connection.channel()
            celery.amqp.queues[queue](channel).declare()
            # Redeclaring it as a classic queue is refused: it exists as quorum.
            with pytest.raises(Exception, match="x-queue-type"):
                channel.queue_declare(queue, durable=True, auto_delete=False)
