"""Per-user iCalendar feeds of deadlines, for calendar apps to subscribe to.

Calendar apps cannot send a bearer header, so the feed URL carries a
per-user secret token; only its sha256 is stored, and issuing a new one
revokes the old. Event UIDs derive from the deadline id (stable), and
SEQUENCE follows the deadline's revision, so a moved deadline updates the
same event. Reads only: issuing and revoking a token are in ``services``.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from omd_gov.agreements.models import Agreement
from omd_gov.auth.models import User
from omd_gov.auth.tokens import hash_token
from omd_gov.deadlines.models import CalendarFeedToken, Deadline
from omd_gov.deadlines.queries import assigned_to, readable_by
from omd_gov.notifications.messages import KIND_LABELS, language_of


def new_feed_token() -> str:
    """A fresh feed secret (``services.issue_calendar_token`` stores its hash)."""
    return "ics_" + secrets.token_urlsafe(32)


def user_for_token(session: Session, token: str) -> User | None:
    if not token.startswith("ics_"):
        return None
    user = session.execute(
        select(User)
        .join(CalendarFeedToken, CalendarFeedToken.user_id == User.id)
        .where(CalendarFeedToken.token_hash == hash_token(token))
    ).scalar_one_or_none()
    return user if user is not None and user.active else None


def feed_url(config: Mapping[str, Any], token: str) -> str:
    return f"{config['OMD_PUBLIC_URL'].rstrip('/')}/api/v1/calendar.ics?token={token}"


def build_feed(session: Session, user: User, config: Mapping[str, Any], now: datetime) -> bytes:
    """All-day events for the user's open deadlines, on their due days."""
    public = config["OMD_PUBLIC_URL"].rstrip("/")
    host = urlsplit(public).hostname or "omd-gov.localhost"
    labels = KIND_LABELS[language_of(user.language)]
    calendar = Calendar()
    calendar.add("prodid", "-//omd-gov//deadlines//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"omd-gov: {user.name}")
    mine = assigned_to(user) if user.is_office else readable_by(user)
    rows = session.execute(
        select(Deadline, Agreement.reference, Agreement.title)
        .join(Agreement, Agreement.id == Deadline.agreement_id)
        .where(Deadline.status == "open", mine)
        .order_by(Deadline.due_on, Deadline.id)
    ).all()
    for deadline, reference, title in rows:
        event = Event()
        event.add("uid", f"deadline-{deadline.id}@{host}")
        event.add("dtstamp", now)
        event.add("dtstart", deadline.due_on)
        event.add("dtend", deadline.due_on + timedelta(days=1))
        event.add("sequence", deadline.revision - 1)
        event.add("summary", f"{reference}: {labels.get(deadline.kind, deadline.kind)}")
        event.add("description", f"{title}\n{public}/agreements/{deadline.agreement_id}")
        event.add("url", f"{public}/agreements/{deadline.agreement_id}")
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return bytes(calendar.to_ical())
