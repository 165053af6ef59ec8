"""The page language in real Chromium: a browser that asks for English or Russian still gets Ukrainian pages until
the user picks a language on the page (the browser's language is only offered), error pages included; Flow B's
pages stay in Flow B's own language and country from the signup to the cabinet."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from backoffice.database import Database
from tests.backoffice.selfreg.conftest import PASSWORD, valid_snils
from tests.browser.customer_fixtures import axe_violations
from tests.browser.selfreg_fixtures import FlowB, flow_b, flow_b_smtp, settings  # noqa: F401 - fixtures by name

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_in(_browser: Any) -> Iterator[Any]:
    """``browser_in("en-US")``: a fresh page in a browser set to that language (axe may be injected)."""
    contexts: list[Any] = []

    def open_page(locale: str) -> Any:
        context = _browser.new_context(locale=locale, bypass_csp=True)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def _lang(page: Any) -> str | None:
    return page.locator("html").get_attribute("lang")


@pytest.mark.parametrize(("locale", "offer"), [("en-US", "Read this page in English?"), ("ru-RU", None)])
def test_ukrainian_until_the_user_picks_a_language(
    browser_in: Any, flow_b: FlowB, locale: str, offer: str | None
) -> None:
    page = browser_in(locale)
    for path in ("/company", "/account/login", "/status", "/no-such-page", "/staff/login"):
        page.goto(flow_b.url + path)
        assert _lang(page) == "uk", path
    page.goto(flow_b.url + "/no-such-page")
    expect(page.locator("#error-title")).to_have_text("Сторінку не знайдено")
    assert axe_violations(page) == []
    page.goto(flow_b.url + "/company")
    if offer:  # the browser's language is offered, in that language, and taken only when followed
        page.get_by_role("link", name=offer).click()
        chosen = "en"
    else:
        page.get_by_role("link", name="Русский").click()
        chosen = "ru"
    assert _lang(page) == chosen
    for path in ("/account/login", "/status", "/no-such-page"):
        page.goto(flow_b.url + path)
        assert _lang(page) == chosen, path
    assert axe_violations(page) == []


def test_flow_b_keeps_its_own_language_from_signup_to_cabinet(
    browser_in: Any, flow_b: FlowB, db: Database
) -> None:
    page = browser_in("uk-UA")  # a Ukrainian browser; this Flow B serves Russia
    snils = valid_snils(611)
    email = "anna611@example.com"
    page.goto(flow_b.url + "/signup?kind=individual")
    assert _lang(page) == "ru"
    page.fill("#identifier", snils)
    page.fill("#name", "Смирнова Анна Сергеевна")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.fill("#password_again", PASSWORD)
    page.check("#consent")
    page.click("#selfreg-submit")
    page.wait_for_url(re.compile(r"/signup/sent$"))
    assert _lang(page) == "ru"

    page.goto(flow_b.link_to(email))
    assert _lang(page) == "ru"
    page.click("#confirm-button")
    page.click("#go-login")
    page.wait_for_url(re.compile(r"/account/login$"))
    assert _lang(page) == "ru"
    page.fill("#login", snils)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/account$"))
    assert _lang(page) == "ru"
    expect(page.locator("#selfreg-identifier")).to_have_text(snils)
    assert "8 (912) 345-67-89" in page.content()  # Russia's numbers, not Ukraine's 0XX
    expect(page.locator("#dso-notice")).to_have_count(0)  # the Ukrainian metering rule is not this country's
    assert axe_violations(page) == []
