"""The webhook event catalogue and its envelope: every webhook body is a
CloudEvents 1.0 event in structured JSON mode (docs/WEBHOOKS.md).

Lifecycle events go to office-wide endpoints (the City OS) and to the
endpoints of the agreement's parties; deadline events go to the endpoints of
the reminded users' organisations only (their data names those users)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

PREFIX = "org.omd-gov."
TRANSITIONED = PREFIX + "agreement.transitioned"
PUBLISHED = PREFIX + "agreement.published"
PUBLICATION_UPDATED = PREFIX + "agreement.publication_updated"
UNPUBLISHED = PREFIX + "agreement.unpublished"
LIFECYCLE_TYPES = (TRANSITIONED, PUBLISHED, PUBLICATION_UPDATED, UNPUBLISHED)
# A reminder's kind -> its event type (deadlines/models.py REMINDER_KINDS that notify).
DEADLINE_TYPES = tuple(PREFIX + f"deadline.{kind}" for kind in ("start", "reminder",
                       "escalation", "notice"))  # fmt: skip
EVENT_TYPES = LIFECYCLE_TYPES + DEADLINE_TYPES

# The register's audited actions -> their event types.
PUBLICATION_ACTIONS = {
    "publish": PUBLISHED,
    "update_publication": PUBLICATION_UPDATED,
    "unpublish": UNPUBLISHED,
}


def default_types(organization_id: int | None) -> list[str]:
    """What an endpoint registered without ``event_types`` receives: an
    organisation's, its reminders (as before lifecycle events existed);
    an office-wide one, every lifecycle event."""
    return list(DEADLINE_TYPES if organization_id is not None else LIFECYCLE_TYPES)


def refused_types(organization_id: int | None, types: Iterable[str]) -> list[str]:
    """The types this endpoint may not subscribe to: unknown ones, and for an
    office-wide endpoint the deadline events (they name the reminded users)."""
    allowed = EVENT_TYPES if organization_id is not None else LIFECYCLE_TYPES
    return [name for name in types if name not in allowed]


def cloudevent(
    event_id: str,
    source: str,
    event_type: str,
    subject: str,
    time: datetime | str,
    data: Any,
    **extensions: str,
) -> dict[str, Any]:
    """A CloudEvents 1.0 event (structured mode) with a JSON ``data`` and
    any extension attributes (e.g. ``sequence``)."""
    return extensions | {
        "specversion": "1.0",
        "id": event_id,
        "source": source,
        "type": event_type,
        "subject": subject,
        "time": time if isinstance(time, str) else time.isoformat(),
        "datacontenttype": "application/json",
        "data": data,
    }


def source_of(public_url: str) -> str:
    """The events' ``source``: this office's public URL."""
    return public_url.rstrip("/") or "/"
