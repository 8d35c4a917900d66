"""Lifecycle webhooks: every transition, publication and unpublication
reaches the subscribed endpoints as a CloudEvents 1.0 event signed the
Standard Webhooks way, received by a real HTTP server and verified with the
``standardwebhooks`` library, through a real worker."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from omd_gov.agreements.lifecycle import Trigger
from omd_gov.audit.models import AuditEvent
from omd_gov.db import db
from omd_gov.notifications.models import Delivery, DeliveryFailure, WebhookCursor
from tests.integration.conftest import World
from tests.reminders_support import (
    advance,
    fire,
    free_port,
    fresh_snapshot,
    happy_path,
    on_broker,
    settle,
    worker_thread,
)

TRANSITIONED = "org.omd-gov.agreement.transitioned"
LIFECYCLE = [
    TRANSITIONED,
    "org.omd-gov.agreement.published",
    "org.omd-gov.agreement.publication_updated",
    "org.omd-gov.agreement.unpublished",
]
Received = list[tuple[dict[str, str], bytes]]
# The audit events that are lifecycle news (a transition, a publication).
NEWS = (AuditEvent.entity_type == "agreement") & AuditEvent.action.in_(
    [*Trigger, "publish", "update_publication", "unpublish"]
)


@contextmanager
def receiver(port: int = 0) -> Iterator[tuple[str, Received]]:
    """A real HTTP endpoint on loopback that records what it is sent."""
    received: Received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/city-os", received
    finally:
        server.shutdown()
        server.server_close()


def drain(app: Any, timeout: float = 20.0) -> None:
    """Wait until the fan-out has read the whole trail, then until nothing is
    owed (``settle``)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with app.app_context():
            head = db.session.execute(select(func.max(AuditEvent.seq)).where(NEWS)).scalar() or 0
            cursor = db.session.get(WebhookCursor, 1)
            done = cursor is not None and cursor.audit_seq >= head
            db.session.remove()
        if done:
            break
        time.sleep(0.03)
    assert done, "the lifecycle fan-out did not catch up with the audit trail"
    settle(app, timeout)


def register(world: World, url: str, organization_id: int | None, types: list[str]) -> str:
    body = {"organization_id": organization_id, "url": url, "event_types": types}
    created = world.api.as_(world.admin).post("/api/v1/webhooks", json=body)
    assert created.status_code == 201, created.json
    assert created.json["event_types"] == types
    return str(created.json["secret"])


def verified(secret: str, received: Received) -> list[dict[str, Any]]:
    """Every message, verified with the standardwebhooks library, in the
    order of the audit trail (``sequence``: deliveries may arrive in any order)."""
    events = []
    for headers, body in received:
        assert headers["content-type"] == "application/cloudevents+json"
        events.append(Webhook(secret).verify(body, headers))
    return sorted(events, key=lambda event: str(event["sequence"]))


def test_transitions_and_publications_reach_the_city_os_signed(
    app: Any, world: World, tmp_path: Path
) -> None:
    before = world.create_agreement()
    agreement = world.create_agreement()
    api = world.api.as_(world.transparency)
    publication = f"/api/v1/agreements/{agreement['id']}/publication"
    with (
        receiver() as (city_url, city_os),
        receiver() as (partner_url, partner),
        receiver() as (outsider_url, outsider),
        on_broker(app, "filesystem", tmp_path, OMD_SMTP_URL="") as celery,
        worker_thread(celery),
    ):
        advance(world, before["id"], ("submit", world.data_officer))  # before any endpoint
        drain(app)
        city_secret = register(world, city_url, None, LIFECYCLE)
        partner_secret = register(world, partner_url, world.partner, [TRANSITIONED])
        register(world, outsider_url, world.outsider_org, [TRANSITIONED])
        advance(world, agreement["id"], ("submit", world.data_officer))
        changes = fire(world, agreement["id"], world.legal, "request_changes", "SECRET-REMARK")
        assert changes.status_code == 200, changes.json
        advance(world, agreement["id"], *happy_path(world))
        assert api.post(publication, json={}).status_code == 200
        assert api.delete(publication, json={"reason": "SECRET-REASON"}).status_code == 200
        drain(app)
    triggers = ["submit", "request_changes", *[trigger for trigger, _ in happy_path(world)]]
    events = verified(city_secret, city_os)
    assert [e["type"] for e in events] == [TRANSITIONED] * len(triggers) + LIFECYCLE[1::2]
    assert [e["data"].get("trigger") for e in events] == [*triggers, None, None]
    for event in events:
        assert event["specversion"] == "1.0" and event["source"] == "https://omd.test"
        assert event["subject"] == agreement["reference"]
        assert event["datacontenttype"] == "application/json" and event["time"]
        assert event["data"]["agreement"]["id"] == agreement["id"]
    assert events[-3]["data"]["to_state"] == events[-1]["data"]["agreement"]["state"] == "active"
    assert events[-3]["data"]["acting_role"] == "signatory"
    assert len({e["id"] for e in events}) == len(events)
    trail = db.session.execute(select(AuditEvent.seq, AuditEvent.hash).where(NEWS)).all()
    by_hash = {event_hash: seq for seq, event_hash in trail}
    assert [int(e["sequence"]) for e in events] == [by_hash[e["id"]] for e in events]
    assert all(len(e["sequence"]) == 20 for e in events)  # zero-padded: orders as text
    # The partner's endpoint: the transitions of its agreement only, the same events.
    assert verified(partner_secret, partner) == events[: len(triggers)]
    assert outsider == []  # not a party
    # No personal data: no e-mail, name, comment or reason.
    for _headers, body in city_os + partner:
        assert b"@" not in body and b"User " not in body and b"SECRET" not in body


