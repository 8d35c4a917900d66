"""Run the app under gunicorn from our own CLI, so one command serves it."""

from __future__ import annotations

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


def run(app: Flask, host: str, port: int, workers: int) -> None:
    def post_fork(_server: Any, _worker: Any) -> None:
        # Connections must never be shared across forked workers.
        with app.app_context():
            db.engine.dispose(close=False)

    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "accesslog": "-",
        "timeout": 60,
        "post_fork": post_fork,
    }
    _Server(app, options).run()
