"""The pages are Ukrainian until the user picks a language on the page; the browser's language is only offered."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

BROWSERS = ("en-US,en;q=0.9", "ru-RU,ru;q=0.9,en;q=0.5")


@pytest.mark.parametrize("browser", BROWSERS)
@pytest.mark.parametrize("path", ["/", "/company", "/account/login", "/status", "/staff/login"])
def test_the_browsers_language_never_switches_the_page(client: FlaskClient, browser: str, path: str) -> None:
    html = client.get(path, headers={"Accept-Language": browser}).get_data(as_text=True)
    assert '<html lang="uk">' in html


def test_the_choice_on_the_page_is_remembered(client: FlaskClient) -> None:
    english = {"Accept-Language": BROWSERS[0]}
    assert '<html lang="ru">' in client.get("/company?lang=ru", headers=english).get_data(as_text=True)
    assert '<html lang="ru">' in client.get("/account/login", headers=english).get_data(as_text=True)
    assert '<html lang="uk">' in client.get("/status?lang=uk").get_data(as_text=True)
    assert '<html lang="uk">' in client.get("/company", headers=english).get_data(as_text=True)


def test_the_browsers_language_is_offered_in_that_language(client: FlaskClient) -> None:
    english = client.get("/company", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert 'id="language-offer">Read this page in English?<' in english and 'href="?lang=en"' in english
    russian = client.get("/company", headers={"Accept-Language": "ru-RU"}).get_data(as_text=True)
    assert 'id="language-offer">Читать эту страницу на русском?<' in russian
    # Nothing to offer when the browser asks for the page's language, or once the user has chosen.
    assert 'id="language-offer"' not in client.get("/company", headers={"Accept-Language": "uk"}).get_data(True)
    client.get("/company?lang=uk")
    assert 'id="language-offer"' not in client.get("/company", headers={"Accept-Language": "en"}).get_data(True)
