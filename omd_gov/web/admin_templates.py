"""Document templates: the newest version of each, and an upload of a new
version (a multipart form validated with the API's ``TemplateUploadIn``,
checked and stored by ``documents.services.upload_template``, audited). A
refused upload lists each problem, one line per unknown variable."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import ngettext
from werkzeug.wrappers import Response

from omd_gov.db import db
from omd_gov.documents import queries, registry, services
from omd_gov.documents.schemas import TemplateUploadIn
from omd_gov.errors import ServiceError
from omd_gov.web.accounts import web_actor
from omd_gov.web.admin_forms import admin_page, choices_of, refused, texts
from omd_gov.web.blueprint import bp
from omd_gov.web.cooperation_forms import Errors, load


def _page(
    form: dict[str, Any], errors: Errors, refusal: ServiceError | None = None, status: int = 200
) -> tuple[str, int]:
    """``refusal``: the service's, shown as its summary and each of its problems."""
    schema = TemplateUploadIn()
    page = render_template(
        "admin_templates.html",
        templates=queries.latest_templates(db.session),
        kinds=choices_of(schema, "kind"),
        template_languages=choices_of(schema, "language"),
        form=form,
        errors=errors,
        refusal=refusal,
    )
    return page, status


def _input() -> dict[str, Any]:
    data = texts(request.form, ("name", "kind", "language"))
    upload = request.files.get("file")
    if upload is not None and upload.filename:  # no file chosen: the field is missing
        data["file"] = upload
    return data


@bp.get("/admin/templates")
@admin_page
def admin_templates() -> tuple[str, int]:
    return _page({}, {})


@bp.post("/admin/templates")
@admin_page
def admin_upload_template() -> Response | tuple[str, int]:
    data, errors = load(TemplateUploadIn(), _input())
    form = request.form.to_dict()
    if data is None:
        return _page(form, errors, None, 422)
    upload = data["file"]
    limit = registry.package_limits().max_bytes
    content = upload.read(limit + 1)  # one byte more is enough to know it is too big
    try:
        row = services.upload_template(
            db.session,
            web_actor(),
            data=content,
            filename=upload.filename or "",
            name=data["name"],
            kind=data["kind"],
            language=data["language"],
        )
    except ServiceError as error:
        return _page(form, refused(error), error, error.status)
    registered = ngettext(
        "%(name)s version %(version)s is registered (%(num)d variable).",
        "%(name)s version %(version)s is registered (%(num)d variables).",
        len(row.variables),
        name=row.name,
        version=row.version,
    )
    flash(registered)
    return redirect(url_for("web.admin_templates"), code=303)
