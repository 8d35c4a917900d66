"""E-mail over SMTP (``OMD_SMTP_URL``): build the multipart message and send
it, telling transient transport errors (retry) from permanent refusals.

URL forms: ``smtp://host:25``, ``smtp://user:pass@host:587?starttls=1``,
``smtps://user:pass@host:465``. An empty URL only logs the message (the
embedded default when no mail server is configured). Errors never quote the
password (``redact``); a malformed URL is a :class:`ConfigurationError`.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from omd_gov.db import utcnow
from omd_gov.notifications.messages import render_html
from omd_gov.notifications.redact import redact
from omd_gov.observability.metrics import REMINDERS_FAILED, REMINDERS_RETRIED, REMINDERS_SENT

log = logging.getLogger(__name__)


class TransientError(Exception):
    """The transport failed in a way that may heal: retry with backoff."""


class PermanentError(Exception):
    """The receiving side refused for good (e.g. SMTP 5xx): do not retry."""


class ConfigurationError(ValueError):
    """``OMD_SMTP_URL`` is malformed: no retry can fix it, the operator must."""


@contextmanager
def counted_attempt(channel: str) -> Iterator[None]:
    """Count one delivery attempt on ``channel`` for Prometheus: sent, failed
    for good (a permanent refusal) or to be tried again (anything else: a
    Celery retry, or the sweep's next round)."""
    try:
        yield
    except PermanentError:
        REMINDERS_FAILED.labels(channel=channel).inc()
        raise
    except Exception:
        REMINDERS_RETRIED.labels(channel=channel).inc()
        raise
    REMINDERS_SENT.labels(channel=channel).inc()


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    username: str | None
    password: str | None
    timeout: float


def parse_smtp_url(url: str, timeout: float = 30) -> SmtpSettings | None:
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ConfigurationError(
            f"OMD_SMTP_URL must start with smtp:// or smtps://, not {redact(url)!r}"
        )
    try:
        port = parts.port
    except ValueError as error:
        raise ConfigurationError(f"OMD_SMTP_URL {redact(url)!r} has an invalid port") from error
    query = parse_qs(parts.query)
    implicit = parts.scheme == "smtps"
    return SmtpSettings(
        host=parts.hostname or "127.0.0.1",
        port=port or (465 if implicit else 25),
        implicit_tls=implicit,
        starttls=query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        timeout=timeout,
    )


def build_message(
    notification: Any, name: str, address: str, config: Mapping[str, Any], reference: str = ""
) -> EmailMessage:
    """A multipart/alternative (text + HTML) message in the notification's language.
    Its Message-ID is stable, so a resend after a crash can be recognised."""
    sender = config["OMD_MAIL_FROM"]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "omd-gov.localhost"
    message = EmailMessage()
    message["Subject"] = notification.subject
    message["From"] = sender
    message["To"] = formataddr((name, address))
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = f"<notification-{notification.id}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    message["X-OMD-Topic"] = notification.topic
    if reference:
        message["X-OMD-Agreement"] = reference
    message.set_content(notification.body)
    message.add_alternative(
        render_html(
            notification.subject, notification.body, notification.link, notification.language
        ),
        subtype="html",
    )
    # Set after the parts exist: making the message multipart moves Content-* headers down.
    message["Content-Language"] = notification.language
    return message


def _classify(error: Exception) -> Exception:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        if codes and all(code >= 500 for code in codes):
            return PermanentError(f"recipients refused: {error.recipients}")
        return TransientError(f"recipients refused: {error.recipients}")
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return TransientError(f"SMTP authentication failed ({error.smtp_code})")
    if isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500:
        return PermanentError(f"SMTP {error.smtp_code}: {error.smtp_error!r}")
    return TransientError(redact(f"{type(error).__name__}: {error}"))


def send(message: EmailMessage, settings: SmtpSettings | None) -> None:
    """Send or, without settings, log. Raises TransientError or PermanentError."""
    with counted_attempt("email"):
        _send(message, settings)


def _send(message: EmailMessage, settings: SmtpSettings | None) -> None:
    if settings is None:
        log.info("mail (log only, OMD_SMTP_URL is empty):\n%s", message)
        return
    try:
        smtp_class = smtplib.SMTP_SSL if settings.implicit_tls else smtplib.SMTP
        with smtp_class(settings.host, settings.port, timeout=settings.timeout) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise _classify(error) from error
