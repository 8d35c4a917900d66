"""What the admin pages share: the admins-only gate, a form read into the
API's own schema (so a browser meets the API's messages), a service's refusal
as messages by field, and the page that shows a new secret once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import make_response, render_template
from marshmallow import Schema
from marshmallow.validate import OneOf
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from omd_gov.auth.security import require_role
from omd_gov.errors import ServiceError
from omd_gov.web.accounts import login_required, web_user
from omd_gov.web.cooperation_forms import Errors, refusal_errors

F = TypeVar("F", bound=Callable[..., Any])


def admin_page(view: F) -> F:
    """Signed in, and an admin: ``require_role`` with no office role admits
    only admins (a 403 page for anyone else, on every page and form)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        require_role(web_user())
        return view(*args, **kwargs)

    return cast(F, login_required(wrapper))


def refused(error: ServiceError) -> Errors:
    """A service's refusal (422 or 409) shown on its form; anything else
    (403, 404) is the error page."""
    if error.status not in (409, 422):
        raise error
    return refusal_errors(error)


def status_of(errors: Errors, error: ServiceError | None = None) -> int:
    return error.status if error is not None else (422 if errors else 200)


def texts(form: MultiDict[str, str], names: Iterable[str]) -> dict[str, Any]:
    """The form's filled fields, stripped; an empty one is left out, as an API
    client would (a required field then says it is missing)."""
    found = {name: form.get(name, "").strip() for name in names}
    return {name: value for name, value in found.items() if value}


def number_list(value: str) -> list[str]:
    """ "2, 0" as ["2", "0"]: each item is checked by the schema's own field."""
    return [item.strip() for item in value.replace(";", ",").split(",") if item.strip()]


def choices_of(schema: Schema, field: str) -> list[str]:
    """The values a schema's field accepts (its ``OneOf``), for a form's select:
    the page offers what the API accepts, written once."""
    validators = schema.fields[field].validators
    return [str(c) for v in validators if isinstance(v, OneOf) for c in v.choices]


def secret_page(title: str, subject: str, secret: str, back: str) -> Response:
    """A token or signing secret, shown only here: never put in the session
    (its cookie is signed, not encrypted) and never kept by a cache."""
    page = render_template(
        "admin_secret.html", title=title, subject=subject, secret=secret, back=back
    )
    response = make_response(page, 201)
    response.headers["Cache-Control"] = "no-store"
    return response