def test_a_tampered_event_fails_verification(app: Any, world: World, tmp_path: Path) -> None:
    agreement = world.create_agreement()
    with (
        receiver() as (url, received),
        on_broker(app, "filesystem", tmp_path, OMD_SMTP_URL="") as celery,
        worker_thread(celery),
    ):
        secret = register(world, url, None, [TRANSITIONED])
        advance(world, agreement["id"], ("submit", world.data_officer))
        drain(app)
    ((headers, body),) = received
    assert Webhook(secret).verify(body, headers)["data"]["to_state"] == "legal_review"
    event = json.loads(body)
    event["data"]["to_state"] = "active"
    tampered = json.dumps(event, sort_keys=True, separators=(",", ":")).encode()
    forged_id = headers | {"webhook-id": "msg_999999"}
    stale = headers | {"webhook-timestamp": str(int(time.time()) - 600)}
    other_secret = Webhook("whsec_" + "A" * 43 + "=")
    for check in (
        lambda: Webhook(secret).verify(tampered, headers),
        lambda: Webhook(secret).verify(body, forged_id),
        lambda: Webhook(secret).verify(body, stale),
        lambda: other_secret.verify(body, headers),
    ):
        with pytest.raises(WebhookVerificationError):
            check()
    delivery = db.session.execute(
        select(Delivery).where(Delivery.channel == "webhook")
    ).scalar_one()
    assert headers["webhook-id"] == f"msg_{delivery.id}" and delivery.status == "sent"


def test_a_receiver_that_is_down_gets_retries_and_a_replay_is_delivered(
    app: Any, world: World, tmp_path: Path
) -> None:
    agreement = world.create_agreement()
    port = free_port()  # nothing listens there: the receiver is down
    admin = world.api.as_(world.admin)
    with (
        on_broker(app, "filesystem", tmp_path, OMD_SMTP_URL="") as celery,
        worker_thread(celery),
    ):
        secret = register(world, f"http://127.0.0.1:{port}/city-os", None, [TRANSITIONED])
        hook_id = admin.get("/api/v1/webhooks").json[-1]["id"]
        advance(world, agreement["id"], ("submit", world.data_officer))
        drain(app)
        log = admin.get(f"/api/v1/webhooks/{hook_id}/deliveries").json
        (entry,) = log
        # One attempt and OMD_TASK_MAX_RETRIES (3) retries with backoff, then failed.
        assert (entry["status"], entry["attempts"], entry["rounds"]) == ("failed", 4, 1)
        assert entry["event_type"] == TRANSITIONED and entry["subject"] == agreement["reference"]
        assert (
            "Connection refused" in entry["last_error"]
            or "ConnectionRefused" in (entry["last_error"])
        )
        failure = db.session.execute(select(DeliveryFailure)).scalar_one()
        assert failure.delivery_id == entry["id"] and failure.resolved_at is None
        replay = f"/api/v1/webhooks/{hook_id}/deliveries/{entry['id']}/replay"
        assert world.api.as_(world.legal).post(replay).status_code == 403
        assert admin.post(f"/api/v1/webhooks/{hook_id}/deliveries/99999/replay").status_code == 404
        with receiver(port) as (_url, received):
            answer = admin.post(replay)
            assert answer.status_code == 202 and answer.json["status"] == "pending"
            drain(app)
        assert admin.post(replay).status_code == 409  # sent: nothing to replay
    ((headers, body),) = received
    event = Webhook(secret).verify(body, headers)
    assert event["id"] == entry["event_id"] and headers["webhook-id"] == f"msg_{entry['id']}"
    fresh_snapshot()
    (after,) = admin.get(f"/api/v1/webhooks/{hook_id}/deliveries").json
    assert after["status"] == "sent" and after["sent_at"]
    db.session.refresh(failure)
    assert failure.resolved_at is not None
    audited = db.session.execute(
        select(AuditEvent.action).where(AuditEvent.entity_type == "webhook")
    ).scalars()
    assert "replay_delivery" in list(audited)


