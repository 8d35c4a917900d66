"""Request and response shapes for notifications, delivery failures and webhooks."""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, Dict, Integer, List, Nested, String
from apiflask.validators import Length, Range, Regexp

from omd_gov.api_contract import IdField
from omd_gov.notifications.redact import redact


class NotificationQuery(Schema):
    unread = Boolean(metadata={"description": "true: only unread"})
    page = Integer(load_default=1, validate=Range(min=1, max=100000))
    per_page = Integer(load_default=50, validate=Range(1, 200))
    cursor = String(
        validate=Length(1, 500),
        metadata={"description": "start after this cursor (a page's next_cursor) instead of "
                  "at a page number: as fast on the last page as on the first"},
    )  # fmt: skip


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
    next_cursor = String(
        allow_none=True,
        metadata={"description": "the cursor of the next page; null on the last one"},
    )


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
    organization_id = IdField(required=True)
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


class WebhookCreated(WebhookOut):
    secret = String(metadata={"description": "the signing secret, shown only here, once"})
