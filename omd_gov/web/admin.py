"""Admin pages: users and roles, organisations, holidays, the deadline policy,
templates, webhooks and failed deliveries. This module is the index; each
page lives in its own ``admin_*`` module, imported here so that its routes
join the blueprint."""

from __future__ import annotations

from flask import render_template

from omd_gov.web import (  # noqa: F401 - imported for their routes
    admin_calendar,
    admin_organizations,
    admin_policy,
    admin_templates,
    admin_users,
    admin_webhooks,
)
from omd_gov.web.admin_forms import admin_page
from omd_gov.web.blueprint import bp


@bp.get("/admin")
@admin_page
def admin_index() -> str:
    return render_template("admin.html")
