"""Run the app under gunicorn from our own CLI, so one command serves it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from omd_gov.db import db


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


def run(app: Flask, host: str, port: int, workers: int, threads: int = 1) -> None:
    def post_fork(_server: Any, _worker: Any) -> None:
        # Connections must never be shared across forked workers.
        with app.app_context():
            db.engine.dispose(close=False)

    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        # More than one thread selects gunicorn's gthread worker: a thread
        # waiting on the database no longer blocks the whole process.
        "threads": threads,
        "accesslog": "-",
        # The path without the query string: the calendar feed's secret
        # token travels in the query and must not land in the logs.
        "access_log_format": '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms',
        "timeout": request_timeout(app.config),
        "post_fork": post_fork,
    }
    _Server(app, options).run()
