"""The customer's path in real Chromium: invitation link, code, login and password, cabinet, log out, log in."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backoffice.applications import codes
from backoffice.applications.models import Application, RegistrationCode
from backoffice.letters.models import OutboxMessage
from backoffice.settings import Settings
from backoffice.types import utcnow
from tests.browser.customer_fixtures import (  # noqa: F401 - fixtures by name
    axe_page,
    create_login,
    customer_chromium,
    customer_page,
    customer_server,
    log_out_and_in,
)
from tests.factories import Factory
from workflows.accession import AccessionState

pytestmark = pytest.mark.browser
#: The fixtures (customer_server, customer_page, axe_page, customer_chromium) live there.
PASSWORD = "Blue-Rivers-Sing-2026"


def _issue(make: Factory, session: Session, settings: Settings) -> tuple[Application, str, str]:
    """An application in "code issued": its clear code (as the code letter shows it) and the invitation's path."""
    app = make.application(AccessionState.CODE_ISSUED)
    session.commit()
    row = session.scalars(select(RegistrationCode).where(RegistrationCode.application_id == app.id)).one()
    invitation = session.scalars(
        select(OutboxMessage).where(OutboxMessage.application_id == app.id, OutboxMessage.kind == "invitation")
    ).one()
    return app, codes.derive(settings.code_key, row.nonce), re.sub(r"^https?://[^/]+", "", invitation.context["link"])


def _fill(page: Any, code: str, identifier: str, login: str = "firma.one", password: str = PASSWORD) -> None:
    create_login(page, code, identifier, login, password)


def test_from_the_invitation_link_to_the_cabinet_and_back(
    customer_server: str, customer_page: Any, make: Factory, session: Session, settings: Settings
) -> None:
    app, code, path = _issue(make, session, settings)
    page = customer_page
    page.goto(customer_server + path)
    assert page.locator("h1").inner_text() == "Finish the registration"
    _fill(page, code, app.identifier)

    page.wait_for_url(re.compile(r"/account"))
    assert page.locator("#welcome").is_visible()
    assert page.locator("#consumer-name").inner_text() == app.consumer_name
    assert page.locator("#dso-link").get_attribute("href") == settings.site.dso_url

    log_out_and_in(page, "firma.one", PASSWORD)
    assert page.locator("h1").inner_text() == "Cabinet"


def test_wrong_codes_do_not_lock_the_right_one(
    customer_server: str, customer_page: Any, make: Factory, session: Session, settings: Settings
) -> None:
    # A company's EDRPOU is public: wrong tries must not stop the customer who has the letter (docs/security.md #2).
    app, code, path = _issue(make, session, settings)
    page = customer_page
    page.goto(customer_server + path)
    for _attempt in range(5):
        _fill(page, "ABCD-EFGH-JKMN", app.identifier)
        page.wait_for_load_state()
        assert page.locator("#registration-refused").is_visible()
    _fill(page, code, app.identifier)
    page.wait_for_url(re.compile(r"/account"))


def test_an_expired_code_is_told_to_the_letters_holder(
    customer_server: str, customer_page: Any, make: Factory, session: Session, settings: Settings
) -> None:
    app, code, path = _issue(make, session, settings)
    session.execute(update(RegistrationCode).values(expires_at=utcnow() - timedelta(minutes=1)))
    session.commit()
    customer_page.goto(customer_server + path)
    _fill(customer_page, code, app.identifier)
    refused = customer_page.locator("#registration-refused")
    assert refused.is_visible() and refused.get_attribute("data-refusal") == "expired"
    assert "This code has expired" in customer_page.locator("#error-summary").inner_text()


def _submit(page: Any, **values: str) -> list[str]:
    """Type the values (by field id) into the registration form, send it, and read the summary's links."""
    for field, value in values.items():
        page.locator(f"#{field}").fill(value)
    with page.expect_navigation():
        page.locator("#registration-form button[type=submit]").click()
    summary = page.locator("#error-summary")
    assert summary.is_visible() and summary.get_attribute("role") == "alert"
    assert page.evaluate("document.activeElement.id") == "error-summary"  # the summary has the focus
    return list(dict.fromkeys(a.get_attribute("href") for a in summary.locator("a[href^='#']").all()))


