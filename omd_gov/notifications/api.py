"""/api/v1/notifications (in-app, per user), delivery failures and webhooks (admins)."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, DateTime, Dict, Integer, List, Nested, String
from apiflask.validators import Length, Range, Regexp
from flask import current_app
from sqlalchemy import select

from omd_gov.auth.models import Role
from omd_gov.auth.security import auth, current_actor, current_user, roles_required
from omd_gov.db import db
from omd_gov.notifications import services, webhook_admin
from omd_gov.notifications.mailer import parse_smtp_url
from omd_gov.notifications.models import DeliveryFailure, Notification, Webhook
from omd_gov.notifications.redact import redact

bp = APIBlueprint("notifications", __name__, tag="Notifications")


class NotificationQuery(Schema):
    unread = Boolean(metadata={"description": "true: only unread"})
    page = Integer(load_default=1, validate=Range(min=1, max=100000))
    per_page = Integer(load_default=50, validate=Range(1, 200))


class NotificationOut(Schema):
    id = Integer()
    topic = String()
    subject = String()
    body = String()
    link = String()
    agreement_id = Integer(allow_none=True)
    deadline_id = Integer(allow_none=True)
    params = Dict()
    created_at = DateTime()
    read_at = DateTime(allow_none=True)


class NotificationRead(NotificationOut):
    """A notification just marked as read (its own name in the OpenAPI document)."""


class NotificationPage(Schema):
    items = List(Nested(NotificationOut))
    unread = Integer()
    page = Integer()
    per_page = Integer()
    has_next = Boolean()


class FailureQuery(Schema):
    unresolved = Boolean(load_default=True)
    per_page = Integer(load_default=100, validate=Range(1, 500))


class FailureOut(Schema):
    id = Integer()
    delivery_id = Integer()
    channel = String()
    recipient = String()
    attempts = Integer()
    permanent = Boolean()
    error = String()
    failed_at = DateTime()
    resolved_at = DateTime(allow_none=True)


class WebhookIn(Schema):
    organization_id = Integer(required=True, validate=Range(min=1))
    url = String(
        required=True, validate=[Length(1, 500), Regexp(r"^https?://", error="http(s) URL")]
    )


class RedactedUrl(String):
    """A URL shown without its ``user:password@`` part."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else redact(str(value))


class WebhookOut(Schema):
    id = Integer()
    organization_id = Integer()
    url = RedactedUrl(metadata={"description": "without any user:password part"})
    active = Boolean()
    created_at = DateTime()
    secret = String(metadata={"description": "only in the answer to its creation"})


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
    mine = Notification.user_id == current_user().id
    statement = select(Notification).where(mine)
    if query.get("unread") is not None:
        unread = Notification.read_at.is_(None)
        statement = statement.where(unread if query["unread"] else ~unread)
    page, per_page = query["page"], query["per_page"]
    rows = list(
        db.session.execute(
            statement.order_by(Notification.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page + 1)
        ).scalars()
    )
    unread_count = db.session.execute(
        select(db.func.count()).where(mine, Notification.read_at.is_(None))
    ).scalar_one()
    return {
        "items": rows[:per_page],
        "unread": unread_count,
        "page": page,
        "per_page": per_page,
        "has_next": len(rows) > per_page,
    }


@bp.post("/notifications/<int:notification_id>/read")
@bp.auth_required(auth)
@bp.output(NotificationRead)
def mark_read(notification_id: int) -> Any:
    return services.mark_read(db.session, current_user().id, notification_id)


@bp.post("/notifications/read-all")
@bp.auth_required(auth)
@bp.output({}, status_code=204)
def mark_all_read() -> tuple[str, int]:
    services.mark_all_read(db.session, current_user().id)
    return "", 204


@bp.get("/notifications/failures")
@bp.auth_required(auth)
@roles_required(Role.ADMIN)
@bp.input(FailureQuery, location="query", arg_name="query")
@bp.output(FailureOut(many=True))
def list_failures(query: dict[str, Any]) -> Any:
    """Deliveries that failed after all retries (admins). Unresolved ones
    are still being retried by the sweep, unless ``permanent``."""
    statement = select(DeliveryFailure)
    if query["unresolved"]:
        statement = statement.where(DeliveryFailure.resolved_at.is_(None))
    return (
        db.session.execute(statement.order_by(DeliveryFailure.id.desc()).limit(query["per_page"]))
        .scalars()
        .all()
    )


@bp.get("/webhooks")
@bp.auth_required(auth)
@roles_required(Role.ADMIN)
@bp.output(WebhookOut(many=True, exclude=("secret",)))
def list_webhooks() -> Any:
    return db.session.execute(select(Webhook).order_by(Webhook.id)).scalars().all()


@bp.post("/webhooks")
@bp.auth_required(auth)
@roles_required(Role.ADMIN)
@bp.input(WebhookIn, arg_name="data")
@bp.output(WebhookOut, status_code=201)
def create_webhook(data: dict[str, Any]) -> Any:
    """Register an organisation's webhook; its signing secret is shown once."""
    return webhook_admin.create_webhook(
        db.session,
        current_actor(),
        data["organization_id"],
        data["url"],
        demo=current_app.config["OMD_DEMO"],
    )


@bp.delete("/webhooks/<int:webhook_id>")
@bp.auth_required(auth)
@roles_required(Role.ADMIN)
@bp.output({}, status_code=204)
def delete_webhook(webhook_id: int) -> tuple[str, int]:
    """Deactivate (deliveries keep their history)."""
    webhook_admin.deactivate_webhook(db.session, current_actor(), webhook_id)
    return "", 204
