"""Webhooks and failed deliveries: each organisation's webhook (added with
the API's ``WebhookIn``, its signing secret shown once; removed by
deactivation), the office-wide ones (added through the API, listed here),
and the deliveries that failed after all retries and are not resolved.
Writes go through ``notifications.services`` (audited)."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from omd_gov.api_contract import IdField
from omd_gov.db import db
from omd_gov.errors import ServiceError
from omd_gov.notifications import queries, services
from omd_gov.notifications.redact import redact
from omd_gov.notifications.schemas import FailureQuery, WebhookIn
from omd_gov.organizations.queries import list_visible as organizations_of
from omd_gov.web.accounts import web_actor, web_user
from omd_gov.web.admin_forms import admin_page, refused, secret_page, status_of, texts
from omd_gov.web.blueprint import bp
from omd_gov.web.cooperation_forms import Errors, load


class OrganisationWebhookIn(WebhookIn):
    """The page adds organisations' endpoints (their default event types);
    office-wide ones, with their event types, come through the API."""

    organization_id = IdField(required=True)


def _page(form: dict[str, Any], errors: Errors, status: int = 200) -> tuple[str, int]:
    organizations = organizations_of(db.session, web_user())
    paging = FailureQuery().load({})  # the API's defaults: unresolved, the newest 100
    page = render_template(
        "admin_webhooks.html",
        webhooks=queries.list_webhooks(db.session),
        names={organization.id: organization.name for organization in organizations},
        organizations=organizations,
        failures=queries.list_failures(db.session, paging["unresolved"], paging["per_page"]),
        redact=redact,
        form=form,
        errors=errors,
    )
    return page, status


@bp.get("/admin/webhooks")
@admin_page
def admin_webhooks() -> tuple[str, int]:
    return _page({}, {})


@bp.post("/admin/webhooks")
@admin_page
def admin_create_webhook() -> Response | tuple[str, int]:
    data, errors = load(OrganisationWebhookIn(), texts(request.form, ("organization_id", "url")))
    failure = None
    if data is not None:
        try:
            hook = services.create_webhook(
                db.session,
                web_actor(),
                data["organization_id"],
                data["url"],
                demo=current_app.config["OMD_DEMO"],
            )
        except ServiceError as error:
            errors, failure = refused(error), error
        else:
            back = url_for("web.admin_webhooks")
            title = gettext("Webhook signing secret")
            return secret_page(title, redact(hook.url), hook.secret, back)
    return _page(request.form.to_dict(), errors, status_of(errors, failure))


@bp.post("/admin/webhooks/<int:webhook_id>/delete")
@admin_page
def admin_delete_webhook(webhook_id: int) -> Response:
    services.deactivate_webhook(db.session, web_actor(), webhook_id)
    flash(gettext("The webhook was removed; its deliveries keep their history."))
    return redirect(url_for("web.admin_webhooks"), code=303)
