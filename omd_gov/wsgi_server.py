"""Run the app under gunicorn from our own CLI, so one command serves it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from gunicorn import glogging
from gunicorn.app.base import BaseApplication

from omd_gov.db import db
from omd_gov.observability import logs, multiprocess


class _Server(BaseApplication):
    def __init__(self, app: Flask, options: dict[str, Any]):
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def request_timeout(config: Mapping[str, Any]) -> int:
    """Longer than the slowest legitimate request: a synchronous PDF
    conversion or a package of four renders, each bounded by its own limit."""
    slowest = max(
        float(config.get("OMD_PDF_TIMEOUT", 30)), 4 * float(config.get("OMD_RENDER_TIMEOUT", 0))
    )
    return int(slowest) + 30


class _Logger(glogging.Logger):
    """gunicorn's own lines (start, worker boot and exit) in the app's log format."""

    log_format = "json"

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        self.error_log.handlers = [logs.handler(self.log_format)]


def run(app: Flask, host: str, port: int, workers: int, threads: int = 1) -> None:
    def post_fork(_server: Any, _worker: Any) -> None:
        # Connections must never be shared across forked workers.
        with app.app_context():
            db.engine.dispose(close=False)

    def child_exit(_server: Any, worker: Any) -> None:
        multiprocess.process_gone(worker.pid)

    multiprocess.warn_if_single(workers)
    _Logger.log_format = app.config["OMD_LOG_FORMAT"]
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        # More than one thread selects gunicorn's gthread worker: a thread
        # waiting on the database no longer blocks the whole process.
        "threads": threads,
        # No access log: the app logs one line per request itself, with the
        # URL rule instead of the path (the calendar feed's secret token
        # travels in the query and must not land in the logs).
        "accesslog": None,
        "logger_class": _Logger,
        "timeout": request_timeout(app.config),
        "on_starting": lambda _server: multiprocess.clean_at_start(),
        "post_fork": post_fork,
        "child_exit": child_exit,
    }
    _Server(app, options).run()
