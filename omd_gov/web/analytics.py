"""Where agreements get stuck: time per state, review rounds, draft-to-activation
time and deadlines met, from the agreements' stays (precomputed from the audit
trail as transitions happen: omd_gov/agreements/stays) and the deadlines.

Office staff only (a partner gets a 403 page): the page pools every
agreement's history, and the audit trail is the office's record
(``agreements.queries.events_of`` is office-only too). The queries still
apply each visibility rule, so they would be right for anyone.

The period is ``?from=YYYY-MM-DD&to=YYYY-MM-DD`` in office days (both
included; by default the year up to today). The page and
``/analytics.csv`` read the same figures: four statements whatever the
number of agreements or events.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import Response, current_app, render_template, request
from flask_babel import gettext, ngettext
from marshmallow import EXCLUDE, Schema, ValidationError, validates_schema
from marshmallow.fields import Date

from omd_gov.agreements import analytics
from omd_gov.agreements.analytics import Milestones, Period, Spread, StateTimes
from omd_gov.auth.models import OFFICE_ROLES, User
from omd_gov.auth.security import require_role
from omd_gov.db import db, utcnow
from omd_gov.deadlines.analytics import OUTCOMES, DeadlineShare, deadlines_met
from omd_gov.deadlines.calendar import office_clock, office_today
from omd_gov.web.accounts import login_required, web_user
from omd_gov.web.blueprint import bp
from omd_gov.web.lists import _cell
from omd_gov.web.terms import term

DEFAULT_DAYS = 365
MAX_DAYS = 3660  # ten years: the due days become one small table in the deadlines query


def _after_end() -> str:
    return gettext("must not be after the end of the period")


class PeriodQuery(Schema):
    first = Date(data_key="from")
    last = Date(data_key="to")

    class Meta:
        unknown = EXCLUDE

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_kw: Any) -> None:
        first, last = data.get("first"), data.get("last")
        if first and last and first > last:
            raise ValidationError(_after_end(), "from")
        if first and last and (last - first).days >= MAX_DAYS:
            raise ValidationError(
                gettext("the period may span at most %(days)d days", days=MAX_DAYS), "from"
            )


@dataclass(frozen=True)
class Figures:
    first: date
    last: date
    states: StateTimes
    milestones: Milestones
    deadlines: DeadlineShare


def _period(args: dict[str, str]) -> tuple[date, date]:
    """The period asked for; a missing end is today, a missing start a year before the end."""
    loaded = PeriodQuery().load({key: value for key, value in args.items() if value.strip()})
    last = loaded.get("last") or office_today(current_app.config)
    first = loaded.get("first") or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:  # only the start was given, after today
        raise ValidationError({"from": [_after_end()]})
    return first, last


def figures(user: User, first: date, last: date) -> Figures:
    clock = office_clock(current_app.config)
    now = utcnow()
    period = Period(clock.at(first, hour=0), clock.at(last + timedelta(days=1), hour=0), now)
    today = clock.local_date(now)
    return Figures(
        first,
        last,
        analytics.state_times(db.session, user, period),
        analytics.milestones(db.session, user, period),
        deadlines_met(db.session, user, first, last, today, clock),
    )


def _office_user() -> User:
    user = web_user()
    require_role(user, *OFFICE_ROLES)  # a ServiceError: the 403 page
    return user


@bp.get("/analytics")
@login_required
def analytics_page() -> Any:
    user = _office_user()
    args = {key: request.args.get(key, "") for key in ("from", "to")}
    try:
        first, last = _period(args)
    except ValidationError as error:
        return render_template("analytics.html", args=args, problems=error.messages_dict), 400
    shown = figures(user, first, last)
    return render_template("analytics.html", args=args, f=shown, **_view(shown))


def _view(shown: Figures) -> dict[str, Any]:
    """The rows each plot and its table show, in lifecycle order."""
    states = shown.states
    return {
        "tracked": analytics.TRACKED,
        "overall": _rows(states.overall),
        "by_model": [(model, _rows(spreads)) for model, spreads in states.by_model.items()],
        "rounds": [(_rounds(n), count) for n, count in shown.milestones.review_rounds.items()],
        "export": {"from": shown.first.isoformat(), "to": shown.last.isoformat()},
    }


def _rounds(n: int) -> str:
    if n == 0:  # in words: Portuguese plurals count 0 with 1 ("0 ciclo")
        return gettext("no review round")
    return ngettext("%(num)d round", "%(num)d rounds", n)


def _rows(spreads: dict[str, Spread]) -> list[tuple[str, Spread]]:
    """(the state in the page's language, its spread), in lifecycle order."""
    return [(term(state, "state"), spreads[state]) for state in analytics.TRACKED
            if state in spreads]  # fmt: skip


@bp.get("/analytics.csv")
@login_required
def analytics_csv() -> Any:
    """The page's numbers in one long table (UTF-8 with a BOM, RFC 4180)."""
    user = _office_user()
    args = {key: request.args.get(key, "") for key in ("from", "to")}
    try:
        first, last = _period(args)
    except ValidationError as error:
        return render_template("analytics.html", args=args, problems=error.messages_dict), 400
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # CRLF line ends, quotes doubled
    writer.writerows(
        [_cell(value) for value in row] for row in csv_rows(figures(user, first, last))
    )
    name = f"analytics-{first.isoformat()}-{last.isoformat()}.csv"
    return Response(
        "\ufeff" + buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# The export stays in English whatever the page's language: its column and
# measure names are a stable interface for spreadsheets and scripts.
CSV_HEADER = ("section", "group", "measure", "count", "still open", "median days", "p90 days",
              "value", "period from", "period to")  # fmt: skip


def csv_rows(shown: Figures) -> Iterator[tuple[Any, ...]]:
    """One row per figure: spreads fill count..p90 days; the rest count and value."""
    period = (shown.first, shown.last)
    yield CSV_HEADER
    for section, group, measure, item in _spreads(shown):
        yield (section, group, measure, item.count, item.still_open, item.median_days,
               item.p90_days, None, *period)  # fmt: skip
    m, d = shown.milestones, shown.deadlines
    drafted = ("review rounds", "agreements first drafted")
    for rounds, agreements in m.review_rounds.items():
        yield (*drafted, f"{rounds} rounds", agreements, None, None, None, None, *period)
    yield (*drafted, "median rounds", m.drafted, None, None, None, m.median_rounds, *period)
    due = ("deadlines", "due in the period")
    for outcome in OUTCOMES:
        yield (*due, outcome, getattr(d, outcome), None, None, None, None, *period)
    yield (*due, "share met", d.judged, None, None, None, d.share_met, *period)


def _spreads(shown: Figures) -> Iterator[tuple[str, str, str, Spread]]:
    s = shown.states
    for state, item in s.overall.items():
        yield "days in state", "all", state, item
    for model, states in s.by_model.items():
        for state, item in states.items():
            yield "days in state by sharing model", model, state, item
    for org, states in s.by_partner.items():
        for state, item in states.items():
            yield "days in state by partner", s.partners[org], state, item
    yield "draft to active", "agreements first activated", "days", shown.milestones.to_active
