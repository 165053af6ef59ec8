"""Flow B in real Chromium: each kind of person registers, confirms from the letter the SMTP server caught, and
logs in with the identifier; an expired link, a reused link, and a second registration with the same identifier."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import update
from sqlalchemy.orm import Session

from backoffice.customers.models import CustomerToken
from backoffice.database import Database
from backoffice.types import utcnow
from tests.backoffice.selfreg.conftest import PASSWORD, valid_ogrn, valid_ogrnip, valid_snils
from tests.browser.selfreg_fixtures import FlowB, flow_b, flow_b_smtp, settings  # noqa: F401 - fixtures by name

pytestmark = pytest.mark.browser


@pytest.fixture
def visit(request: pytest.FixtureRequest, db: Database) -> tuple[Any, FlowB]:
    """A fresh Chromium page (the browser conftest's) and the running Flow B site with its mail."""
    # ``db`` by name: the live server must see what the test commits, so the test's session commits for real.
    return request.getfixturevalue("browser_page"), request.getfixturevalue("flow_b")

PEOPLE = {
    "individual": ("Individual", "SNILS (your login)", "Full name", "Смирнова Анна Сергеевна"),
    "sole_proprietor": ("Sole proprietor", "OGRNIP (your login)", "Full name", "Орлов Игорь Павлович"),
    "legal_entity": ("Legal entity", "OGRN (your login)", "Organization", "ООО «Северный ветер»"),
}


def _register(page: Any, site: FlowB, kind: str, identifier: str, email: str) -> None:
    """Through the pages as a person does it: the language, who they are, the form."""
    choice, identifier_label, name_label, name = PEOPLE[kind]
    page.goto(site.url + "/signup?lang=en")
    page.get_by_role("link", name=choice).click()
    page.get_by_label(identifier_label).fill(identifier)
    page.get_by_label(name_label).fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_label("I consent to the processing and storage of my personal data").check()
    page.get_by_role("button", name="Register").click()


def _log_in(page: Any, site: FlowB, login: str) -> None:
    page.goto(site.url + "/account/login")
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


@pytest.mark.parametrize(
    ("kind", "typed"),
    [
        ("individual", lambda: (lambda s: f"{s[:3]}-{s[3:6]}-{s[6:9]} {s[9:]}")(valid_snils(501))),
        ("sole_proprietor", lambda: valid_ogrnip(502)),
        ("legal_entity", lambda: valid_ogrn(503)),
    ],
    ids=["individual-snils", "sole-proprietor-ogrnip", "legal-entity-ogrn"],
)
def test_register_confirm_from_the_letter_and_log_in(visit: tuple[Any, FlowB], kind: str, typed: Any) -> None:
    page, site = visit
    identifier = typed()
    digits = re.sub(r"\D", "", identifier)
    email = f"{kind}@example.com"
    _register(page, site, kind, identifier, email)
    assert page.locator("#selfreg-sent").inner_text().startswith(f"We have sent a letter to {email}")

    # Not confirmed yet: the login page says so and offers the letter again.
    _log_in(page, site, digits)
    expect(page.locator("#email-not-confirmed")).to_be_visible()
    expect(page.get_by_role("button", name="Send the letter again")).to_be_visible()

    page.goto(site.link_to(email))
    page.get_by_role("button", name="Confirm my email").click()
    assert digits in page.locator("#selfreg-confirmed").inner_text()

    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Login").fill(digits)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/account$"))
    assert page.locator("#selfreg-identifier").inner_text() == digits
    assert page.locator("#selfreg-name").inner_text() == PEOPLE[kind][3]
    assert page.locator("#account-email").inner_text() == email
    # The profile is the customer pages' own: the password can be changed from it.
    expect(page.get_by_role("link", name="Change password")).to_be_visible()


def test_an_expired_link_offers_a_new_letter_which_works(visit: tuple[Any, FlowB], session: Session) -> None:
    page, site = visit
    ogrn = valid_ogrn(504)
    _register(page, site, "legal_entity", ogrn, "late@example.com")
    first = site.link_to("late@example.com")
    session.execute(update(CustomerToken).values(expires_at=utcnow() - timedelta(minutes=1)))
    session.commit()

    page.goto(first)
    expect(page.locator("#link-expired")).to_be_visible()
    page.get_by_label("SNILS, OGRNIP or OGRN").fill(ogrn)
    page.get_by_role("button", name="Send the letter again").click()
    expect(page.locator("#resend-sent")).to_be_visible()

    second = site.link_to("late@example.com")
    assert second != first
    page.goto(second)
    page.get_by_role("button", name="Confirm my email").click()
    expect(page.locator("#selfreg-confirmed")).to_be_visible()


def test_a_used_link_does_not_confirm_twice(visit: tuple[Any, FlowB]) -> None:
    page, site = visit
    _register(page, site, "sole_proprietor", valid_ogrnip(505), "twice@example.com")
    link = site.link_to("twice@example.com")
    page.goto(link)
    page.get_by_role("button", name="Confirm my email").click()
    expect(page.locator("#selfreg-confirmed")).to_be_visible()
    page.goto(link)
    expect(page.locator("#link-already-confirmed")).to_be_visible()
    expect(page.get_by_role("button", name="Confirm my email")).to_have_count(0)


def test_the_same_identifier_again_offers_password_recovery_without_the_email(visit: tuple[Any, FlowB]) -> None:
    page, site = visit
    snils = valid_snils(506)
    _register(page, site, "individual", snils, "owner@example.com")
    _register(page, site, "individual", snils, "intruder@example.com")
    expect(page.locator("#already-registered")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("owner@example.com")
    page.get_by_role("link", name="Recover the password").click()
    page.wait_for_url(re.compile(r"/account/forgot"))
    assert site.letters_to("intruder@example.com") == []
