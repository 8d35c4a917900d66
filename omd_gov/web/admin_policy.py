"""The deadline policy: every kind's effective policy, each edited in its
own form, validated with the API's ``PolicyPatch`` and stored by
``deadlines.services.update_policy`` (audited; it applies to deadlines
opened from now on)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from omd_gov.db import db
from omd_gov.deadlines import queries, services
from omd_gov.deadlines.models import DEADLINE_KINDS
from omd_gov.deadlines.schemas import PolicyPatch
from omd_gov.errors import NotFound, ServiceError
from omd_gov.web.accounts import web_actor
from omd_gov.web.admin_forms import admin_page, number_list, refused, status_of
from omd_gov.web.blueprint import bp
from omd_gov.web.cooperation_forms import Errors, load
from omd_gov.web.terms import term

NUMBERS = (
    "due_business_days",
    "remind_every_business_days",
    "escalate_after_business_days",
    "review_every_months",
)
LISTS = ("remind_before_business_days", "notice_days_before")


def _input(form: MultiDict[str, str]) -> dict[str, Any]:
    """The whole form, as a full PATCH: an empty number is "none" (null)."""
    data: dict[str, Any] = {name: form.get(name, "").strip() or None for name in NUMBERS}
    data |= {name: number_list(form.get(name, "")) for name in LISTS}
    return data | {"notify_on_start": "notify_on_start" in form}


def _by_field(errors: Errors) -> Errors:
    """A list item's message under its list's field ("item 2: …")."""
    out: Errors = {}
    for path, messages in errors.items():
        field, _, item = path.partition(".")
        if item.isdigit():
            number = int(item) + 1
            messages = [
                gettext("item %(number)d: %(message)s", number=number, message=message)
                for message in messages
            ]
        out.setdefault(field, []).extend(messages)
    return out


def _page(
    edited: str | None = None, form: dict[str, Any] | None = None, errors: Errors | None = None
) -> str:
    return render_template(
        "admin_policy.html",
        policies=queries.list_policies(db.session),
        edited=edited,
        form=form or {},
        errors=errors or {},
    )


@bp.get("/admin/policy")
@admin_page
def admin_policy() -> str:
    return _page()


@bp.post("/admin/policy/<kind>")
@admin_page
def admin_update_policy(kind: str) -> Response | tuple[str, int]:
    if kind not in DEADLINE_KINDS:
        raise NotFound(f"no deadline kind {kind!r}")
    data, errors = load(PolicyPatch(), _input(request.form))
    failure = None
    if data is not None:
        try:
            services.update_policy(db.session, web_actor(), kind, data)
        except ServiceError as error:
            errors, failure = refused(error), error
        else:
            saved = gettext(
                "The %(kind)s policy was saved; it applies to new deadlines.",
                kind=term(kind, "deadline"),
            )
            flash(saved)
            return redirect(url_for("web.admin_policy", _anchor=f"policy-{kind}"), code=303)
    page = _page(kind, request.form.to_dict(), _by_field(errors))
    return page, status_of(errors, failure)
