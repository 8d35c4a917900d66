"""/api/v1/notifications (in-app, per user), delivery failures and webhooks (admins)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from apiflask import APIBlueprint
from flask import current_app

from omd_gov.auth.models import Role
from omd_gov.auth.security import auth, current_actor, current_user, roles_required
from omd_gov.db import PageRequest, db
from omd_gov.notifications import queries, services
from omd_gov.notifications.mailer import parse_smtp_url
from omd_gov.notifications.schemas import (
    DeliveryOut,
    DeliveryQuery,
    FailureOut,
    FailureQuery,
    NotificationPage,
    NotificationQuery,
    NotificationRead,
    WebhookCreated,
    WebhookIn,
    WebhookOut,
)

bp = APIBlueprint("notifications", __name__, tag="Notifications")


@bp.record_once
def _check_smtp_url(state: Any) -> None:
    """A malformed OMD_SMTP_URL stops the app at start-up, not on the first e-mail."""
    parse_smtp_url(state.app.config["OMD_SMTP_URL"])


@bp.get("/notifications")
@bp.auth_required(auth)
@bp.input(NotificationQuery, location="query", arg_name="query")
@bp.output(NotificationPage)
def list_notifications(query: dict[str, Any]) -> dict[str, Any]:
    """Your notifications, newest first, and how many are unread."""
    me = current_user()
    page = PageRequest(query["page"], query["per_page"], query.get("cursor"))
    found = queries.list_notifications(db.session, me, query.get("unread"), page)
    return page.answer(found, unread=queries.unread_count(db.session, me))


@bp.post("/notifications/<int:notification_id>/read")
@bp.auth_required(auth)
@bp.output(NotificationRead)
def mark_read(notification_id: int) -> Any:
    return services.mark_read(db.session, current_actor(), notification_id)


@bp.post("/notifications/read-all")
@bp.auth_required(auth)
@bp.output({}, status_code=204)
def mark_all_read() -> tuple[str, int]:
    services.mark_all_read(db.session, current_actor())
    return "", 204


@bp.get("/notifications/failures")
@bp.auth_required(auth)
@roles_required(Role.ADMIN)
@bp.input(FailureQuery, location="query", arg_name="query")
@bp.output(FailureOut(many=True))
def list_failures(query: dict[str, Any]) -> Any:
    """Deliveries that failed after all retries (admins). Unresolved ones
    are still being retried by the sweep, unless ``permanent``."""
    return queries.list_failures(db.session, query["unresolved"], query["per_page"])


@bp.get("/webhooks")
@bp.auth_required(auth)
@roles_required(Role.ADMIN)
@bp.output(WebhookOut(many=True))
def list_webhooks() -> Any:
    return queries.list_webhooks(db.session)


@bp.post("/webhooks")
@bp.auth_required(auth)
@roles_required(Role.ADMIN)
@bp.input(WebhookIn, arg_name="data")
@bp.output(WebhookCreated, status_code=201)
def create_webhook(data: dict[str, Any]) -> Any:
    """Register an organisation's webhook, or an office-wide one (no
    ``organization_id``), with the event types it wants; its signing secret
    (Standard Webhooks, ``whsec_…``) is shown once."""
    return services.create_webhook(
        db.session,
        current_actor(),
        data["organization_id"],
        data["url"],
        demo=current_app.config["OMD_DEMO"],
        event_types=data.get("event_types"),
    )


@bp.get("/webhooks/<int:webhook_id>/deliveries")
@bp.auth_required(auth)
@roles_required(Role.ADMIN)
@bp.input(DeliveryQuery, location="query", arg_name="query")
@bp.output(DeliveryOut(many=True))
def list_deliveries(webhook_id: int, query: dict[str, Any]) -> Any:
    """The endpoint's delivery log, newest first: each event, its status,
    attempts and last error (admins)."""
    return queries.delivery_log(
        db.session, webhook_id, query.get("status"), query.get("before"), query["per_page"]
    )


@bp.post("/webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/replay")
@bp.auth_required(auth)
@roles_required(Role.ADMIN)
@bp.output(DeliveryOut, status_code=202)
def replay_delivery(webhook_id: int, delivery_id: int) -> Any:
    """Send a failed (or rejected) delivery again, as it was: same event,
    same ``webhook-id``, fresh retries. 409 unless it is failed or rejected."""
    lease = timedelta(seconds=current_app.config["OMD_DELIVERY_LEASE_SECONDS"])
    return services.replay(db.session, current_actor(), webhook_id, delivery_id, lease)


@bp.delete("/webhooks/<int:webhook_id>")
@bp.auth_required(auth)
@roles_required(Role.ADMIN)
@bp.output({}, status_code=204)
def delete_webhook(webhook_id: int) -> tuple[str, int]:
    """Deactivate (deliveries keep their history)."""
    services.deactivate_webhook(db.session, current_actor(), webhook_id)
    return "", 204
