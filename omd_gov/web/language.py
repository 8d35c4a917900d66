"""The pages' language (English, Spanish or Portuguese) through Flask-Babel:
the signed-in user's preference (``users.language``) first, otherwise the
browser's ``Accept-Language``, otherwise English. The catalogues live in
``omd_gov/web/translations`` (``make translations`` compiles them); a user
changes their preference with the form in every page's header."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, flash, redirect, request
from flask_babel import Babel, get_locale, get_translations, gettext, refresh
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from werkzeug.wrappers import Response

from omd_gov.db import db
from omd_gov.errors import ServiceError
from omd_gov.users import services as user_services
from omd_gov.web.accounts import login_required, safe_next, signed_in_user, web_actor, web_user
from omd_gov.web.blueprint import bp
from omd_gov.web.problems import problem_text, refusal_text
from omd_gov.web.terms import term

LANGUAGES = user_services.LANGUAGES
DEFAULT = "en"
TRANSLATIONS = Path(__file__).parent / "translations"
# Each language named in itself, so a reader finds theirs whatever the page's language.
NATIVE_NAMES = {"en": "English", "es": "Español", "pt": "Português"}


def select_language() -> str:
    user = signed_in_user()
    if user is not None and user.language in LANGUAGES:
        return user.language
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT


def install(app: Flask) -> None:
    Babel(
        app,
        locale_selector=select_language,
        default_locale=DEFAULT,
        default_translation_directories=str(TRANSLATIONS),
    )
    app.context_processor(_language_context)
    app.jinja_env.filters["term"] = term
    app.jinja_env.globals.update(problem_text=problem_text, refusal_text=refusal_text)


def _language_context() -> dict[str, Any]:
    return {
        "page_language": str(get_locale() or DEFAULT),
        "languages": NATIVE_NAMES,
        **_bound_gettext(),
    }


def _bound_gettext() -> dict[str, Any]:
    """The templates' ``gettext``/``_`` and ``ngettext``, bound to this
    render's catalogue: Flask-Babel's look the catalogue up again on every
    call (a few context lookups each, ~100 calls a page). Same contract as
    Jinja's "newstyle" gettext: the result is markup-safe when autoescaping,
    then formatted with the keyword arguments."""
    catalogue = get_translations()

    @pass_context
    def page_gettext(context: Context, message: str, /, **variables: Any) -> str:
        found = catalogue.ugettext(message)
        return (Markup(found) if context.eval_ctx.autoescape else found) % variables

    @pass_context
    def page_ngettext(
        context: Context, singular: str, plural: str, num: int, /, **variables: Any
    ) -> str:
        variables.setdefault("num", num)
        found = catalogue.ungettext(singular, plural, num)
        return (Markup(found) if context.eval_ctx.autoescape else found) % variables

    return {"gettext": page_gettext, "ngettext": page_ngettext}


@bp.post("/me/language")
@login_required
def change_language() -> Response:
    target = safe_next(request.form.get("next"))
    try:
        user_services.set_language(
            db.session, web_actor(), web_user(), request.form.get("language", "")
        )
    except ServiceError as error:
        flash(gettext("The language was not changed: %(reason)s", reason=error.detail))
        return redirect(target, code=303)
    refresh()  # the confirmation speaks the new language already
    flash(gettext("The pages now speak %(language)s.", language=NATIVE_NAMES[web_user().language]))
    return redirect(target, code=303)
