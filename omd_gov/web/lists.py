"""The agreements list: filters in the URL, search, sorting, pages, CSV export.

The query string is read with the API's own ``AgreementQuery`` schema (plus
the page's ``overdue``), and the rows come from ``agreements.queries.
list_visible``: the API and this page share every filter, order and the
visibility rule. A bad value is a 400 page that names the field, with the
form still there to fix it; an empty form field means "any".

Overdue ("has an open deadline past due") needs the deadlines table, which
agreements may not import. It is an ``EXISTS`` built by
``deadlines.queries.agreement_overdue`` and handed to the agreements query
as one of ``AgreementFilter.conditions``: the filter runs in SQL, before the
page is cut, so pages stay full and counts right, it costs no extra
statement, and it reads only the deadlines this user may read. (Filtering
web-side after the query would thin or empty the pages; asking deadlines for
the ids first would not scale with the number of late agreements.)

The CSV export walks the same query in keyset batches (``after`` the last
row's sort key), streamed as it is read, so memory stays flat however many
rows match.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from apiflask.fields import Boolean
from flask import Response, current_app, render_template, request, stream_with_context
from marshmallow import EXCLUDE, ValidationError
from sqlalchemy import ColumnElement

from omd_gov.agreements.lifecycle import State
from omd_gov.agreements.models import SHARING_MODELS, Agreement
from omd_gov.agreements.queries import SORTS, AgreementFilter, list_visible
from omd_gov.agreements.schemas import AgreementQuery
from omd_gov.auth.models import User
from omd_gov.cooperations import queries as cooperations
from omd_gov.db import PageRequest, db
from omd_gov.deadlines.calendar import office_today
from omd_gov.deadlines.queries import agreement_overdue
from omd_gov.organizations import queries as organizations
from omd_gov.spreadsheet import as_text
from omd_gov.web.accounts import login_required, web_user
from omd_gov.web.blueprint import bp

CSV_BATCH = 500
CSV_HEADER = ("reference", "title", "state", "sharing model", "cooperation id", "parties",
              "start date", "end date", "signature level", "updated at")  # fmt: skip


class ListQuery(AgreementQuery):
    """The API's list query, plus what only the page offers; the address bar
    may carry anything else (ignored), cursors are the API's."""

    overdue = Boolean()

    class Meta:
        unknown = EXCLUDE


_FIELDS = frozenset(ListQuery().fields) - {"cursor"}  # what the page reads


def _given(args: Mapping[str, str]) -> dict[str, str]:
    """The page's non-empty parameters as given: what its links carry on."""
    return {
        name: value.strip() for name, value in args.items() if name in _FIELDS and value.strip()
    }


def _filter_of(user: User, loaded: dict[str, Any]) -> AgreementFilter:
    conditions: tuple[ColumnElement[bool], ...] = ()
    if loaded.get("overdue") is not None:
        late = agreement_overdue(user, office_today(current_app.config))
        conditions = (late if loaded["overdue"] else ~late,)
    names = ("state", "organization_id", "cooperation_id", "sharing_model", "personal_data", "q")
    fields = {name: loaded[name] for name in names if name in loaded}
    return AgreementFilter(**fields, sort=loaded["sort"], conditions=conditions)


def _render(user: User, given: dict[str, str], status: int = 200, **shown: Any) -> Any:
    """The page: the filter form (its choices, the current values), then the
    rows or what is wrong with the query."""
    choices = {
        "states": [str(state) for state in State],
        "organizations": organizations.list_visible(db.session, user),
        "cooperations": cooperations.list_visible(db.session, user),
        "sharing_models": SHARING_MODELS,
        "sorts": list(SORTS),
    }
    links = {name: value for name, value in given.items() if name != "page"}
    export = {name: value for name, value in links.items() if name != "per_page"}
    shown.setdefault("flt", {})
    page = render_template("agreements.html", links=links, export=export, **choices, **shown)
    return page, status


@bp.get("/agreements")
@login_required
def agreements() -> Any:
    user, given = web_user(), _given(request.args)
    try:
        loaded = ListQuery(exclude=("cursor",)).load(given)
    except ValidationError as error:
        return _render(user, given, 400, problems=error.messages_dict)
    page = PageRequest(loaded["page"], loaded["per_page"])
    found = list_visible(db.session, user, _filter_of(user, loaded), page)
    return _render(user, given, rows=found.items, has_next=found.has_next, page=page, flt=loaded)


@bp.get("/agreements.csv")
@login_required
def agreements_csv() -> Any:
    """Every row the page's filters match, in its order (not only one page)."""
    user, given = web_user(), _given(request.args)
    try:
        loaded = ListQuery(exclude=("cursor",)).load(given)
    except ValidationError as error:
        return _render(user, given, 400, problems=error.messages_dict)
    rows = _csv_rows(user, _filter_of(user, loaded))
    return Response(
        stream_with_context(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="agreements.csv"'},
    )


def _csv_rows(user: User, flt: AgreementFilter) -> Iterator[str]:
    """The BOM and header, then every matching row, one batch per statement."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # RFC 4180: CRLF, quotes doubled, quoted when needed
    writer.writerow(CSV_HEADER)
    yield "\ufeff" + _drain(buffer)
    keyset, after = SORTS[flt.sort], None
    while True:
        batch = list_visible(db.session, user, flt, PageRequest(1, CSV_BATCH), after=after)
        writer.writerows(_csv_row(agreement) for agreement in batch.items)
        yield _drain(buffer)
        if not batch.has_next:
            return
        after = keyset.key(batch.items[-1])


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _csv_row(agreement: Agreement) -> list[str]:
    values = (
        agreement.reference,
        agreement.title,
        agreement.state,
        agreement.sharing_model,
        agreement.cooperation_id,
        "; ".join(party.organization.name for party in agreement.parties),
        agreement.start_date,
        agreement.end_date,
        agreement.signature_level,
        agreement.updated_at,
    )
    return [_cell(value) for value in values]


def _cell(value: object) -> str:
    if value is None:
        return ""
    return as_text(value.isoformat() if isinstance(value, date) else str(value))
