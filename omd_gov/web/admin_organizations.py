"""Organisations: the list and a new one, validated with the API's
``OrganizationIn`` and created by ``organizations.services.create`` (audited)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from omd_gov.db import db
from omd_gov.errors import ServiceError
from omd_gov.organizations import queries, services
from omd_gov.organizations.models import ORGANIZATION_KINDS
from omd_gov.organizations.schemas import OrganizationIn
from omd_gov.web.accounts import web_actor, web_user
from omd_gov.web.admin_forms import admin_page, refused, status_of, texts
from omd_gov.web.blueprint import bp
from omd_gov.web.cooperation_forms import Errors, load

CONTACT_PARTS = ("name", "email", "phone")


def _page(form: dict[str, Any], errors: Errors, status: int = 200) -> tuple[str, int]:
    page = render_template(
        "admin_organizations.html",
        organizations=queries.list_visible(db.session, web_user()),
        kinds=ORGANIZATION_KINDS,
        form=form,
        errors=errors,
    )
    return page, status


def _contacts(text: str) -> list[dict[str, str]]:
    """One contact a line: "name, e-mail, phone" (the later parts optional)."""
    contacts = []
    for line in text.splitlines():
        parts = [part.strip() for part in line.split(",")]
        if any(parts):
            contacts.append({k: v for k, v in zip(CONTACT_PARTS, parts, strict=False) if v})
    return contacts


def _input(form: MultiDict[str, str]) -> dict[str, Any]:
    data = texts(form, ("name", "kind", "country", "tax_id"))
    return data | {"contacts": _contacts(form.get("contacts", ""))}


@bp.get("/admin/organizations")
@admin_page
def admin_organizations() -> tuple[str, int]:
    return _page({}, {})


@bp.post("/admin/organizations")
@admin_page
def admin_create_organization() -> Response | tuple[str, int]:
    data, errors = load(OrganizationIn(), _input(request.form))
    failure = None
    if data is not None:
        try:
            organization = services.create(db.session, web_actor(), data)
        except ServiceError as error:
            errors, failure = refused(error), error
        else:
            flash(gettext("The organisation %(name)s was created.", name=organization.name))
            return redirect(url_for("web.admin_organizations"), code=303)
    return _page(request.form.to_dict(), errors, status_of(errors, failure))
