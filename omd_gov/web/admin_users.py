"""Users and roles: the list, a new account (its API token shown once), and
per account: deactivate or reactivate, a new web password, a new API token.
Every change is a ``users.services`` use case, audited there."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from omd_gov.auth.models import Role
from omd_gov.db import db
from omd_gov.errors import ServiceError
from omd_gov.organizations.queries import get_visible as get_organization
from omd_gov.organizations.queries import list_visible as organizations_of
from omd_gov.users import queries, services
from omd_gov.users.schemas import UserIn
from omd_gov.users.services import LANGUAGES
from omd_gov.web.accounts import web_actor, web_user
from omd_gov.web.admin_forms import admin_page, refused, secret_page, status_of, texts
from omd_gov.web.blueprint import bp
from omd_gov.web.cooperation_forms import Errors, load

FIELDS = ("email", "name", "role", "organization_id", "language", "signing_identity", "password")


def _list_page(form: dict[str, Any], errors: Errors, status: int = 200) -> tuple[str, int]:
    page = render_template(
        "admin_users.html",
        users=queries.list_users(db.session),
        organizations=organizations_of(db.session, web_user()),
        roles=[role.value for role in Role],
        user_languages=LANGUAGES,
        form=form,
        errors=errors,
    )
    return page, status


def _kept(form: MultiDict[str, str]) -> dict[str, str]:
    """The form as typed, to fill it in again; never the password."""
    return {key: value for key, value in form.items() if key not in ("password", "csrf_token")}


@bp.get("/admin/users")
@admin_page
def admin_users() -> tuple[str, int]:
    return _list_page({"language": "en"}, {})


@bp.post("/admin/users")
@admin_page
def admin_create_user() -> Response | tuple[str, int]:
    data, errors = load(UserIn(), texts(request.form, FIELDS))
    failure = None
    if data is not None:
        try:
            user, token = services.create_user(db.session, web_actor(), **data)
        except ServiceError as error:
            errors, failure = refused(error), error
        else:
            back = url_for("web.admin_user", user_id=user.id)
            return secret_page(gettext("New user's API token"), user.email, token, back)
    return _list_page(_kept(request.form), errors, status_of(errors, failure))


def _user_page(
    user_id: int, errors: Errors, status: int = 200, section: str = ""
) -> tuple[str, int]:
    """``section``: the form the messages belong to ("password" or "profile")."""
    user = queries.get_user(db.session, user_id)
    organization = None
    if user.organization_id is not None:
        organization = get_organization(db.session, web_user(), user.organization_id)
    page = render_template(
        "admin_user.html",
        user=user,
        organization=organization,
        user_languages=LANGUAGES,
        errors=errors,
        section=section,
    )
    return page, status


@bp.get("/admin/users/<int:user_id>")
@admin_page
def admin_user(user_id: int) -> tuple[str, int]:
    return _user_page(user_id, {})


@bp.post("/admin/users/<int:user_id>/active")
@admin_page
def admin_user_active(user_id: int) -> Response:
    """Deactivating ends the user's web sessions and API token at their next
    request (both check ``active``)."""
    user = queries.get_user(db.session, user_id)
    active = request.form.get("active") == "1"
    services.set_active(db.session, web_actor(), user.email, active)
    if active:
        flash(gettext("%(email)s is now active.", email=user.email))
    else:
        flash(gettext("%(email)s is now deactivated.", email=user.email))
    return redirect(url_for("web.admin_user", user_id=user_id), code=303)


@bp.post("/admin/users/<int:user_id>/password")
@admin_page
def admin_user_password(user_id: int) -> Response | tuple[str, int]:
    user = queries.get_user(db.session, user_id)
    try:
        services.set_password(db.session, web_actor(), user.email, request.form.get("password", ""))
    except ServiceError as error:
        return _user_page(user_id, refused(error), error.status, "password")
    flash(
        gettext(
            "A new web password is set for %(email)s; their other sessions have ended.",
            email=user.email,
        )
    )
    return redirect(url_for("web.admin_user", user_id=user_id), code=303)


@bp.post("/admin/users/<int:user_id>/profile")
@admin_page
def admin_user_profile(user_id: int) -> Response | tuple[str, int]:
    """The language the user reads in and, for a signatory, the identity
    their certificate must carry (empty: a legal officer accepts each upload)."""
    user = queries.get_user(db.session, user_id)
    fields = ("language", "signing_identity")
    data, errors = load(UserIn(only=fields), texts(request.form, fields))
    if data is None:
        return _user_page(user_id, errors, 422, "profile")
    services.set_language(db.session, web_actor(), user, data["language"])
    if data["signing_identity"] != user.signing_identity:
        services.set_signing_identity(
            db.session, web_actor(), user.email, data["signing_identity"] or ""
        )
    flash(gettext("The profile of %(email)s was saved.", email=user.email))
    return redirect(url_for("web.admin_user", user_id=user_id), code=303)


@bp.post("/admin/users/<int:user_id>/token")
@admin_page
def admin_user_token(user_id: int) -> Response:
    user = queries.get_user(db.session, user_id)
    _user, token = services.rotate_token(db.session, web_actor(), user.email)
    back = url_for("web.admin_user", user_id=user_id)
    return secret_page(gettext("New API token"), user.email, token, back)
