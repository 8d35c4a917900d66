"""What the browser is refused, and the way back in: a tampered CSRF token,
another partner's agreement, too many failed sign-ins, and an e-mail link
opened while signed out."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.e2e.support import Visits, axe_check, path_of, sign_in
from tests.factories import Account
from tests.integration.conftest import World

Officer = Callable[[Account], str]


def test_a_form_with_a_tampered_csrf_token_is_refused_and_changes_nothing(
    page: Page, visits: Visits, world: World, officer: Officer, settle: Callable[[], None]
) -> None:
    agreement = world.create_agreement()
    settle()
    sign_in(page, visits, officer(world.data_officer))
    page.goto(f"/agreements/{agreement['id']}")
    axe_check(page, visits)
    page.evaluate(
        "for (const input of document.querySelectorAll('input[name=csrf_token]'))"
        " input.value = 'tampered'"
    )
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Submit").click()
    assert answer.value.status == 400
    expect(page.get_by_role("heading", name="Something went wrong (400)")).to_be_visible()
    expect(page.get_by_text("CSRF")).to_be_visible()
    axe_check(page, visits)
    page.goto(f"/agreements/{agreement['id']}")  # still signed in, still a draft
    expect(page.get_by_role("heading", level=1)).to_contain_text("draft")


def test_a_partner_gets_a_404_page_for_another_partners_agreement(
    page: Page, visits: Visits, world: World, officer: Officer, settle: Callable[[], None]
) -> None:
    agreement = world.create_agreement()
    settle()
    sign_in(page, visits, officer(world.sign_outsider))
    answer = page.goto(f"/agreements/{agreement['id']}")
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_text(agreement["title"])).to_have_count(0)
    axe_check(page, visits)


def test_five_failed_sign_ins_throttle_the_account_even_with_the_right_password(
    page: Page, visits: Visits, world: World, officer: Officer
) -> None:
    email = officer(world.legal)
    page.goto("/login")
    for attempt in range(6):
        password = "the right password" if attempt == 5 else f"wrong password {attempt}"
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Password").fill(password)
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.get_by_role("button", name="Sign in").click()
        assert answer.value.status == (429 if attempt == 5 else 401)
        if attempt == 0:
            expect(page.get_by_role("alert")).to_have_text(
                "The e-mail or the password is not right."
            )
            axe_check(page, visits)
    expect(page.get_by_role("alert")).to_contain_text("Too many failed sign-ins")
    axe_check(page, visits)
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def test_an_e_mail_link_opened_signed_out_lands_on_its_page_after_sign_in(
    page: Page, visits: Visits, world: World, officer: Officer, settle: Callable[[], None]
) -> None:
    agreement = world.create_agreement()
    settle()
    email = officer(world.legal)
    page.goto(f"/agreements/{agreement['id']}")  # the link in a reminder e-mail
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert path_of(page).startswith("/login?next=")
    sign_in(page, visits, email)
    assert path_of(page) == f"/agreements/{agreement['id']}"
    expect(page.get_by_role("heading", level=1)).to_contain_text(agreement["reference"])


def test_a_next_target_off_the_site_lands_on_the_dashboard(
    page: Page, visits: Visits, world: World, officer: Officer
) -> None:
    email = officer(world.legal)
    page.goto("/login?next=//evil.example/phish")
    sign_in(page, visits, email)
    assert path_of(page) == "/"
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
