"""Signed webhooks per organisation: admin API, and delivery of reminders
(CloudEvents, signed the Standard Webhooks way) to a real HTTP endpoint
through a real worker."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from omd_gov.audit.models import AuditEvent
from omd_gov.db import db
from omd_gov.notifications.models import Delivery
from tests.integration.conftest import World
from tests.reminders_support import advance, on_broker, settle, worker_thread


@contextmanager
def endpoint(status: int = 204) -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    received: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(status)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks/omd", received
    finally:
        server.shutdown()
        server.server_close()


def test_webhooks_need_https_except_in_demo_mode_or_on_this_host(app: Any, world: World) -> None:
    api = world.api.as_(world.admin)
    plain = {"organization_id": world.partner, "url": "http://partner.example/hooks"}
    refused = api.post("/api/v1/webhooks", json=plain)
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "url"
    app.config["OMD_DEMO"] = True
    try:
        assert api.post("/api/v1/webhooks", json=plain).status_code == 201
    finally:
        app.config["OMD_DEMO"] = False


def test_webhook_admin_api(world: World) -> None:
    api = world.api
    body = {"organization_id": world.partner, "url": "https://partner.example/hooks"}
    assert api.as_(world.legal).post("/api/v1/webhooks", json=body).status_code == 403
    created = api.as_(world.admin).post("/api/v1/webhooks", json=body)
    assert created.status_code == 201 and created.json["secret"].startswith("whsec_")
    assert api.as_(world.admin).post("/api/v1/webhooks", json=body).status_code == 409
    listed = api.as_(world.admin).get("/api/v1/webhooks").json
    assert [hook["url"] for hook in listed] == [body["url"]] and "secret" not in listed[0]
    for bad in ({"organization_id": world.partner, "url": "ftp://x"}, {"organization_id": 1}):
        assert api.as_(world.admin).post("/api/v1/webhooks", json=bad).status_code == 422
    missing = {"organization_id": 99999, "url": "https://x.example"}
    assert api.as_(world.admin).post("/api/v1/webhooks", json=missing).status_code == 404
    url = f"/api/v1/webhooks/{created.json['id']}"
    assert api.as_(world.admin).delete(url).status_code == 204
    assert api.as_(world.admin).delete(url).status_code == 404
    again = api.as_(world.admin).post("/api/v1/webhooks", json=body)
    assert again.status_code == 201 and again.json["secret"] != created.json["secret"]


def test_signature_reminders_reach_the_partners_webhook_signed(
    app: Any, world: World, tmp_path: Path
) -> None:
    agreement = world.create_agreement()
    with (
        endpoint() as (url, received),
        on_broker(app, "filesystem", tmp_path, OMD_SMTP_URL="") as celery,
        worker_thread(celery),
    ):
        secret = (
            world.api.as_(world.admin)
            .post("/api/v1/webhooks", json={"organization_id": world.partner, "url": url})
            .json["secret"]
        )
        advance(
            world,
            agreement["id"],
            *[
                ("submit", world.data_officer),
                ("approve", world.legal),
                ("send_for_signature", world.legal),
            ],
        )
        settle(app)
    assert len(received) == 1  # only the partner registered a webhook
    headers, body = received[0]
    assert headers["content-type"] == "application/cloudevents+json"
    event = Webhook(secret).verify(body, headers)  # Standard Webhooks
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + base64.b64encode(b"another key").decode()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b"signature", b"signaturE"), headers)
    stale = headers | {"webhook-timestamp": str(int(time.time()) - 600)}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, stale)
    assert event["specversion"] == "1.0" and event["type"] == "org.omd-gov.deadline.start"
    assert event["subject"] == agreement["reference"] and event["source"] == "https://omd.test"
    assert event["data"]["type"] == "deadline.start"
    assert event["data"]["agreement"]["reference"] == agreement["reference"]
    assert event["data"]["deadline"]["kind"] == "signature"
    delivery = db.session.execute(
        select(Delivery).where(Delivery.channel == "webhook")
    ).scalar_one()
    assert headers["webhook-id"] == f"msg_{delivery.id}" and delivery.status == "sent"
    assert json.loads(body) == delivery.payload  # what is stored is what is signed and sent


def test_a_webhook_gets_only_the_event_types_it_wants(
    app: Any, world: World, tmp_path: Path
) -> None:
    agreement = world.create_agreement()
    with (
        endpoint() as (url, received),
        on_broker(app, "filesystem", tmp_path, OMD_SMTP_URL="") as celery,
        worker_thread(celery),
    ):
        only_escalations = {
            "organization_id": world.partner,
            "url": url,
            "event_types": ["org.omd-gov.deadline.escalation"],
        }
        created = world.api.as_(world.admin).post("/api/v1/webhooks", json=only_escalations)
        assert created.status_code == 201, created.json
        advance(
            world,
            agreement["id"],
            *[
                ("submit", world.data_officer),
                ("approve", world.legal),
                ("send_for_signature", world.legal),
            ],
        )
        settle(app)
    assert received == []  # the signature deadline's start notice is not an escalation


def test_a_webhook_answering_410_is_rejected_for_good(
    app: Any, world: World, tmp_path: Path
) -> None:
    agreement = world.create_agreement()
    with (
        endpoint(status=410) as (url, received),
        on_broker(app, "filesystem", tmp_path, OMD_SMTP_URL="") as celery,
        worker_thread(celery),
    ):
        secret_url = url.replace("http://", "http://hook:s3cret@")
        created = world.api.as_(world.admin).post(
            "/api/v1/webhooks", json={"organization_id": world.city, "url": secret_url}
        )
        advance(world, agreement["id"], ("submit", world.data_officer))
        settle(app)
    assert len(received) == 1
    # The URL's credentials are sent as Basic auth, and never shown or stored elsewhere.
    assert received[0][0]["authorization"] == "Basic " + base64.b64encode(b"hook:s3cret").decode()
    shown = url.replace("http://", "http://***@")
    assert created.json["url"] == shown
    assert [h["url"] for h in world.api.as_(world.admin).get("/api/v1/webhooks").json] == [shown]
    delivery = db.session.execute(
        select(Delivery).where(Delivery.channel == "webhook")
    ).scalar_one()
    assert delivery.status == "rejected" and "410" in (delivery.last_error or "")
    failures = world.api.as_(world.admin).get("/api/v1/notifications/failures").json
    assert [(f["channel"], f["permanent"], f["recipient"]) for f in failures] == [
        ("webhook", True, shown)
    ]
    audited = db.session.execute(select(AuditEvent).where(AuditEvent.entity_type == "webhook"))
    assert all("s3cret" not in str(event.changes) for event in audited.scalars())
