"""The dashboard (the home page, per role): what waits on the signed-in user
by name, their team's unclaimed queue (kept apart, with claim and assign),
the overdue and upcoming deadlines in business days, the counts by state
and the recent activity. Claiming goes through the deadlines' service; the
reads are the agreements' and deadlines' queries, whose visibility rules apply.

The page sends the same handful of statements whatever the number of
agreements, deadlines or events (tests/integration/test_web_dashboard.py)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from omd_gov.agreements.counts import count_by_state
from omd_gov.agreements.lifecycle import State
from omd_gov.agreements.queries import recent_events
from omd_gov.db import db
from omd_gov.deadlines import services as deadline_services
from omd_gov.deadlines.calendar import office_today
from omd_gov.deadlines.queries import DeadlineFilter
from omd_gov.deadlines.worklists import first_of_each, teammates, with_days_left
from omd_gov.errors import Conflict, ServiceError, Unprocessable
from omd_gov.web.accounts import login_required, web_actor, web_user
from omd_gov.web.blueprint import bp
from omd_gov.web.terms import term

# Rows per section: the soonest ten of each list, the latest ten events. The
# page's cost follows these, never the register's size (docs/PERFORMANCE.md).
LISTED = 10
ACTIVITY = 10


@bp.get("/")
@login_required
def dashboard() -> str:
    return _dashboard()


def _dashboard(refusal: ServiceError | None = None) -> str:
    user, config = web_user(), current_app.config
    today = office_today(config)
    lists = first_of_each(
        db.session,
        user,
        {
            "mine": DeadlineFilter(today, assignee=user, assignment="named"),
            "team": DeadlineFilter(today, assignee=user, assignment="queue"),
            "soon": DeadlineFilter(today),  # every open one the user may see, overdue first
        },
        LISTED,
    )
    mine, team, soon = lists["mine"], lists["team"], lists["soon"]
    with_days_left(db.session, config, today, mine, team, soon)
    counts = count_by_state(db.session, user)
    return render_template(
        "dashboard.html",
        mine=mine,
        team=team,
        soon=soon,
        colleagues=[u for u in teammates(db.session, user) if u.id != user.id] if team else [],
        counts=[(str(state), counts.get(str(state), 0)) for state in State],
        total=sum(counts.values()),
        events=recent_events(db.session, user, ACTIVITY),
        refusal=refusal,
        listed=LISTED,
    )


@bp.post("/deadlines/<int:deadline_id>/claim")
@login_required
def claim(deadline_id: int) -> Response | tuple[str, int]:
    """Claim for oneself, or (with ``assignee_id``) for a teammate."""
    for_user_id = None
    if "assignee_id" in request.form:
        for_user_id = request.form.get("assignee_id", type=int)
        if for_user_id is None or for_user_id < 1:
            problem = {"field": "assignee_id", "message": "choose a colleague"}
            return _dashboard(Unprocessable("nobody was chosen", [problem])), 422
    try:
        deadline = deadline_services.claim_deadline(
            db.session, web_actor(), deadline_id, for_user_id=for_user_id
        )
    except (Conflict, Unprocessable) as error:
        # Someone was quicker, or the colleague cannot take it: say so on the
        # dashboard itself. A 403/404 goes to the error page.
        return _dashboard(error), error.status
    what = {"kind": term(deadline.kind, "deadline"), "id": deadline.id}
    if for_user_id is None:
        flash(gettext("You claimed the %(kind)s (deadline %(id)s).", **what))
    else:
        flash(gettext("You gave the %(kind)s (deadline %(id)s) to a colleague.", **what))
    return redirect(url_for("web.dashboard"), code=303)
