"""A local SMTP debugging sink for ``make run``: prints each message, decoded
(subject and plain-text part), so the demo's reminder e-mails can be read.

Run with ``python -m aiosmtpd -n -l 127.0.0.1:8025 -c omd_gov.notifications.devmail.Printer``.
Never for production: it accepts everything and delivers nothing.
"""

from __future__ import annotations

import email
import sys
from email.message import EmailMessage
from email.policy import default
from typing import Any


class Printer:
    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=default)
        assert isinstance(message, EmailMessage)
        body = message.get_body(("plain",))
        lines = [
            "=" * 72,
            f"To:       {', '.join(envelope.rcpt_tos)}",
            f"Subject:  {message['Subject']}",
            f"Language: {message['Content-Language']}    Topic: {message['X-OMD-Topic']}",
            "-" * 72,
            body.get_content().strip() if body is not None else "(no text part)",
            "",
        ]
        sys.stdout.write("\n".join(lines) + "\n")
        sys.stdout.flush()
        return "250 OK"
