"""The analytics and admin pages in Spanish and Portuguese: headings, charts,
table headers, coded values (states, roles, deadline kinds), form refusals
and flash messages follow the user's language; English users keep the
English pages (the other page tests assert them)."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from tests.factories import Factory
from tests.integration.conftest import World
from tests.web_admin_support import post, text
from tests.web_support import PASSWORD, Browser, browser, sign_in

TRANSLATIONS = Path(__file__).resolve().parents[2] / "omd_gov" / "web" / "translations"


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogues() -> None:
    """The .mo files are build output (``make translations``): compile them
    when missing or older than their .po, so the suite runs without make."""
    for language in ("es", "pt"):
        po = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with open(po, "rb") as source:
                buffer = BytesIO()
                write_mo(buffer, read_po(source, locale=language))
            mo.write_bytes(buffer.getvalue())


def _person(app: Any, factory: Factory, role: str, language: str, org: int) -> Browser:
    account = factory.user(role, org, password=PASSWORD, language=language)
    client = browser(app)
    assert sign_in(client, factory.get_user(account).email).status_code == 303
    return client


def _lang(html: str) -> str:
    found = re.search(r'<html lang="([^"]+)"', html)
    assert found, "the page has no <html lang>"
    return found.group(1)


ANALYTICS = {
    "es": ("Dónde se atascan los acuerdos", "Días pasados en cada estado", "borrador",
           "borrador: mediana", "Descargar estas cifras (CSV)", "Rondas de revisión",
           "<th scope=\"col\">revisión jurídica</th>", "Plazos cumplidos"),
    "pt": ("Onde os acordos ficam parados", "Dias passados em cada estado", "rascunho",
           "rascunho: mediana", "Transferir estes números (CSV)", "Ciclos de revisão",
           "<th scope=\"col\">revisão jurídica</th>", "Prazos cumpridos"),
}  # fmt: skip


@pytest.mark.parametrize("language", ["es", "pt"])
def test_the_analytics_page_speaks_spanish_and_portuguese(
    app: Any, factory: Factory, world: World, language: str
) -> None:
    world.create_agreement()  # a draft: one open stay in the period
    client = _person(app, factory, "legal_officer", language, world.city)
    page = client.get("/analytics", headers={"Accept-Language": "en"})
    html = text(page)
    assert page.status_code == 200 and _lang(html) == language
    h1, chart, state, desc, csv, rounds, column, deadlines = ANALYTICS[language]
    assert f"<h1>{h1}</h1>" in html and f'<title id="chart-states-t">{chart}</title>' in html
    labels = re.findall(r'<text [^>]*class="label">([^<]+)</text>', html)
    assert state in labels and desc in html
    assert all(words in html for words in (csv, rounds, column, deadlines))
    english = ("Days spent in each state", "Review rounds", "How these figures are made",
               ">median<", "Still open", "Deadlines met")  # fmt: skip
    assert not [words for words in english if words in html]
    # A refused period says why in the same language (the field keeps its URL name).
    refused = client.get("/analytics?from=2026-03-01&to=2026-02-01")
    assert refused.status_code == 400 and "<strong>from</strong>" in text(refused)
    why = {"es": "no puede ser posterior al final del periodo",
           "pt": "não pode ser posterior ao fim do período"}  # fmt: skip
    assert why[language] in text(refused)


def test_the_admin_users_page_and_its_refusal_speak_spanish(
    app: Any, factory: Factory, world: World
) -> None:
    admin = _person(app, factory, "admin", "es", world.city)
    html = text(admin.get("/admin/users"))
    assert _lang(html) == "es" and "<h1>Usuarios y funciones</h1>" in html
    assert "<td>responsable jurídico</td>" in html  # the role through its term
    assert '<option value="legal_officer">responsable jurídico</option>' in html
    assert "Crear el usuario" in html and "Español" in html and "Create the user" not in html
    refused = post(admin, "/admin/users", "/admin/users", {"email": "x@city.example"})
    page = text(refused)
    assert refused.status_code == 422
    assert "No se ha creado el usuario. Corrija lo siguiente:" in page
    assert "<li>Función: Missing data for required field.</li>" in page  # the API's own message


def test_the_deadline_policy_and_a_deactivation_speak_portuguese(
    app: Any, factory: Factory, world: World
) -> None:
    admin = _person(app, factory, "admin", "pt", world.city)
    html = text(admin.get("/admin/policy"))
    assert "<h1>Política de prazos</h1>" in html
    assert ">Revisão jurídica</h2>" in html and "Guardar a política de revisão jurídica" in html
    assert "Notificar quando o prazo começar" in html and "Due after" not in html
    bad = post(admin, "/admin/policy", "/admin/policy/legal_review",
               {"due_business_days": "12", "remind_before_business_days": "3, x"})  # fmt: skip
    assert bad.status_code == 422 and "elemento 2: Not a valid integer." in text(bad)
    officer = factory.user("legal_officer", world.city)
    page = f"/admin/users/{officer.user_id}"
    done = post(admin, page, f"{page}/active", {"active": "0"})
    assert done.status_code == 303
    shown = text(admin.get(page))
    assert "está agora desativado." in shown and "<dd>desativado</dd>" in shown
    assert "Reativar" in shown and "is now deactivated" not in shown
