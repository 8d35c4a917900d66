"""An in-process SMTP server (aiosmtpd) that records every message, or
stalls on DATA until released."""

from __future__ import annotations

import asyncio
import email
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any
from zoneinfo import ZoneInfo

from omd_gov.db import utcnow

LISBON = ZoneInfo("Europe/Lisbon")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Received:
    at: datetime  # the application clock when it arrived (time-travel aware)
    rcpt: list[str]
    message: EmailMessage

    @property
    def local_day(self) -> date:
        return self.at.astimezone(LISBON).date()


@dataclass
class SmtpSink:
    """Records every accepted message. With ``stall`` set, DATA hangs (the
    client waits for the final reply) until ``release`` is set, then 451."""

    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    stall: threading.Event = field(default_factory=threading.Event)
    stalled: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    controller: Any = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        if self.stall.is_set():
            self.stalled.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 try again later"
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        self.received.append(Received(utcnow(), list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 2.0.0 OK"

    def start(self) -> SmtpSink:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Received]:
        end = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < end:
            time.sleep(0.02)
        return list(self.received)


@contextmanager
def smtp_sink(start: bool = True) -> Iterator[SmtpSink]:
    sink = SmtpSink()
    if start:
        sink.start()
    try:
        yield sink
    finally:
        sink.stop()
