"""The dashboard: what waits on the signed-in user, and recent agreements."""

from __future__ import annotations

from flask import current_app, render_template

from omd_gov.agreements.queries import AgreementFilter, list_visible
from omd_gov.db import PageRequest, db
from omd_gov.deadlines.calendar import office_today
from omd_gov.deadlines.queries import DeadlineFilter, list_deadlines
from omd_gov.web.accounts import login_required, web_user
from omd_gov.web.blueprint import bp


@bp.get("/")
@login_required
def dashboard() -> str:
    user = web_user()
    today = office_today(current_app.config)
    mine = list_deadlines(
        db.session, user, DeadlineFilter(today=today, assignee=user), PageRequest(1, 50)
    )
    recent = list_visible(db.session, user, AgreementFilter(), PageRequest(1, 10))
    return render_template("dashboard.html", deadlines=mine.items, recent=recent.items)
