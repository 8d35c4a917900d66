"""omd-gov: governance and agreement workflow for a Municipal Data Office."""

from __future__ import annotations

import importlib
import os
import secrets
from pathlib import Path
from typing import Any

from apiflask import APIFlask

from omd_gov import api_contract, api_docs
from omd_gov.config import check_choices, load_config
from omd_gov.db import db
from omd_gov.errors import register_error_handlers

# Each feature's ``api`` module exposes a blueprint ``bp``; add new features here.
BLUEPRINT_MODULES = (
    "omd_gov.organizations.api",
    "omd_gov.cooperations.api",
    "omd_gov.agreements.api",
    "omd_gov.audit.api",
    "omd_gov.deadlines.api",
    "omd_gov.deadlines.calendar_api",
    "omd_gov.notifications.api",
    "omd_gov.documents.api",
    "omd_gov.signatures.api",
    "omd_gov.register.api",
    "omd_gov.register.catalog_api",
    "omd_gov.register.policy_api",
)
# Each feature's Celery tasks (a module may declare PERIODIC ones for beat).
TASK_MODULES = (
    "omd_gov.deadlines.tasks",
    "omd_gov.notifications.tasks",
    "omd_gov.documents.tasks",
    "omd_gov.audit.tasks",
)


def create_app(test_config: dict[str, Any] | None = None) -> APIFlask:
    """Build the application. Nothing is created at import time."""
    app = APIFlask(
        __name__,
        title="omd-gov API",
        version="1.0",
        spec_path="/openapi.json",
        docs_path="/docs",
        instance_path=os.path.abspath(os.environ["OMD_INSTANCE_DIR"])
        if os.environ.get("OMD_INSTANCE_DIR")
        else None,
    )
    app.config.from_mapping(load_config(Path(app.instance_path)))
    if test_config:
        app.config.from_mapping(test_config)
    _require_secret_key(app)
    check_choices(app.config)
    _check_catalogue(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    from omd_gov import observability
    from omd_gov.deadlines.metrics import reminder_backlog

    observability.install(app)
    observability.add_collector(app, reminder_backlog)
    from omd_gov import sqlite_tuning

    sqlite_tuning.install(app)
    register_error_handlers(app)
    api_contract.install_routing(app)
    for module_name in BLUEPRINT_MODULES:
        module = importlib.import_module(module_name)
        app.register_blueprint(module.bp, url_prefix="/api/v1")
        if hasattr(module, "public_bp"):  # pages anyone may read (no /api/v1 prefix)
            app.register_blueprint(module.public_bp)
    _register_hooks()
    from omd_gov.web.install import install as install_web

    install_web(app)  # after the API blueprints: it exempts them from CSRF
    app.extensions["omd_task_modules"] = TASK_MODULES
    api_docs.install(app)
    api_contract.install_spec(app)
    return app


def _register_hooks() -> None:
    """Features built on agreements join the lifecycle here, explicitly (not
    as an import side effect), so every process that builds the app has
    them and the lifecycle core imports none of them."""
    from omd_gov.agreements.queries import holding_canvas
    from omd_gov.cooperations.hooks import hold_canvas_while
    from omd_gov.deadlines import hooks as deadline_hooks
    from omd_gov.documents import hooks as document_hooks
    from omd_gov.notifications import hooks as webhook_hooks
    from omd_gov.signatures import hooks as signature_hooks

    hold_canvas_while(holding_canvas)
    document_hooks.register()  # freezes the DSA and its PDF: before a signing round starts
    signature_hooks.register()
    deadline_hooks.register()
    webhook_hooks.register()  # lifecycle webhooks: the fan-out after each transition's commit


def _check_catalogue(app: APIFlask) -> None:
    """A mistyped register theme or page size stops the start, not the first harvest."""
    from omd_gov.register.dcat_terms import settings_from

    try:
        settings_from(app.config)
    except ValueError as error:
        raise RuntimeError(str(error)) from error


def _require_secret_key(app: APIFlask) -> None:
    if app.config["SECRET_KEY"]:
        return
    if app.config["OMD_DEMO"] or app.testing:
        app.config["SECRET_KEY"] = secrets.token_hex(32)
        return
    raise RuntimeError("OMD_SECRET_KEY must be set (or run in demo mode with OMD_DEMO=1)")
