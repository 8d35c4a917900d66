"""/api/v1/calendar: the business calendar, and each user's iCalendar feed."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from flask import Response, current_app, request

from omd_gov.auth.models import Role
from omd_gov.auth.security import auth, current_actor, roles_required
from omd_gov.db import db, utcnow
from omd_gov.deadlines import ics, queries, services
from omd_gov.deadlines.calendar import check_region, office_today
from omd_gov.deadlines.schemas import (
    BusinessDaysOut,
    BusinessDaysQuery,
    FeedTokenOut,
    HolidayCreated,
    HolidayIn,
    HolidayList,
    HolidayQuery,
)
from omd_gov.errors import NotFound

bp = APIBlueprint("calendar", __name__, tag="Calendar")


@bp.record_once
def _check_configured_region(state: Any) -> None:
    """A mistyped OMD_CALENDAR_COUNTRY/SUBDIV fails at start-up, not on the first deadline."""
    config = state.app.config
    check_region(config["OMD_CALENDAR_COUNTRY"], config["OMD_CALENDAR_SUBDIV"] or None)


@bp.get("/calendar/holidays")
@bp.auth_required(auth)
@bp.input(HolidayQuery, location="query", arg_name="query")
@bp.output(HolidayList)
def list_holidays(query: dict[str, Any]) -> dict[str, Any]:
    """Non-business days of a year (default: this year): official and municipal."""
    config = current_app.config
    year = query.get("year") or office_today(config).year
    return queries.holidays_of_year(db.session, config, year)


@bp.post("/calendar/holidays")
@bp.auth_required(auth)
@roles_required(Role.ADMIN)
@bp.input(HolidayIn, arg_name="data")
@bp.output(HolidayCreated, status_code=201)
def add_holiday(data: dict[str, Any]) -> dict[str, Any]:
    """Add a municipal holiday or office closure (admins)."""
    row = services.add_holiday(
        db.session, current_actor(), data["date"], data["name"], data["kind"]
    )
    return {
        "id": row.id,
        "date": row.day,
        "name": row.name,
        "kind": row.kind,
        "source": "municipal",
    }


@bp.delete("/calendar/holidays/<int:holiday_id>")
@bp.auth_required(auth)
@roles_required(Role.ADMIN)
@bp.output({}, status_code=204)
def delete_holiday(holiday_id: int) -> tuple[str, int]:
    services.delete_holiday(db.session, current_actor(), holiday_id)
    return "", 204


@bp.get("/calendar/business-days")
@bp.auth_required(auth)
@bp.input(BusinessDaysQuery, location="query", arg_name="query")
@bp.output(BusinessDaysOut)
def business_days(query: dict[str, Any]) -> dict[str, Any]:
    """The day ``n`` business days after (negative: before) ``from``."""
    return queries.business_days(db.session, current_app.config, query["start"], query["n"])


@bp.post("/calendar/feed-token")
@bp.auth_required(auth)
@bp.output(FeedTokenOut, status_code=201)
def issue_feed_token() -> dict[str, str]:
    """A new secret URL for your iCalendar feed (the previous one stops working)."""
    token = services.issue_calendar_token(db.session, current_actor())
    return {"token": token, "url": ics.feed_url(current_app.config, token)}


@bp.delete("/calendar/feed-token")
@bp.auth_required(auth)
@bp.output({}, status_code=204)
def revoke_feed_token() -> tuple[str, int]:
    services.revoke_calendar_token(db.session, current_actor())
    return "", 204


@bp.get("/calendar.ics")
@bp.doc(
    security=[],
    description="The token from POST /calendar/feed-token is the only credential here, "
    "because calendar apps cannot send headers.",
    responses={200: "text/calendar", 404: "Unknown or revoked token"},
)
def calendar_feed() -> Response:
    user = ics.user_for_token(db.session, request.args.get("token", ""))
    if user is None:
        raise NotFound("no calendar feed for this token")
    body = ics.build_feed(db.session, user, current_app.config, utcnow())
    return Response(
        body,
        mimetype="text/calendar",
        headers={
            "Cache-Control": "private, no-cache",
            "Content-Disposition": 'inline; filename="omd-gov-deadlines.ics"',
        },
    )
