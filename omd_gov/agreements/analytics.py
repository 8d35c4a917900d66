"""Where agreements get stuck, read from the agreements' stays
(``agreement_stays``: each state change of the audit trail, kept by the
transition that made it, until the agreement's next one), so only the stays
of the period are read, through an index, never the whole trail.

Percentiles (median, p90: linear interpolation between the closest ranks)
are computed by PostgreSQL (``percentile_cont``), a row per group; on SQLite
here, in Python, from a row per stay: the same figures.

Rules the page states: a stay counts in the period in which it *began*; a
stay still under way counts up to ``now`` (so agreements stuck today are in
the figures, not left out) and is also counted as open. Per-agreement figures
(review rounds, draft to activation) count the agreements first drafted,
respectively first activated, in the period.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Float, Select, case, func, literal, select, tuple_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from omd_gov.agreements.lifecycle import BEFORE_ACTIVE, State
from omd_gov.agreements.models import Agreement, AgreementStay, Party
from omd_gov.agreements.queries import visible
from omd_gov.auth.models import User
from omd_gov.db import UtcDateTime
from omd_gov.organizations.models import Organization

# The states an agreement waits in before it is in force: where it gets stuck.
TRACKED = tuple(str(state) for state in BEFORE_ACTIVE)
DAY = 86400.0
# A partner is any party organisation other than a municipality (the office's
# own side, a party of nearly every agreement).
OFFICE_KIND = "municipality"


class seconds_between(FunctionElement[float]):  # noqa: N801 - reads as SQL
    """SQL: seconds from the first moment to the second, on either database."""

    type = Float()
    inherit_cache = True


@compiles(seconds_between, "postgresql")
def _pg_seconds(element: seconds_between, compiler: Any, **kw: Any) -> str:
    start, end = list(element.clauses)
    # date_part answers double precision; EXTRACT a numeric (a Decimal per row).
    return f"date_part('epoch', {compiler.process(end, **kw)} - {compiler.process(start, **kw)})"


@compiles(seconds_between)
def _sqlite_seconds(element: seconds_between, compiler: Any, **kw: Any) -> str:
    start, end = list(element.clauses)
    return (
        f"((julianday({compiler.process(end, **kw)}) - "
        f"julianday({compiler.process(start, **kw)})) * 86400.0)"
    )


@dataclass(frozen=True)
class Period:
    start: datetime  # inclusive, UTC
    end: datetime  # exclusive, UTC
    now: datetime  # where stays still under way end


@dataclass(frozen=True)
class Spread:
    """How long, in days: over ``count`` stays (or agreements), ``still_open``
    of them not over yet."""

    count: int
    still_open: int
    median_days: float | None
    p90_days: float | None


def spread(seconds: list[float], still_open: int = 0) -> Spread:
    """Median and p90 with linear interpolation between the closest ranks
    (what ``percentile_cont`` computes), in days to the hundredth."""
    if not seconds:
        return Spread(0, 0, None, None)
    ordered = sorted(seconds)
    position = 0.9 * (len(ordered) - 1)
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    p90 = ordered[below] + (ordered[above] - ordered[below]) * (position - below)
    return Spread(len(ordered), still_open, _days(statistics.median(ordered)), _days(p90))


def _days(seconds: float) -> float:
    return round(seconds / DAY, 2)


@dataclass
class StateTimes:
    """Days spent in each tracked state: overall, per sharing model and per
    partner organisation (by id; ``partners`` names them)."""

    overall: dict[str, Spread]
    by_model: dict[str, dict[str, Spread]]
    by_partner: dict[int, dict[str, Spread]]
    partners: dict[int, str] = field(default_factory=dict)


def _stays(user: User, period: Period, *columns: Any) -> Select[Any]:
    """The stays in a tracked state that began in the period (the entered_at
    index), with their agreement; ``columns`` are what to read of them."""
    statement = (
        select(*columns)
        .select_from(AgreementStay)
        .join(Agreement, Agreement.id == AgreementStay.agreement_id)
    )
    return visible(statement, user).where(
        AgreementStay.state.in_(TRACKED),
        AgreementStay.entered_at >= period.start,
        AgreementStay.entered_at < period.end,
    )


def _lasted(period: Period) -> Any:
    """A stay's seconds; one still under way lasts up to ``now``."""
    now = literal(period.now, UtcDateTime())
    return seconds_between(AgreementStay.entered_at, func.coalesce(AgreementStay.left_at, now))


