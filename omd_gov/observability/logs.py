"""Log lines: JSON (one object a line) or text, to stderr, with the request
id on every record. ``OMD_LOG_FORMAT`` chooses; ``OMD_LOG_LEVEL`` filters.

Tests keep pytest's own capture: a testing app leaves logging alone.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from celery import signals
from flask import Flask

from omd_gov.observability.context import RequestIdFilter

# Attributes every LogRecord has; anything else came in through ``extra``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request id and
    the fields given with ``extra={"fields": {...}}``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        entry.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = None
        line = super().format(record)
        fields = getattr(record, "fields", None)
        if fields:
            line += " " + " ".join(f"{key}={value}" for key, value in fields.items())
        return line


def formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter()
    if log_format == "text":
        return TextFormatter()
    raise ValueError(f"OMD_LOG_FORMAT must be json or text, not {log_format!r}")


def handler(log_format: str) -> logging.Handler:
    """The one handler of the process: stderr, this format, the request id."""
    out = logging.StreamHandler(sys.stderr)
    out.setFormatter(formatter(log_format))
    out.addFilter(RequestIdFilter())
    return out


def configure(app: Flask) -> None:
    """Make the root logger's only handler ours (idempotent: the last app
    built in a process decides)."""
    if app.testing:
        return
    root = logging.getLogger()
    root.handlers = [handler(app.config["OMD_LOG_FORMAT"])]
    root.setLevel(app.config["OMD_LOG_LEVEL"])
    # A Celery worker would add its own text handler; with a receiver
    # connected it leaves the handlers to us and we only take its level.
    signals.setup_logging.connect(_celery_level, weak=False, dispatch_uid="omd-logs")


def _celery_level(loglevel: Any = None, **_: Any) -> None:
    if loglevel:
        logging.getLogger().setLevel(loglevel)
