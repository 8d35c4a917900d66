"""/metrics: the token guard, and what the counters say after requests,
transitions, renders, PDF conversions and reminders."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from omd_gov.db import db, utcnow
from omd_gov.deadlines import services as deadline_services
from omd_gov.deadlines.models import Reminder
from omd_gov.notifications import mailer, webhooks
from tests.integration.conftest import World
from tests.observability_support import METRICS_TOKEN, Samples, scrape, value


@pytest.fixture
def metrics_on(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "OMD_METRICS_TOKEN", METRICS_TOKEN)


def test_without_a_configured_token_metrics_does_not_exist(client: Any) -> None:
    response = client.get("/metrics", headers={"Authorization": "Bearer anything"})
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong-token", f"Basic {METRICS_TOKEN}", "Bearer "]
)
def test_metrics_needs_the_token(client: Any, metrics_on: None, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert b"omd_" not in response.data


def test_metrics_with_the_token(client: Any, metrics_on: None) -> None:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=0.0.4")
    assert b"omd_http_request_duration_seconds" in response.data


def test_request_latency_is_labelled_by_the_url_rule(
    world: World, client: Any, metrics_on: None
) -> None:
    route = "/api/v1/agreements/<int:agreement_id>"
    before = scrape(client)
    response = world.api.as_(world.legal).get("/api/v1/agreements/987654")
    assert response.status_code == 404
    client.get("/no/such/987654/page")
    after = scrape(client)
    count = "omd_http_request_duration_seconds_count"
    labels = {"route": route, "method": "GET", "status": "404"}
    assert value(after, count, **labels) == value(before, count, **labels) + 1
    unmatched = {"route": "<unmatched>", "method": "GET", "status": "404"}
    assert value(after, count, **unmatched) == value(before, count, **unmatched) + 1
    assert not [key for key in after if any("987654" in v for _, v in key[1])]


def _delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def test_transitions_are_counted_by_trigger_and_outcome(
    world: World, client: Any, metrics_on: None
) -> None:
    agreement = world.create_agreement()
    before = scrape(client)
    assert world.fire(agreement["id"], world.data_officer, "submit").status_code == 200
    assert world.fire(agreement["id"], world.data_officer, "submit").status_code == 409
    assert world.fire(agreement["id"], world.sign_partner, "approve").status_code == 403
    after = scrape(client)
    name = "omd_transitions_total"
    assert _delta(before, after, name, trigger="submit", outcome="fired") == 1
    assert _delta(before, after, name, trigger="submit", outcome="illegal") == 1
    assert _delta(before, after, name, trigger="approve", outcome="refused") == 1


def test_system_transitions_are_counted_once_committed(
    world: World, client: Any, metrics_on: None
) -> None:
    """An amendment coming into force supersedes its predecessor: the system
    fires that trigger, and it is counted like the users' ones."""
    source = world.create_agreement()["id"]
    world.to_state(source, "active")
    amendment = world.api.as_(world.data_officer).post(f"/api/v1/agreements/{source}/amendments")
    world.to_state(amendment.json["id"], "signing")
    before = scrape(client)
    world.fire(amendment.json["id"], world.sign_city, "sign")
    assert world.fire(amendment.json["id"], world.sign_partner, "sign").status_code == 200
    after = scrape(client)
    name = "omd_transitions_total"
    assert _delta(before, after, name, trigger="supersede", outcome="fired") == 1
    assert _delta(before, after, name, trigger="sign", outcome="fired") == 2


def test_renders_and_pdf_conversions_are_counted(
    world: World, app: Any, client: Any, metrics_on: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    agreement = world.create_agreement()
    before = scrape(client)
    document = world.generate_dsa(agreement["id"])
    monkeypatch.setitem(app.config, "OMD_SOFFICE", "/nonexistent/soffice")
    url = f"/api/v1/agreements/{agreement['id']}/documents/{document['id']}/content?format=pdf"
    assert world.api.as_(world.legal).get(url).status_code == 503
    after = scrape(client)
    assert _delta(before, after, "omd_documents_rendered_total", outcome="ok") == 1
    assert _delta(before, after, "omd_document_render_duration_seconds_count") == 1
    assert _delta(before, after, "omd_pdf_conversions_total", outcome="failed") == 1


def test_the_reminder_backlog_and_in_app_reminders(
    world: World, app: Any, client: Any, metrics_on: None
) -> None:
    """Submitting opens the legal review, whose start notice is due at once;
    nobody works the queue here, so it waits in the backlog until sent."""
    agreement = world.create_agreement()
    assert world.fire(agreement["id"], world.data_officer, "submit").status_code == 200
    due = (
        db.session.execute(
            select(Reminder.id).where(
                Reminder.status == "scheduled", Reminder.scheduled_for <= utcnow()
            )
        )
        .scalars()
        .all()
    )
    db.session.execute(
        update(Reminder)
        .where(Reminder.id.in_(due))
        .values(scheduled_for=utcnow() - timedelta(hours=2))
    )
    db.session.commit()
    samples = scrape(client)
    assert value(samples, "omd_reminders_due") == len(due) >= 1
    assert value(samples, "omd_reminders_oldest_due_age_seconds") >= 7200
    before = samples
    outcomes = [deadline_services.send_reminder(db.session, rid) for rid in due]
    after = scrape(client)
    assert value(after, "omd_reminders_due") == 0
    assert value(after, "omd_reminders_oldest_due_age_seconds") == 0
    sent = sum(int(outcome.partition(":")[2] or 0) for outcome in outcomes)
    assert sent >= 1
    assert _delta(before, after, "omd_reminders_sent_total", channel="in_app") == sent


class _Refusing(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        self.send_response(410)
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def refusing_server() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def test_delivery_attempts_are_counted_per_channel(
    client: Any, metrics_on: None, refusing_server: str, tmp_path: Path
) -> None:
    before = scrape(client)
    message = EmailMessage()
    message["Subject"] = "test"
    mailer.send(message, None)  # no SMTP configured: logged, and counted as sent
    with pytest.raises(mailer.PermanentError):
        webhooks.post(refusing_server, webhooks.new_secret(), {"type": "t"}, 1, timeout=5)
    with pytest.raises(mailer.TransientError):
        webhooks.post("http://127.0.0.1:1/hook", webhooks.new_secret(), {"type": "t"}, 2, timeout=5)
    after = scrape(client)
    assert _delta(before, after, "omd_reminders_sent_total", channel="email") == 1
    assert _delta(before, after, "omd_reminders_failed_total", channel="webhook") == 1
    assert _delta(before, after, "omd_reminders_retried_total", channel="webhook") == 1