def state_times(session: Session, user: User, period: Period) -> StateTimes:
    """Two statements whatever the number of agreements or stays. PostgreSQL
    computes the percentiles (``percentile_cont``) and answers a row per group;
    elsewhere they are computed here, from a row per stay."""
    if session.get_bind().dialect.name == "postgresql":
        spreads, names = _sql_spreads(session, user, period)
    else:
        spreads, names = _python_spreads(session, user, period)
    found = {group for group, _state in spreads}
    models = sorted(group for group in found if isinstance(group, str))
    orgs = sorted((g for g in found if isinstance(g, int)), key=lambda o: names[o].casefold())
    return StateTimes(
        overall=_in_order(spreads, None),
        by_model={model: _in_order(spreads, model) for model in models},
        by_partner={org: _in_order(spreads, org) for org in orgs},
        partners=names,
    )


# Keyed (group, state): group None is every agreement, a str a sharing model,
# an int a partner organisation.
Spreads = dict[tuple[Any, str], Spread]
Names = dict[int, str]


def _python_spreads(session: Session, user: User, period: Period) -> tuple[Spreads, Names]:
    """A row per stay, each put into its groups (all, model, partners)."""
    names, partners_of = _partners(session, user)
    statement = _stays(
        user, period, AgreementStay.agreement_id, AgreementStay.state, _lasted(period),
        AgreementStay.left_at.is_(None), Agreement.sharing_model,
    )  # fmt: skip
    seconds: dict[tuple[Any, str], list[float]] = defaultdict(list)
    still_open: Counter[tuple[Any, str]] = Counter()
    no_partner: tuple[int, ...] = ()
    for agreement_id, state, stay, is_open, model in session.connection().execute(statement):
        groups = (None, model, *partners_of.get(agreement_id, no_partner))
        for group in groups:
            seconds[group, state].append(stay)
        if is_open:
            still_open.update((group, state) for group in groups)
    return {key: spread(values, still_open[key]) for key, values in seconds.items()}, names


def _aggregates(period: Period) -> tuple[Any, ...]:
    lasted = _lasted(period)
    return (
        func.count(),
        func.count(AgreementStay.id).filter(AgreementStay.left_at.is_(None)),
        func.percentile_cont(0.5).within_group(lasted),
        func.percentile_cont(0.9).within_group(lasted),
    )


def _sql_spreads(session: Session, user: User, period: Period) -> tuple[Spreads, Names]:
    """A row per group: all and each sharing model (GROUPING SETS) in one
    statement, the partners (a row per stay and partner) in another."""
    model = Agreement.sharing_model
    overall = _stays(user, period, AgreementStay.state, model, func.grouping(model),
                     *_aggregates(period)).group_by(
        func.grouping_sets(tuple_(AgreementStay.state), tuple_(AgreementStay.state, model))
    )  # fmt: skip
    partners = (
        _stays(user, period, AgreementStay.state, Organization.id, Organization.name,
               *_aggregates(period))
        .join(Party, Party.agreement_id == Agreement.id)
        .join(Organization, Organization.id == Party.organization_id)
        .where(Organization.kind != OFFICE_KIND)
        .group_by(AgreementStay.state, Organization.id, Organization.name)
    )  # fmt: skip
    spreads: Spreads = {}
    run = session.connection().execute
    for state, group, all_models, count, still_open, median, p90 in run(overall):
        key = (None if all_models else group, state)
        spreads[key] = Spread(count, still_open, _days(median), _days(p90))
    names: dict[int, str] = {}
    for state, org, name, count, still_open, median, p90 in run(partners):
        names[org] = name
        spreads[org, state] = Spread(count, still_open, _days(median), _days(p90))
    return spreads, names


