"""Helpers for the browser tests: signing in through the form, the axe-core
check every visited page gets, and the README's screenshots."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.web_support import PASSWORD

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
BLOCKING = ("serious", "critical")
# Violations known and reported to the page's author, waiting for a fix:
# (path prefix, axe rule id) -> what to change. Printed on every run; keep it empty.
KNOWN_VIOLATIONS: dict[tuple[str, str], str] = {
    ("/analytics", "scrollable-region-focusable"): "analytics.html: each div.scroll that "
    "scrolls on a phone needs tabindex='0', role='region' and an aria-label naming its table",
}
_AXE = Axe()


def _readable(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    at {', '.join(map(str, node['target']))}: {node['html'][:160]}")
            lines.append(f"      {node.get('failureSummary', '').replace(chr(10), ' ')}")
    return "\n".join(lines)


@dataclass
class Visits:
    """Every page the browser loads must get its axe check before the test ends."""

    loaded: list[str] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)

    def watch(self, page: Page) -> None:
        page.on("load", lambda loaded: self.loaded.append(_without_fragment(loaded.url)))

    def unchecked(self) -> list[str]:
        return [url for url in dict.fromkeys(self.loaded) if url not in self.checked]


def axe_check(page: Page, visits: Visits) -> None:
    """No serious or critical axe-core violation on the page as it is now."""
    results = _AXE.run(page).response["violations"]
    visits.checked.add(_without_fragment(page.url))
    blocking = [v for v in results if v["impact"] in BLOCKING]
    path = urlsplit(page.url).path
    known = [v for v in blocking if _known(path, v["id"])]
    if known:
        print(f"\nknown axe violations on {path} (reported, to fix):\n{_readable(known)}")
    fresh = [v for v in blocking if not _known(path, v["id"])]
    assert not fresh, f"axe-core on {page.url}:\n{_readable(fresh)}"


def _known(path: str, rule: str) -> bool:
    return any(path.startswith(where) and rule == known for where, known in KNOWN_VIOLATIONS)


# The sign-in form's words in the page's language.
FORM_WORDS = {
    "en": ("E-mail", "Password", "Sign in"),
    "es": ("Correo electrónico", "Contraseña", "Iniciar sesión"),
    "pt": ("Correio eletrónico", "Palavra-passe", "Iniciar sessão"),
}


def sign_in(
    page: Page, visits: Visits, email: str, password: str = PASSWORD, language: str = "en"
) -> None:
    """Through the form, as an officer would; lands on the dashboard (or ``next``)."""
    email_label, password_label, button = FORM_WORDS[language]
    if "/login" not in page.url:
        page.goto("/login")
    axe_check(page, visits)
    page.get_by_label(email_label).fill(email)
    page.get_by_label(password_label).fill(password)
    page.get_by_role("button", name=button).click()
    # Signed in, in whichever language the account has: the main navigation shows.
    expect(page.get_by_role("navigation")).to_be_visible()
    axe_check(page, visits)


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def screenshot(page: Page, name: str, width: int = 1280) -> None:
    """Written only with OMD_SCREENSHOTS=1, so an ordinary run leaves the tree clean.
    The whole page at 1280 px; at a phone's width, its first screen."""
    if os.environ.get("OMD_SCREENSHOTS") != "1":
        return
    size = page.viewport_size or {"width": 1280, "height": 800}
    phone = width < 600
    page.set_viewport_size({"width": width, "height": 844 if phone else 800})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=not phone)
    page.set_viewport_size(size)


def _without_fragment(url: str) -> str:
    return url.split("#", 1)[0]


def path_of(page: Page) -> str:
    return re.sub(r"^https?://[^/]+", "", page.url)
