"""Municipal holidays and office closures: a year's non-business days
(official and municipal, ``deadlines.queries.holidays_of_year``), a new
municipal day (validated with the API's ``HolidayIn``) and its removal,
through the deadlines services (audited)."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from omd_gov.db import db
from omd_gov.deadlines import queries, services
from omd_gov.deadlines.calendar import office_today
from omd_gov.deadlines.schemas import HolidayIn, HolidayQuery
from omd_gov.errors import ServiceError
from omd_gov.web.accounts import web_actor
from omd_gov.web.admin_forms import admin_page, choices_of, refused, status_of, texts
from omd_gov.web.blueprint import bp
from omd_gov.web.cooperation_forms import Errors, load


def _year(raw: str | None) -> tuple[int, Errors]:
    """The year asked for (validated by the API's ``HolidayQuery``), or this one."""
    this_year = office_today(current_app.config).year
    if not raw:
        return this_year, {}
    data, errors = load(HolidayQuery(), {"year": raw})
    return (data["year"], {}) if data is not None else (this_year, errors)


def _page(year: int, form: dict[str, Any], errors: Errors, status: int = 200) -> tuple[str, int]:
    calendar = queries.holidays_of_year(db.session, current_app.config, year)
    page = render_template(
        "admin_holidays.html",
        calendar=calendar,
        year=year,
        kinds=choices_of(HolidayIn(), "kind"),
        form=form,
        errors=errors,
    )
    return page, status


@bp.get("/admin/holidays")
@admin_page
def admin_holidays() -> tuple[str, int]:
    year, errors = _year(request.args.get("year"))
    return _page(year, {"kind": "holiday"}, errors, 400 if errors else 200)


@bp.post("/admin/holidays")
@admin_page
def admin_add_holiday() -> Response | tuple[str, int]:
    data, errors = load(HolidayIn(), texts(request.form, ("date", "name", "kind")))
    failure = None
    if data is not None:
        try:
            day = data["date"]
            services.add_holiday(db.session, web_actor(), day, data["name"], data["kind"])
        except ServiceError as error:
            errors, failure = refused(error), error
        else:
            what = {"date": day.isoformat(), "name": data["name"]}
            flash(gettext("%(date)s (%(name)s) is now a non-business day.", **what))
            return redirect(url_for("web.admin_holidays", year=day.year), code=303)
    year, _ = _year(request.form.get("date", "")[:4])
    return _page(year, request.form.to_dict(), errors, status_of(errors, failure))


@bp.post("/admin/holidays/<int:holiday_id>/delete")
@admin_page
def admin_delete_holiday(holiday_id: int) -> Response:
    services.delete_holiday(db.session, web_actor(), holiday_id)
    flash(gettext("The municipal day was removed; it counts as a business day again."))
    year = request.form.get("year", "")
    return redirect(url_for("web.admin_holidays", year=year or None), code=303)
