"""Request and response shapes for notifications, delivery failures and webhooks."""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, Dict, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range, Regexp

from omd_gov.api_contract import IdField
from omd_gov.notifications.events import EVENT_TYPES
from omd_gov.notifications.models import DELIVERY_STATUSES
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
    organization_id = IdField(
        allow_none=True,
        load_default=None,
        metadata={"description": "the organisation's endpoint (one each); absent or null: an "
                  "office-wide endpoint (e.g. the City OS), for agreement events only"},
    )  # fmt: skip
    url = String(
        required=True, validate=[Length(1, 500), Regexp(r"^https?://", error="http(s) URL")]
    )
    event_types = List(
        String(validate=OneOf(EVENT_TYPES)),
        validate=Length(1, len(EVENT_TYPES)),
        metadata={"description": "the CloudEvents types it receives (docs/WEBHOOKS.md); "
                  "default: an organisation's, its reminders; office-wide, every agreement event"},
    )  # fmt: skip


class RedactedUrl(String):
    """A URL shown without its ``user:password@`` part."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else redact(str(value))


class WebhookOut(Schema):
    id = Integer()
    organization_id = Integer(allow_none=True, metadata={"description": "null: office-wide"})
    url = RedactedUrl(metadata={"description": "without any user:password part"})
    event_types = List(String())
    active = Boolean()
    created_at = DateTime()


class WebhookCreated(WebhookOut):
    secret = String(metadata={"description": "the signing secret, shown only here, once"})


class DeliveryQuery(Schema):
    status = String(validate=OneOf(DELIVERY_STATUSES))
    before = IdField(metadata={"description": "only deliveries with a smaller id (older)"})
    per_page = Integer(load_default=100, validate=Range(1, 500))


class DeliveryOut(Schema):
    """One entry of an endpoint's delivery log."""

    id = Integer()
    event_id = String(attribute="payload.id", allow_none=True)
    event_type = String(attribute="payload.type", allow_none=True)
    subject = String(attribute="payload.subject", allow_none=True)
    status = String(metadata={"description": "pending, sending, sent, failed or rejected"})
    attempts = Integer()
    rounds = Integer(metadata={"description": "times all its retries were used up"})
    last_error = String(allow_none=True)
    created_at = DateTime()
    sent_at = DateTime(allow_none=True)
    due_at = DateTime(allow_none=True, metadata={"description": "next attempt, if unfinished"})
