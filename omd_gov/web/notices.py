"""In-app notifications on the web pages: the unread count in every page's
header (a context processor, registered with the blueprint when this module
is imported) and ``/notifications``, the user's notifications, where they
mark them read through the notifications' services."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from omd_gov.db import PageRequest, db
from omd_gov.notifications import services
from omd_gov.notifications.queries import list_notifications, unread_count
from omd_gov.web.accounts import login_required, signed_in_user, web_actor, web_user
from omd_gov.web.blueprint import bp

PER_PAGE = 30


def unread_notifications() -> int:
    """The signed-in user's unread notifications (0 when signed out). Templates
    call it, so a page that does not show the header sends no query."""
    user = signed_in_user()
    return 0 if user is None else unread_count(db.session, user)


@bp.app_context_processor
def notices_context() -> dict[str, Any]:
    return {"unread_notifications": unread_notifications}


@bp.get("/notifications")
@login_required
def notifications() -> str:
    cursor = request.args.get("cursor") or None
    page = PageRequest(1, PER_PAGE, cursor[:500] if cursor else None)
    found = list_notifications(db.session, web_user(), None, page)
    return render_template("notifications.html", items=found.items, next_cursor=found.next_cursor)


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def notification_read(notification_id: int) -> Response:
    services.mark_read(db.session, web_actor(), notification_id)
    return redirect(url_for("web.notifications"), code=303)


@bp.post("/notifications/read-all")
@login_required
def notifications_read_all() -> Response:
    services.mark_all_read(db.session, web_actor())
    return redirect(url_for("web.notifications"), code=303)