def _in_order(spreads: dict[tuple[Any, str], Spread], group: Any) -> dict[str, Spread]:
    return {state: spreads[group, state] for state in TRACKED if (group, state) in spreads}


def _partners(session: Session, user: User) -> tuple[dict[int, str], dict[int, tuple[int, ...]]]:
    """Partner organisations by id, and each agreement's partners."""
    parties = (
        select(Party.agreement_id, Organization.id, Organization.name)
        .join(Organization, Organization.id == Party.organization_id)
        .join(Agreement, Agreement.id == Party.agreement_id)
        .where(Organization.kind != OFFICE_KIND)
    )
    statement = visible(cast("Select[Any]", parties), user)  # visible() types one column
    names: dict[int, str] = {}
    partners_of: dict[int, tuple[int, ...]] = {}
    for agreement_id, organization_id, name in session.connection().execute(statement):
        names[organization_id] = name
        partners_of[agreement_id] = (*partners_of.get(agreement_id, ()), organization_id)
    return names, partners_of


@dataclass(frozen=True)
class Milestones:
    """Per agreement: how many times it entered legal review (agreements first
    drafted in the period), and the days from its first draft to its first
    activation (agreements first activated in the period)."""

    review_rounds: dict[int, int]  # rounds -> agreements
    drafted: int
    to_active: Spread

    @property
    def median_rounds(self) -> float | None:
        rounds = [n for n, agreements in self.review_rounds.items() for _ in range(agreements)]
        return statistics.median(rounds) if rounds else None


def milestones(session: Session, user: User, period: Period) -> Milestones:
    """One statement: a GROUP BY over the stays of the agreements that entered
    draft or active in the period (the others cannot count). An agreement's
    first stay is its draft from ``create``."""
    began = select(AgreementStay.agreement_id).where(
        AgreementStay.state.in_((str(State.DRAFT), str(State.ACTIVE))),
        AgreementStay.entered_at >= period.start,
        AgreementStay.entered_at < period.end,
    )
    entered = AgreementStay.entered_at
    created = func.min(entered)  # the draft stay from ``create`` comes first
    activated = func.min(case((AgreementStay.state == str(State.ACTIVE), entered)))
    rounds = func.sum(case((AgreementStay.state == str(State.LEGAL_REVIEW), 1), else_=0))
    per_agreement = (
        select(AgreementStay.agreement_id, created.label("created"),
               activated.label("activated"), rounds.label("rounds"))
        .where(AgreementStay.agreement_id.in_(began))
        .group_by(AgreementStay.agreement_id)
        .subquery()
    )  # fmt: skip
    statement = visible(
        select(
            per_agreement.c.created >= period.start,
            per_agreement.c.created < period.end,
            per_agreement.c.activated >= period.start,
            per_agreement.c.activated < period.end,
            per_agreement.c.rounds,
            seconds_between(per_agreement.c.created, per_agreement.c.activated),
        ).join(Agreement, Agreement.id == per_agreement.c.agreement_id),
        user,
    )
    return _milestones(session.connection().execute(statement))


def _milestones(rows: Iterable[Any]) -> Milestones:
    review_rounds: dict[int, int] = defaultdict(int)
    to_active: list[float] = []
    drafted = 0
    for after_start, before_end, active_after, active_before, rounds, seconds in rows:
        if after_start and before_end:
            drafted += 1
            review_rounds[int(rounds or 0)] += 1
        if active_after and active_before and seconds is not None:
            to_active.append(seconds)
    return Milestones(dict(sorted(review_rounds.items())), drafted, spread(to_active))