def test_a_supersession_by_the_system_is_announced(app: Any, world: World, tmp_path: Path) -> None:
    original = world.create_agreement()
    world.to_state(original["id"], "active")
    amendment = world.api.as_(world.data_officer).post(
        f"/api/v1/agreements/{original['id']}/amendments"
    )
    assert amendment.status_code == 201, amendment.json
    with (
        receiver() as (url, received),
        on_broker(app, "filesystem", tmp_path, OMD_SMTP_URL="") as celery,
        worker_thread(celery),
    ):
        secret = register(world, url, None, [TRANSITIONED])
        advance(world, amendment.json["id"], *happy_path(world))
        drain(app)
    events = verified(secret, received)
    (superseded,) = [e for e in events if e["subject"] == original["reference"]]
    assert superseded["data"]["trigger"] == "supersede"
    assert superseded["data"]["acting_role"] == "system"
    assert superseded["data"]["to_state"] == "superseded"


def test_a_lost_fan_out_is_caught_up_by_the_next_one(app: Any, world: World) -> None:
    """No worker: the events wait in the trail until a fan-out runs (beat's)."""
    from omd_gov.notifications import services

    agreement = world.create_agreement()
    with receiver() as (url, _received):
        register(world, url, None, [TRANSITIONED])
        world.to_state(agreement["id"], "approved")
        fresh_snapshot()
        assert db.session.execute(select(func.count()).select_from(Delivery)).scalar() == 0
        read = services.fan_out(db.session, app.config, limit=1000)
        assert read > 0
        assert services.fan_out(db.session, app.config, limit=1000) == 0  # nothing twice
    types = db.session.execute(text("SELECT count(*) FROM deliveries")).scalar()
    assert types == 2  # submit, approve


def test_webhook_registration_rules(world: World) -> None:
    admin = world.api.as_(world.admin)
    office = admin.post("/api/v1/webhooks", json={"url": "https://city-os.example/hooks"})
    assert office.status_code == 201 and office.json["organization_id"] is None
    assert office.json["event_types"] == LIFECYCLE and office.json["secret"].startswith("whsec_")
    second = admin.post("/api/v1/webhooks", json={"url": "https://b.example/", "event_types": []})
    assert second.status_code == 422
    org = admin.post(
        "/api/v1/webhooks", json={"organization_id": world.partner, "url": "https://p.example/"}
    )
    assert org.json["event_types"] == [
        "org.omd-gov.deadline.start",
        "org.omd-gov.deadline.reminder",
        "org.omd-gov.deadline.escalation",
        "org.omd-gov.deadline.notice",
    ]
    for body in (
        {"url": "https://b.example/", "event_types": ["org.omd-gov.deadline.start"]},
        {"url": "https://b.example/", "event_types": ["agreement.transitioned"]},
        {"url": "https://b.example/", "event_types": "org.omd-gov.agreement.transitioned"},
    ):
        refused = admin.post("/api/v1/webhooks", json=body)
        assert refused.status_code == 422, body
        assert refused.headers["Content-Type"] == "application/problem+json"
        assert "event_types" in json.dumps(refused.json["errors"])
    listed = admin.get("/api/v1/webhooks").json
    assert [(h["organization_id"], len(h["event_types"])) for h in listed] == [
        (None, 4),
        (world.partner, 4),
    ]
    hook = office.json["id"]
    assert admin.get(f"/api/v1/webhooks/{hook}/deliveries").json == []
    assert admin.get("/api/v1/webhooks/99999/deliveries").status_code == 404
    assert admin.get(f"/api/v1/webhooks/{hook}/deliveries?status=lost").status_code == 422
    assert world.api.as_(world.legal).get(f"/api/v1/webhooks/{hook}/deliveries").status_code == 403
