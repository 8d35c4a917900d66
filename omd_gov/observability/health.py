"""``/healthz/live`` and ``/healthz/ready``: for load balancers and
orchestrators, so no authentication, and nothing in the answers but the
names of the parts and ``ok`` or ``down`` (never a URL, path, host or error
text: the reasons go to the log). Both are left out of the OpenAPI document.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from kombu import Connection
from sqlalchemy import text

from omd_gov.db import db
from omd_gov.tasking.celery_app import transport_options

log = logging.getLogger(__name__)
bp = Blueprint("healthz", __name__, url_prefix="/healthz")
_NO_STORE = {"Cache-Control": "no-store"}


@bp.get("/live")
def live() -> ResponseReturnValue:
    """The process serves requests; nothing else is asked."""
    return jsonify(status="live"), 200, _NO_STORE


@bp.get("/ready")
def ready() -> ResponseReturnValue:
    config = current_app.config
    checks = {name: _run(name, check, config) for name, check in CHECKS.items()}
    ok = all(state == "ok" for state in checks.values())
    body = {"status": "ready" if ok else "unready", "checks": checks}
    return jsonify(body), 200 if ok else 503, _NO_STORE


def _run(name: str, check: Callable[[Mapping[str, Any]], None], config: Mapping[str, Any]) -> str:
    try:
        check(config)
    except Exception as error:  # any failure means "not ready"; the log says why
        log.warning("readiness: %s is down: %s: %.200s", name, type(error).__name__, error)
        return "down"
    return "ok"


def check_database(_config: Mapping[str, Any]) -> None:
    with db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def check_broker(config: Mapping[str, Any]) -> None:
    """The embedded broker: its folders exist and take a file. A server: a
    connection opens within ``OMD_HEALTH_TIMEOUT``."""
    url, options = transport_options(config)
    if url == "filesystem://":
        for key in ("data_folder_in", "control_folder", "processed_folder"):
            _probe_write(Path(options[key]))
        return
    timeout = float(config["OMD_HEALTH_TIMEOUT"])
    options = options | {"socket_connect_timeout": timeout, "socket_timeout": timeout}
    with Connection(url, connect_timeout=timeout, transport_options=options) as connection:
        connection.ensure_connection(max_retries=0, timeout=timeout)


def check_storage(config: Mapping[str, Any]) -> None:
    folder = Path(config["OMD_STORAGE_DIR"])
    folder.mkdir(parents=True, exist_ok=True)  # as the storage does on its first write
    _probe_write(folder)


def check_libreoffice(config: Mapping[str, Any]) -> None:
    """Found as the PDF conversion finds it (documents.pdf.soffice_binary)."""
    if shutil.which(config["OMD_SOFFICE"]) is None:
        raise FileNotFoundError("the LibreOffice binary (OMD_SOFFICE) is not on this server")


def _probe_write(folder: Path) -> None:
    if not folder.is_dir():
        raise NotADirectoryError("not a directory")
    descriptor, name = tempfile.mkstemp(prefix=".omd-ready-", dir=folder)
    os.close(descriptor)
    os.unlink(name)


CHECKS: dict[str, Callable[[Mapping[str, Any]], None]] = {
    "database": check_database,
    "broker": check_broker,
    "storage": check_storage,
    "libreoffice": check_libreoffice,
}
