"""The pages' language: the signed-in user's preference, otherwise the
browser's Accept-Language, otherwise English; ``<html lang>`` follows it; a
refused transition lists its unmet guards in the page's language; a user
changes their language from the header (persisted and audited); and every
message of the catalogue template is translated in es and pt."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from sqlalchemy import select

from omd_gov.audit.models import AuditEvent
from omd_gov.auth.models import User
from omd_gov.db import db
from tests.factories import Factory
from tests.integration.conftest import World
from tests.web_support import PASSWORD, Browser, browser, csrf_of, sign_in

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "omd_gov" / "web"
TRANSLATIONS = WEB / "translations"
LANGUAGES = ("es", "pt")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def _catalog(language: str) -> Catalog:
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=language)


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogues() -> None:
    """The .mo files are build output (``make translations``); compile them
    here when missing or older than their .po, so the suite runs without make."""
    for language in LANGUAGES:
        po = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            buffer = BytesIO()
            write_mo(buffer, _catalog(language))
            mo.write_bytes(buffer.getvalue())


def _person(app: Any, factory: Factory, role: str, language: str, org: int | None = None) -> Any:
    account = factory.user(role, org, password=PASSWORD, language=language)
    client = browser(app)
    assert sign_in(client, factory.get_user(account).email).status_code == 303
    return account, client


def _html(page: Any) -> str:
    return str(page.get_data(as_text=True))


def _lang(page: Any) -> str:
    found = re.search(r'<html lang="([^"]+)"', _html(page))
    assert found, "the page has no <html lang>"
    return found.group(1)


@pytest.mark.parametrize(
    ("language", "waiting", "dashboard", "state"),
    [
        ("es", "Pendiente de mí", "Panel", "Acuerdos por estado"),
        ("pt", "À minha espera", "Painel", "Acordos por estado"),
        ("en", "Waiting on me", "Dashboard", "Agreements by state"),
    ],
)
def test_the_dashboard_speaks_the_users_language(
    app: Any,
    factory: Factory,
    world: World,
    language: str,
    waiting: str,
    dashboard: str,
    state: str,
) -> None:
    world.create_agreement()
    _account, client = _person(app, factory, "legal_officer", language)
    # The preference wins over the browser's.
    page = client.get("/", headers={"Accept-Language": "de, en;q=0.5"})
    assert page.status_code == 200 and _lang(page) == language
    html = _html(page)
    assert waiting in html and f"<h1>{dashboard}</h1>" in html and state in html
    if language != "en":
        assert "Waiting on me" not in html and "Sign out" not in html


def test_the_workspace_speaks_spanish_and_portuguese(
    app: Any, factory: Factory, world: World
) -> None:
    agreement = world.create_agreement()
    expected = {
        "es": ("Acuerdos", "borrador", "Cerrar sesión"),
        "pt": ("Acordos", "rascunho", "Terminar sessão"),
    }
    for language, words in expected.items():
        _account, client = _person(app, factory, "data_officer", language)
        page = client.get(f"/agreements/{agreement['id']}")
        assert page.status_code == 200 and _lang(page) == language
        html = _html(page)
        assert all(word in html for word in words), (language, words)
        assert ">Sign out<" not in html and ">Agreements<" not in html


def test_the_lifecycle_help_speaks_portuguese(app: Any, factory: Factory) -> None:
    _account, client = _person(app, factory, "legal_officer", "pt")
    html = _html(client.get("/help/lifecycle"))
    assert "<h1>Como avançam os acordos</h1>" in html
    assert "Um responsável de dados está a redigir o acordo" in html
    assert "É necessário um motivo para a resolução" in html  # the guard, as its refusal says it
    assert ">em assinatura<" in html and "A data officer" not in html


@pytest.mark.parametrize(
    ("accept", "language", "title"),
    [
        ("es-ES,es;q=0.9,en;q=0.8", "es", "Iniciar sesión"),
        ("pt-PT,pt;q=0.9", "pt", "Iniciar sessão"),
        ("fr-FR, de;q=0.8, pt;q=0.3", "pt", "Iniciar sessão"),
        ("de-DE, fr;q=0.8", "en", "Sign in"),
        (None, "en", "Sign in"),
    ],
)
def test_a_signed_out_visitor_gets_the_browsers_language(
    app: Any, accept: str | None, language: str, title: str
) -> None:
    headers = {"Accept-Language": accept} if accept else {}
    page = browser(app).get("/login", headers=headers)
    assert page.status_code == 200 and _lang(page) == language
    assert f"<h1>{title}</h1>" in _html(page)


def test_a_failed_sign_in_says_so_in_the_browsers_language(app: Any) -> None:
    client = browser(app)
    form = client.get("/login", headers={"Accept-Language": "es"})
    data = {"email": "nobody@test.example", "password": "wrong", "csrf_token": csrf_of(form)}
    page = client.post("/login", data=data, headers={"Accept-Language": "es"})
    assert page.status_code == 401
    assert "El correo electrónico o la contraseña no son correctos." in _html(page)


def _refused_submit(app: Any, factory: Factory, world: World, language: str) -> str:
    agreement = world.create_agreement(gdpr={}, start_date="2020-01-01", end_date="2021-01-01")
    _account, client = _person(app, factory, "data_officer", language)
    url = f"/agreements/{agreement['id']}"
    token = csrf_of(client.get(url))
    refused = client.post(f"{url}/transitions", data={"csrf_token": token, "trigger": "submit"})
    assert refused.status_code == 422 and _lang(refused) == language
    alert = re.search(r'<div class="error" role="alert">(.*?)</div>', _html(refused), re.S)
    assert alert, "the refusal is not shown"
    return alert.group(1)


def test_a_refused_transition_lists_its_guards_in_spanish(
    app: Any, factory: Factory, world: World
) -> None:
    alert = _refused_submit(app, factory, world, "es")
    items = re.findall(r"<li>(.*?)</li>", alert, re.S)
    assert len(items) == 6  # five GDPR checks and the passed end date
    assert "para los datos personales se requiere una base jurídica (art. 6)" in items
    assert "la fecha de finalización ya ha pasado; cámbiela primero" in items
    assert "se requieren las categorías de interesados" in items
    assert "required" not in alert and "lawful basis" not in alert


def test_a_refused_transition_lists_its_guards_in_english_unchanged(
    app: Any, factory: Factory, world: World
) -> None:
    alert = _refused_submit(app, factory, world, "en")
    assert "a lawful basis (Art. 6) is required for personal data" in alert
    assert "the end date has already passed; change it first" in alert


def _change_language(client: Browser, language: str, next_url: str = "/") -> Any:
    token = csrf_of(client.get(next_url))
    form = {"csrf_token": token, "language": language, "next": next_url}
    return client.post("/me/language", data=form)


def _language_events(user_id: int) -> list[AuditEvent]:
    statement = select(AuditEvent).where(
        AuditEvent.entity_type == "user",
        AuditEvent.entity_id == user_id,
        AuditEvent.action == "set_language",
    )
    return list(db.session.scalars(statement))


def test_changing_the_language_persists_and_is_audited(app: Any, factory: Factory) -> None:
    account, client = _person(app, factory, "auditor", "en")
    changed = _change_language(client, "pt", "/notifications")
    assert changed.status_code == 303 and changed.headers["Location"] == "/notifications"
    page = client.get("/notifications")
    assert _lang(page) == "pt" and "As páginas são agora apresentadas em Português." in _html(page)
    db.session.rollback()
    user = db.session.get(User, account.user_id)
    assert user is not None and user.language == "pt"
    (event,) = _language_events(account.user_id)
    assert event.changes == {"language": {"from": "en", "to": "pt"}}
    assert event.actor_id == account.user_id and event.source == "ui"
    # A fresh sign-in (another browser, an English one) keeps the preference.
    other = browser(app)
    sign_in(other, user.email)
    assert _lang(other.get("/", headers={"Accept-Language": "en"})) == "pt"


def test_an_unknown_language_or_a_forged_form_changes_nothing(app: Any, factory: Factory) -> None:
    account, client = _person(app, factory, "auditor", "es")
    refused = _change_language(client, "fr")
    assert refused.status_code == 303
    page = client.get("/")
    assert _lang(page) == "es" and "No se ha cambiado el idioma" in _html(page)
    forged = client.post("/me/language", data={"language": "pt"})
    assert forged.status_code == 400
    off_site = _change_language(client, "pt", "/")
    assert off_site.headers["Location"] == "/"
    db.session.rollback()
    assert _language_events(account.user_id)[0].changes["language"] == {"from": "es", "to": "pt"}
    signed_out = browser(app).post("/me/language", data={"language": "pt"})
    assert signed_out.status_code in (302, 400)


def test_every_message_is_translated_in_spanish_and_portuguese() -> None:
    with open(TRANSLATIONS / "messages.pot", "rb") as pot_file:
        template = read_po(pot_file)
    wanted = {message.id for message in template if message.id}
    assert len(wanted) > 200
    for language in LANGUAGES:
        catalog = _catalog(language)
        for msgid in wanted:
            message = catalog.get(msgid)
            assert message is not None, f"{language}: {msgid!r} is not in the catalogue"
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            assert all(s.strip() for s in strings), f"{language}: {msgid!r} is not translated"
            assert not message.fuzzy, f"{language}: {msgid!r} is fuzzy"
        problems = [(m.id, errors) for m, errors in catalog.check()]
        assert not problems, f"{language}: placeholders do not match: {problems}"


def test_the_catalogue_template_holds_every_message_of_the_pages() -> None:
    """A string wrapped in a template or a module but missing from messages.pot
    would stay English: run the extraction in babel.cfg and compare."""
    with open(TRANSLATIONS / "messages.pot", "rb") as pot_file:
        template = {message.id for message in read_po(pot_file) if message.id}
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(WEB), method_map, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    assert found - template == set(), "run the pybabel extract command in babel.cfg"
