"""The pages in Spanish and Portuguese: a signed-out visitor gets the
browser's language; a signed-in user their account's, which they change in
the header, and which follows them to any browser. Every page passes axe in
its language too."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.e2e.support import Visits, axe_check, sign_in
from tests.factories import Account
from tests.integration.conftest import World

Officer = Callable[[Account], str]


def _speaks(page: Page, language: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", language)


def _choose(page: Page, label: str, language: str, button: str) -> None:
    header = page.get_by_role("banner")
    header.get_by_label(label).select_option(language)
    header.get_by_role("button", name=button, exact=True).click()
    _speaks(page, language)


def test_spanish_and_portuguese_pages_from_the_browser_then_the_users_choice(
    new_page: Callable[..., Page],
    visits: Visits,
    world: World,
    officer: Officer,
    settle: Callable[[], None],
) -> None:
    agreement = world.create_agreement()
    settle()
    email = officer(world.data_officer)
    page = new_page(locale="es-ES")
    page.goto("/login")
    _speaks(page, "es")  # signed out: the browser's language
    expect(page.get_by_role("heading", name="Iniciar sesión")).to_be_visible()
    sign_in(page, visits, email, language="es")
    _speaks(page, "en")  # signed in: the account's language, English until changed

    page.goto(f"/agreements/{agreement['id']}")
    _choose(page, "Language", "es", "Change")  # back on the same page, in Spanish
    expect(page.get_by_role("region", name="Lo que puede hacer ahora")).to_be_visible()
    expect(page.get_by_role("region", name="Cronología")).to_be_visible()
    axe_check(page, visits)
    page.goto("/")
    expect(page.get_by_role("heading", name="Panel", level=1)).to_be_visible()
    expect(page.get_by_role("region", name="Pendiente de mí")).to_be_visible()
    axe_check(page, visits)

    _choose(page, "Idioma", "pt", "Cambiar")
    expect(page.get_by_role("region", name="À minha espera")).to_be_visible()
    axe_check(page, visits)
    page.goto("/agreements/2147483647")
    expect(page.get_by_role("heading", name="Não encontrado")).to_be_visible()
    axe_check(page, visits)

    again = new_page(locale="es-ES")  # another browser, still a Spanish one
    sign_in(again, visits, email, language="es")
    _speaks(again, "pt")  # the user's choice wins over the browser's
    expect(again.get_by_role("heading", name="Painel", level=1)).to_be_visible()
