"""Wiring the web pages into the app: the blueprint, CSRF protection on every
form (the JSON API is exempt: it takes bearer tokens, never cookies), the
session cookie's flags, sign-in throttling and HTML error pages."""

from __future__ import annotations

import importlib
from datetime import timedelta
from typing import Any

from apiflask import APIBlueprint
from flask import Flask, render_template
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError, CSRFProtect

from omd_gov import ratelimit
from omd_gov.errors import ServiceError
from omd_gov.web import language
from omd_gov.web.accounts import signed_in_user
from omd_gov.web.blueprint import bp
from omd_gov.web.problems import problems_of

# Each module adds its pages to the blueprint when imported.
PAGE_MODULES = (
    "omd_gov.web.auth_views",
    "omd_gov.web.dashboard",
    "omd_gov.web.workspace",
    "omd_gov.web.lists",
    "omd_gov.web.cooperations",
    "omd_gov.web.agreement_drafts",
    "omd_gov.web.notices",
    "omd_gov.web.analytics",
    "omd_gov.web.admin",
    "omd_gov.web.lifecycle_help",
    "omd_gov.web.register_pages",
)

csrf = CSRFProtect()


def install(app: Flask) -> None:
    hours = int(app.config["OMD_SESSION_HOURS"])
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=app.config["OMD_PUBLIC_URL"].startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=hours),
        WTF_CSRF_TIME_LIMIT=hours * 3600,
    )
    csrf.init_app(app)
    for blueprint in app.blueprints.values():
        if isinstance(blueprint, APIBlueprint):
            csrf.exempt(blueprint)
    for name in PAGE_MODULES:
        importlib.import_module(name)
    language.install(app)
    ratelimit.install(app)
    # Flask-Limiter raises with the page built already; the app's generic
    # handler would answer problem+json instead.
    app.register_error_handler(RateLimitExceeded, lambda error: error.get_response())
    app.register_blueprint(bp)
    app.context_processor(_page_context)


def _page_context() -> dict[str, Any]:
    return {"me": signed_in_user(), "problems_of": problems_of}


@bp.app_errorhandler(CSRFError)
def _csrf_refused(error: CSRFError) -> tuple[str, int]:
    return render_template("error.html", status=400, message=error.description), 400


@bp.errorhandler(ServiceError)
def _refused(error: ServiceError) -> tuple[str, int]:
    return render_template("error.html", status=error.status, message=error.detail), error.status
