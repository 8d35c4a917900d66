"""Mail content, through a real worker and a real SMTP server (aiosmtpd),
on each broker: headers, the recipient's language, the link."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from omd_gov.db import transaction
from tests.factories import Factory
from tests.integration.conftest import World
from tests.reminders_support import (
    BROKERS,
    advance,
    on_broker,
    settle,
    smtp_sink,
    worker_thread,
)


def _set_language(factory: Factory, account: Any, language: str) -> None:
    with transaction(factory.session):
        factory.get_user(account).language = language


@pytest.mark.parametrize("broker", BROKERS)
def test_start_notice_email_in_each_recipients_language(
    app: Any, world: World, factory: Factory, tmp_path: Path, broker: str
) -> None:
    _set_language(factory, world.legal, "pt")
    _set_language(factory, world.legal2, "es")
    legal = factory.get_user(world.legal)
    legal2 = factory.get_user(world.legal2)
    agreement = world.create_agreement()
    with (
        smtp_sink() as sink,
        on_broker(app, broker, tmp_path, OMD_SMTP_URL=sink.url) as celery,
        worker_thread(celery),
    ):
        advance(world, agreement["id"], ("submit", world.data_officer))
        settle(app)
        received = sink.wait_for(2)
    assert len(received) == 2
    by_rcpt = {item.rcpt[0]: item.message for item in received}
    pt, es = by_rcpt[legal.email], by_rcpt[legal2.email]
    link = f"https://omd.test/agreements/{agreement['id']}"
    for message, language in ((pt, "pt"), (es, "es")):
        assert message["Content-Language"] == language
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["X-OMD-Topic"] == "legal_review.start"
        assert message["X-OMD-Agreement"] == agreement["reference"]
        assert message["From"] == "omd-gov <no-reply@omd-gov.localhost>"
        assert message["Message-ID"].startswith("<notification-")
        assert message.get_content_type() == "multipart/alternative"
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert link in text and f'<a href="{link}">' in html
        # The title has markup characters: escaped in HTML, verbatim in text.
        assert (
            "&lt;sharing&gt; &quot;pilot&quot;" in html or "&lt;sharing&gt; &#34;pilot&#34;" in html
        )
        assert '<sharing> "pilot"' in text
    assert pt["Subject"].startswith(f"[{agreement['reference']}] Nova tarefa: revisão jurídica")
    assert "Abrir o acordo:" in pt.get_body(("plain",)).get_content()
    assert es["Subject"].startswith(f"[{agreement['reference']}] Nueva tarea: revisión jurídica")
    assert pt["To"].endswith(f"<{legal.email}>")


@pytest.mark.parametrize("broker", BROKERS[:1])
def test_in_app_notifications_follow_the_emails(
    app: Any, world: World, factory: Factory, tmp_path: Path, broker: str
) -> None:
    agreement = world.create_agreement()
    with (
        smtp_sink() as sink,
        on_broker(app, broker, tmp_path, OMD_SMTP_URL=sink.url) as celery,
        worker_thread(celery),
    ):
        advance(world, agreement["id"], ("submit", world.data_officer))
        settle(app)
        advance(
            world,
            agreement["id"],
            ("approve", world.legal),
            ("send_for_signature", world.legal),
        )
        settle(app)
    api = world.api
    mine = api.as_(world.sign_partner).get("/api/v1/notifications").json
    assert mine["unread"] == 1 and len(mine["items"]) == 1
    item = mine["items"][0]
    assert item["topic"] == "signature.start" and item["read_at"] is None
    assert item["link"] == f"https://omd.test/agreements/{agreement['id']}"
    # Someone else's notification is invisible (404), one's own can be marked read.
    assert (
        api.as_(world.sign_city).post(f"/api/v1/notifications/{item['id']}/read").status_code == 404
    )
    read = api.as_(world.sign_partner).post(f"/api/v1/notifications/{item['id']}/read")
    assert read.status_code == 200 and read.json["read_at"] is not None
    assert api.as_(world.sign_partner).get("/api/v1/notifications?unread=true").json["items"] == []
    legal_items = api.as_(world.legal).get("/api/v1/notifications").json
    assert legal_items["unread"] == 1  # the legal review's start notice
    assert api.as_(world.legal).post("/api/v1/notifications/read-all").status_code == 204
    assert api.as_(world.legal).get("/api/v1/notifications").json["unread"] == 0
    assert len(sink.received) == 4  # legal x2, then the two parties' signatories
