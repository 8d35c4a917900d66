"""Where agreements get stuck, read from the audit trail, so it is true by
construction: a state change is an audit event whose ``to_state`` differs from
its ``from_state`` (``create`` enters ``draft`` from nothing), and a *stay*
runs from one such event of an agreement to its next (SQL ``LEAD`` over the
agreement's events in chain order).

One SQL pass over the state changes gives every stay, with the agreement's
sharing model; a second gives the partner organisations. Percentiles are
computed here, in Python, over the stays' durations: the same code on SQLite
and PostgreSQL (``percentile_cont`` exists only on the latter).

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

from sqlalchemy import Float, Select, and_, case, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from omd_gov.agreements.lifecycle import BEFORE_ACTIVE, State
from omd_gov.agreements.models import Agreement, Party
from omd_gov.agreements.queries import visible
from omd_gov.audit.models import AuditEvent
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


def _moves() -> Any:
    """Every state change, with the moment the agreement left that state
    again (NULL while it is still there)."""
    moved = and_(
        AuditEvent.agreement_id.is_not(None),
        AuditEvent.to_state.is_not(None),
        or_(AuditEvent.from_state.is_(None), AuditEvent.from_state != AuditEvent.to_state),
    )
    left = func.lead(AuditEvent.occurred_at).over(
        partition_by=AuditEvent.agreement_id, order_by=AuditEvent.seq
    )
    return (
        select(
            AuditEvent.agreement_id,
            AuditEvent.from_state,
            AuditEvent.to_state,
            AuditEvent.occurred_at.label("entered"),
            left.label("left_at"),
        )
        .where(moved)
        .cte("moves")
    )


def state_times(session: Session, user: User, period: Period) -> StateTimes:
    """Two statements whatever the number of agreements or events. The loop
    is the page's hot spot (a row per stay): plain appends, nothing else."""
    names, partners_of = _partners(session, user)
    moves = _moves()
    now = literal(period.now, UtcDateTime())
    statement = visible(
        select(
            moves.c.agreement_id,
            moves.c.to_state,
            seconds_between(moves.c.entered, func.coalesce(moves.c.left_at, now)),
            moves.c.left_at.is_(None),
            Agreement.sharing_model,
        ).join(Agreement, Agreement.id == moves.c.agreement_id),
        user,
    ).where(
        moves.c.to_state.in_(TRACKED),
        moves.c.entered >= period.start,
        moves.c.entered < period.end,
    )
    # Keyed (group, state): group None is every agreement, a str a sharing
    # model, an int a partner organisation.
    seconds: dict[tuple[Any, str], list[float]] = defaultdict(list)
    still_open: Counter[tuple[Any, str]] = Counter()
    no_partner: tuple[int, ...] = ()
    # Core rows (the session's connection): no ORM loading step per row.
    rows = session.connection().execute(statement)
    for agreement_id, state, stay, is_open, model in rows:
        groups = (None, model, *partners_of.get(agreement_id, no_partner))
        for group in groups:
            seconds[group, state].append(stay)
        if is_open:
            still_open.update((group, state) for group in groups)
    spreads = {key: spread(values, still_open[key]) for key, values in seconds.items()}
    found = {group for group, _state in spreads}
    models = sorted(group for group in found if isinstance(group, str))
    orgs = sorted((g for g in found if isinstance(g, int)), key=lambda o: names[o].casefold())
    return StateTimes(
        overall=_in_order(spreads, None),
        by_model={model: _in_order(spreads, model) for model in models},
        by_partner={org: _in_order(spreads, org) for org in orgs},
        partners=names,
    )


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
    """One statement: a GROUP BY over the state changes."""
    moves = _moves()
    created = func.min(case((moves.c.from_state.is_(None), moves.c.entered)))
    activated = func.min(case((moves.c.to_state == str(State.ACTIVE), moves.c.entered)))
    rounds = func.sum(case((moves.c.to_state == str(State.LEGAL_REVIEW), 1), else_=0))
    per_agreement = (
        select(moves.c.agreement_id, created.label("created"), activated.label("activated"),
               rounds.label("rounds"))
        .group_by(moves.c.agreement_id)
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