@pytest.mark.parametrize("lang", ["uk", "ru", "en"])
def test_the_customer_gets_through_after_every_kind_of_mistake(
    lang: str, customer_server: str, customer_page: Any, make: Factory, session: Session, settings: Settings
) -> None:
    """An empty field, a Cyrillic login, a short password and two that differ: all said on the first answer; then
    a wrong code; then the right one. Each answer lists every problem at once, keeps what was typed (not the
    passwords), and puts the focus on its summary, whose links lead to the fields."""
    app, code, _path = _issue(make, session, settings)
    page = customer_page
    page.goto(f"{customer_server}/company?lang={lang}")

    links = _submit(page, code=code, identifier="", login="логін", password="x", password_again="y")
    assert links == ["#identifier", "#login", "#password", "#password_again"]
    assert page.locator("#code").input_value() == code and page.locator("#login").input_value() == "логін"
    assert page.locator("#password").input_value() == "" and page.locator("#password_again").input_value() == ""
    assert page.locator("#login").get_attribute("aria-invalid") == "true"
    page.locator("#error-summary a[href='#login']").click()
    assert page.evaluate("document.activeElement.id") == "login"  # the link puts the focus in the field

    links = _submit(page, code="ABCD-EFGH-JKMN", identifier=app.identifier, password="short", password_again="short")
    assert links == ["#code", "#login", "#password"]
    assert page.locator("#registration-refused").get_attribute("data-refusal") == "generic"
    assert page.locator("#identifier").input_value() == app.identifier

    page.locator("#code").fill(code)
    page.locator("#login").fill(f"firma.{lang}")
    page.locator("#password").fill(PASSWORD)
    page.locator("#password_again").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("#registration-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/account"))
    assert page.locator("#welcome").is_visible()

    # The same code again, from a fresh page: the letter's holder is sent to the login page.
    page.context.clear_cookies()
    page.goto(f"{customer_server}/company?lang={lang}")
    _submit(page, code=code, identifier=app.identifier, login="someone.else", password=PASSWORD,
            password_again=PASSWORD)
    assert page.locator("#registration-refused").get_attribute("data-refusal") == "used"
    with page.expect_navigation():
        page.locator("#refusal-log-in").click()
    assert page.url.startswith(f"{customer_server}/account/login")


def test_password_rules_are_shown_as_the_customer_types(
    customer_server: str, customer_page: Any, make: Factory, session: Session, settings: Settings
) -> None:
    page = customer_page
    page.goto(customer_server + "/company")
    page.get_by_label("Login", exact=True).fill("firma.one")
    password = page.get_by_label("Password", exact=True)
    rule = lambda name: page.locator(f'#password-rules li[data-rule="{name}"]')  # noqa: E731

    password.press_sequentially("short")
    assert rule("length").get_attribute("data-state") == "bad"
    assert "weak" in page.locator("#password-strength").inner_text()
    password.fill("")
    password.press_sequentially("Firma.One")
    assert rule("login").get_attribute("data-state") == "bad"
    password.fill("")
    password.press_sequentially("qwerty123456")  # on the shipped list of common passwords
    page.wait_for_function("document.querySelector('li[data-rule=common]').dataset.state === 'bad'")
    password.fill("")
    password.press_sequentially("Tall-Oaks-Grow-Slowly-42")
    for name in ("length", "common", "login", "identifier"):
        assert rule(name).get_attribute("data-state") == "ok"
    assert "strong" in page.locator("#password-strength").inner_text()


def test_keyboard_only_completion(
    customer_server: str, customer_page: Any, make: Factory, session: Session, settings: Settings
) -> None:
    """Tab from the top of the page to every field and Enter to send: no mouse, nothing skipped."""
    app, code, path = _issue(make, session, settings)
    page = customer_page
    page.goto(customer_server + path)
    keyboard = page.keyboard

    def tab_to(element_id: str, limit: int = 30) -> None:
        for _ in range(limit):
            keyboard.press("Tab")
            if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
                return
        raise AssertionError(f"Tab never reached #{element_id}")

    for element_id, text in (
        ("code", code),
        ("identifier", app.identifier),
        ("login", "keyboard.user"),
        ("password", PASSWORD),
        ("password_again", PASSWORD),
    ):
        tab_to(element_id)
        keyboard.type(text)
    keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Create my login"
    keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/account"))
    assert page.locator("#welcome").is_visible()
    # The focus is visible: the focused control has an outline.
    tab_to("phone")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"


def test_ukrainian_is_the_default_language(customer_server: str, customer_chromium: Any) -> None:
    context = customer_chromium.new_context(locale="de-DE")
    try:
        page = context.new_page()
        page.goto(customer_server + "/company")
        assert page.locator("html").get_attribute("lang") == "uk"
        page.goto(customer_server + "/company?lang=ru")
        assert page.locator("html").get_attribute("lang") == "ru"
    finally:
        context.close()
