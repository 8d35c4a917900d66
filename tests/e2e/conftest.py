"""Browser tests in real headless Chromium (Debian's ``/usr/bin/chromium``,
driven by Playwright; never a downloaded build) against the session's test
app served on a loopback port.

The server answers in threads of its own, each request in its own app
context and database session. The test's data setup runs in the main thread
through the factories, which commit; ``settle()`` ends the main thread's open
read transaction so the server never waits behind it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from werkzeug.serving import make_server

from omd_gov.auth.actors import Actor
from omd_gov.users.services import set_password
from omd_gov.web.throttle import limiter
from tests.e2e.support import Visits
from tests.factories import Account, Factory
from tests.integration.conftest import world  # noqa: F401 - the shared fixture
from tests.web_support import PASSWORD

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def live_server(app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


# Package scope, not session: while Playwright's sync API runs, the main
# thread has a running asyncio loop, and pyHanko's sync calls (asyncio.run) in
# the tests after this package would fail. It stops when tests/e2e ends.
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install-system-deps.sh", pytrace=False)
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
    yield chromium
    chromium.close()


@pytest.fixture
def visits() -> Visits:
    return Visits()


@pytest.fixture
def new_page(
    browser: Browser, live_server: str, app: Any, visits: Visits, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Page]]:
    """A fresh browser context per call (its own cookies: another person)."""
    with app.app_context():
        limiter.reset()  # each test starts with no failed sign-ins counted
    contexts = []

    def open_page(**options: Any) -> Page:
        """``options`` go to the context, e.g. ``locale="es-ES"`` (its Accept-Language)."""
        settings = {"base_url": live_server, "viewport": {"width": 1280, "height": 800}}
        context = browser.new_context(**{**settings, **options})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        visits.watch(page)
        return page

    yield open_page
    for context in contexts:
        context.close()
    if _passed(request.node):  # a failed test stopped early: no second complaint
        unchecked = visits.unchecked()
        assert not unchecked, f"pages visited without an axe check: {unchecked}"


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    return new_page()


@pytest.fixture
def settle(factory: Factory) -> Callable[[], None]:
    """End the main thread's read transaction before the browser acts."""

    def done() -> None:
        factory.session.rollback()

    return done


@pytest.fixture
def officer(factory: Factory, settle: Callable[[], None]) -> Callable[[Account], str]:
    """Give a world account a web password; returns its e-mail."""

    def with_password(account: Account) -> str:
        email = factory.get_user(account).email
        set_password(factory.session, Actor.system("cli"), email, PASSWORD)
        settle()
        return email

    return with_password


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_CALL_PASSED] = report.passed
    return report


_CALL_PASSED = pytest.StashKey[bool]()


def _passed(item: pytest.Item) -> bool:
    return item.stash.get(_CALL_PASSED, False)
