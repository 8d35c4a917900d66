"""Notice texts, HTML escaping, retry backoff, SMTP URLs and webhook signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from omd_gov import create_app
from omd_gov.errors import Unprocessable
from omd_gov.notifications.mailer import ConfigurationError, parse_smtp_url
from omd_gov.notifications.messages import render, render_html
from omd_gov.notifications.redact import redact
from omd_gov.notifications.webhooks import check_webhook_url, new_secret, sign
from omd_gov.tasking.retrying import backoff

PARAMS = {
    "reference": "OMD-2026-0001",
    "title": 'Energy & <b>"pilot"</b>',
    "due_on": "2026-06-17",
    "days": 7,
    "link": "http://omd.example/agreements/1",
}


@pytest.mark.parametrize(
    ("language", "subject_start", "phrase"),
    [
        ("en", "[OMD-2026-0001] Reminder: legal review", "Open the agreement:"),
        ("es", "[OMD-2026-0001] Recordatorio: revisión jurídica", "Abrir el acuerdo:"),
        ("pt", "[OMD-2026-0001] Lembrete: revisão jurídica", "Abrir o acordo:"),
    ],
)
def test_reminders_in_each_language(language: str, subject_start: str, phrase: str) -> None:
    rendered = render("legal_review.reminder", PARAMS, language)
    assert rendered.subject.startswith(subject_start)
    assert "2026-06-17" in rendered.subject
    assert f"{phrase} http://omd.example/agreements/1" in rendered.body


def test_unknown_language_falls_back_to_english() -> None:
    assert render("signature.start", PARAMS, "fr").subject.startswith("[OMD-2026-0001] New task")


def test_topic_specific_templates() -> None:
    assert "expira a 2026-06-17 (7 dias)" in render("expiry.notice", PARAMS, "pt").subject
    assert "Periodic review" in render("periodic_review.notice", PARAMS, "en").subject
    escalation = render("legal_review.escalation", PARAMS | {"assignees": "Ana, Rui"}, "es")
    assert "Responsables: Ana, Rui" in escalation.body


def test_html_is_escaped_and_links_are_clickable() -> None:
    rendered = render("legal_review.reminder", PARAMS, "en")
    html = render_html(rendered.subject, rendered.body, PARAMS["link"], "en")
    assert "<b>" not in html and "&lt;b&gt;" in html and "&amp;" in html
    assert '<a href="http://omd.example/agreements/1">' in html
    assert '<html lang="en">' in html


def test_backoff_grows_exponentially_with_bounded_jitter() -> None:
    low = [backoff(n, 10, 600, rng=lambda: 0.0) for n in range(8)]
    high = [backoff(n, 10, 600, rng=lambda: 1.0) for n in range(8)]
    assert low == [5, 10, 20, 40, 80, 160, 300, 300]
    assert high == [10, 20, 40, 80, 160, 320, 600, 600]
    assert all(5 <= backoff(0, 10, 600) <= 10 for _ in range(100))


def test_smtp_urls() -> None:
    assert parse_smtp_url("") is None
    plain = parse_smtp_url("smtp://127.0.0.1:8025")
    assert plain is not None and (plain.host, plain.port, plain.starttls) == (
        "127.0.0.1",
        8025,
        False,
    )
    tls = parse_smtp_url("smtps://user%40city:p%3Ass@mail.city.pt")
    assert tls is not None and tls.implicit_tls and tls.port == 465
    assert (tls.username, tls.password) == ("user@city", "p:ss")
    starttls = parse_smtp_url("smtp://mail:587?starttls=1")
    assert starttls is not None and starttls.starttls
    with pytest.raises(ValueError):
        parse_smtp_url("http://mail")


@pytest.mark.parametrize(
    "url", ["http://mailer:hunter2@mail.city.pt:25", "smtp://mailer:hunter2@mail:notaport"]
)
def test_a_malformed_smtp_url_is_a_configuration_error_that_hides_the_password(url: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        parse_smtp_url(url)
    assert "hunter2" not in str(raised.value) and "mailer" not in str(raised.value)
    assert "***@mail" in str(raised.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("smtp://u:pw@mail:25", "smtp://***@mail:25"),
        ("https://hook:p@ss@partner.example/x?a=b", "https://***@partner.example/x?a=b"),
        (
            "ValueError('unknown url type: ftp://u:pw@h/x')",
            "ValueError('unknown url type: ftp://***@h/x')",
        ),
        (
            "https://partner.example/hooks and mail to a@b.pt",
            "https://partner.example/hooks and mail to a@b.pt",
        ),
    ],
)
def test_redact_masks_url_userinfo_only(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    ("url", "demo", "allowed"),
    [
        ("https://partner.example/hooks", False, True),
        ("http://partner.example/hooks", False, False),
        ("http://partner.example/hooks", True, True),
        ("http://127.0.0.1:8080/hooks", False, True),
        ("http://[::1]:8080/hooks", False, True),
        ("http://localhost/hooks", False, True),
        ("http://127.0.0.1.partner.example/hooks", False, False),
    ],
)
def test_webhooks_need_https_unless_demo_or_loopback(url: str, demo: bool, allowed: bool) -> None:
    if allowed:
        check_webhook_url(url, demo)
    else:
        with pytest.raises(Unprocessable) as raised:
            check_webhook_url(url, demo)
        assert raised.value.errors[0]["field"] == "url"


def test_webhook_signatures_are_standard_webhooks_and_refuse_tampering() -> None:
    secret, body, now = new_secret(), b'{"type":"deadline.reminder"}', datetime.now(UTC)
    key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    assert len(key) == 32  # whsec_ + standard base64, as every library reads it
    signature = sign(secret, "msg_7", now, body)
    stamp = str(int(now.timestamp()))
    digest = hmac.new(key, f"msg_7.{stamp}.".encode() + body, hashlib.sha256).digest()
    assert signature == "v1," + base64.b64encode(digest).decode()  # the spec, by hand
    headers = {"webhook-id": "msg_7", "webhook-timestamp": stamp, "webhook-signature": signature}
    assert Webhook(secret).verify(body, headers) == {"type": "deadline.reminder"}
    late = str(int((now - timedelta(hours=1)).timestamp()))
    for data, changed, verifier in (
        (body + b" ", headers, Webhook(secret)),
        (body, headers | {"webhook-id": "msg_8"}, Webhook(secret)),
        (body, headers | {"webhook-timestamp": late}, Webhook(secret)),  # replayed later
        (body, headers, Webhook(new_secret())),
        (body, headers | {"webhook-signature": "v1,garbage="}, Webhook(secret)),
    ):
        with pytest.raises(WebhookVerificationError):
            verifier.verify(data, changed)


def test_a_secret_that_is_not_base64_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        sign("whsec_x", "msg_1", datetime.now(UTC), b"{}")


def test_the_app_refuses_to_start_with_a_malformed_smtp_url(tmp_path: Path) -> None:
    settings = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "SECRET_KEY": "test-secret",
        "OMD_STORAGE_DIR": str(tmp_path / "storage"),
        "OMD_BROKER_URL": f"filesystem://{tmp_path / 'broker'}",
        "OMD_SMTP_URL": "smtp://mailer:hunter2@mail:twenty-five",
    }
    with pytest.raises(ConfigurationError, match="OMD_SMTP_URL") as raised:
        create_app(settings)
    assert "hunter2" not in str(raised.value)
