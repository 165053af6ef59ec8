"""Every error a person can meet is our page, in the page's language and the site's look: the customer pages' for
the public site, the back office's for /admin and /staff. Werkzeug's bare English pages never show; a 500 shows
nothing of the fault and is logged; a 429 says how long to wait."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest
from flask import Flask, abort
from flask.testing import FlaskClient

from backoffice.web import limiter
from tests.backoffice.admin.conftest import Staff, log_in, password_hash, staff  # noqa: F401 - fixtures by name
from tests.services import fresh_limits  # noqa: F401 - fixture by name

LANGUAGES = ("uk", "ru", "en")
TITLES = {
    403: ("Ця сторінка вам недоступна", "Эта страница вам недоступна", "This page is not open to you"),
    404: ("Сторінку не знайдено", "Страница не найдена", "Page not found"),
    410: ("Цієї сторінки більше немає", "Этой страницы больше нет", "This page is gone"),
    429: ("Забагато спроб", "Слишком много попыток", "Too many attempts"),
    500: (
        "Щось пішло не так на нашому боці",
        "Что-то пошло не так на нашей стороне",
        "Something went wrong on our side",
    ),
}
#: What Werkzeug's own pages say; none of it may reach a person.
WERKZEUG = (
    "Werkzeug",
    "The requested URL was not found on the server",
    "You don't have the permission",
    "Internal Server Error",
    "The server encountered an internal error",
    "Too Many Requests",
    "<title>404 Not Found</title>",
)
SECRET = "the database password is hunter2"
#: The marks of each look: the customer pages' header, the back office's navigation bar.
CUSTOMER_LOOK = 'class="site-header"'
STAFF_LOOK = 'class="navbar-brand"'


@limiter.limit("1 per hour", key_func=lambda: "errors-test")
def limited() -> str:
    """Limited once, here: each decoration adds a limit to the endpoint's name for the life of the process."""
    return "ok"


@pytest.fixture
def errors_app(app: Flask, fresh_limits: None) -> Iterator[Flask]:
    """The app with a page that fails in each way, under the public site and under /admin, and faults shown as
    in production (not raised to the test)."""

    def fail(code: int) -> str:
        if code == 500:
            raise RuntimeError(SECRET)
        abort(code)

    for prefix in ("", "/admin"):
        app.add_url_rule(f"{prefix}/test-fails/<int:code>", f"fails{prefix.replace('/', '_')}", fail)
        app.add_url_rule(f"{prefix}/test-limited", f"limited{prefix.replace('/', '_')}", limited)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    yield app


def _get(client: FlaskClient, path: str, language: str) -> tuple[int, str]:
    response = client.get(f"{path}?lang={language}")
    return response.status_code, response.get_data(as_text=True)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("prefix", "look"), [("", CUSTOMER_LOOK), ("/admin", STAFF_LOOK)], ids=["site", "admin"])
@pytest.mark.parametrize("code", [403, 404, 410, 429, 500])
def test_each_error_is_our_page_in_the_language_and_look(
    errors_app: Flask, code: int, prefix: str, look: str, language: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = errors_app.test_client()
    path = f"{prefix}/test-fails/{code}"
    if code == 429:
        path = f"{prefix}/test-limited"
        assert client.get(path).status_code == 200
    with caplog.at_level(logging.ERROR):
        status, html = _get(client, path, language)
    assert status == code
    if look == CUSTOMER_LOOK:  # the back office's <html> is Flask-Admin's (its lang is the admin pages' issue)
        assert f'<html lang="{language}">' in html
    assert f'id="error-title">{TITLES[code][LANGUAGES.index(language)]}<' in html
    assert look in html and (STAFF_LOOK if look == CUSTOMER_LOOK else CUSTOMER_LOOK) not in html
    assert not [w for w in WERKZEUG if w in html]
    if code == 500:
        assert SECRET not in html and "Traceback" not in html and "RuntimeError" not in html
        assert any(SECRET in (r.exc_text or "") or SECRET in str(r.exc_info) for r in caplog.records)
    if code == 429:
        assert 'id="backed-off"' in html


def test_a_rate_limit_says_how_long_to_wait(errors_app: Flask) -> None:
    client = errors_app.test_client()
    client.get("/test-limited")
    response = client.get("/test-limited?lang=en")
    assert response.status_code == 429
    assert 3590 <= int(response.headers["Retry-After"]) <= 3601
    # Rounded up to whole minutes, never shorter than the real wait (``throttle.wait_words``).
    assert re.search(r"Time to wait: 6[01] minutes\.", response.get_data(as_text=True))
    assert re.search(r"Час очікування: 6[01] хвилин[аи]?\.", client.get("/test-limited?lang=uk").get_data(as_text=True))


def test_an_unknown_address_is_ukrainian_whatever_the_browser_asks(client: FlaskClient) -> None:
    for browser in ("en-US,en;q=0.9", "ru-RU,ru;q=0.9"):
        response = client.get("/no-such-page", headers={"Accept-Language": browser})
        assert response.status_code == 404
        assert 'id="error-title">Сторінку не знайдено<' in response.get_data(as_text=True)


def test_a_page_staff_may_not_open_is_the_back_offices_403(app: Flask, staff: Staff) -> None:
    client = log_in(app.test_client(), staff.admin.login)  # an administrator; the queue is the operators'
    response = client.get("/admin/applications/?lang=uk")
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert 'id="error-title">Ця сторінка вам недоступна<' in html and STAFF_LOOK in html
    assert not [w for w in WERKZEUG if w in html]


def test_the_administrators_home_links_only_what_the_role_may_open(app: Flask, staff: Staff) -> None:
    admin = log_in(app.test_client(), staff.admin.login)
    home = admin.get("/admin/").get_data(as_text=True)
    assert "Applications by state" in home
    assert "/admin/applications/?state=" not in home
    for link in _links(home):
        if link.startswith("/admin"):
            assert admin.get(link, follow_redirects=True).status_code == 200, link


def _links(html: str) -> list[str]:
    import re

    return sorted(set(re.findall(r'href="(/admin[^"?#]*)"', html)))


def test_when_the_layout_itself_fails_a_plain_page_says_the_same(
    errors_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backoffice.web import errors

    def broken(_context: object) -> str:
        raise RuntimeError("the database is gone")

    monkeypatch.setattr(errors, "_render", broken)
    response = errors_app.test_client().get("/test-fails/500?lang=ru")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert 'id="error-title">Что-то пошло не так на нашей стороне<' in html and '<html lang="ru">' in html
    assert "the database is gone" not in html and not [w for w in WERKZEUG if w in html]
