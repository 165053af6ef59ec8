"""Fixtures of the customer pages' browser tests, on top of tests/browser/conftest.py: English pages, axe-core.

Loaded by the ``test_customer_*`` modules (``pytest_plugins``). The browser is the conftest's; the server is the
conftest's ``live_server`` but on its own app whose connection pool is closed afterwards (PostgreSQL warns
otherwise). With CI=true a missing axe-core fails the test; locally it skips.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from backoffice.app import create_app
from backoffice.settings import Settings
from tests.conftest import needs_committed

REPO = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() == "true"
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
WCAG_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _missing(what: str) -> None:
    if IN_CI:
        pytest.fail(f"{what} is required in CI")
    pytest.skip(f"{what} is not available")


@pytest.fixture
def customer_server(settings: Settings, db: Any, request: pytest.FixtureRequest) -> Iterator[str]:
    """The app on a free loopback port, in a thread; its base URL (a committed test's: see ``live_server``)."""
    needs_committed(request, "customer_server")
    app: Flask = create_app(settings)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        app.extensions["backoffice.db"].dispose()


@pytest.fixture
def customer_chromium(_browser: Any) -> Any:
    """The operator UI's Chromium (tests/browser/conftest.py launches it once per session)."""
    return _browser


def _in_english(context: Any, server: str) -> Iterator[Any]:
    """A page of ``context`` whose user chose English on the site (the catalogues may translate the default
    Ukrainian any day); the browser asking for English alone would not switch the pages."""
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(server + "/?lang=en")
        yield page
    finally:
        context.close()


@pytest.fixture
def customer_page(customer_chromium: Any, customer_server: str) -> Iterator[Any]:
    """A fresh browser profile in English, English chosen on the site."""
    yield from _in_english(customer_chromium.new_context(locale="en-US"), customer_server)


@pytest.fixture
def axe_page(customer_chromium: Any, customer_server: str) -> Iterator[Any]:
    """Like ``customer_page``, but the page lets the test inject axe-core (an inline script the CSP would stop)."""
    yield from _in_english(customer_chromium.new_context(locale="en-US", bypass_csp=True), customer_server)


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Violations of the WCAG 2.1 A and AA rules on the page as it is now (axe-core injected from node_modules)."""
    if not AXE.exists():
        _missing("axe-core (npm install axe-core)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_A_AA)
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]} for v in result["violations"]
    ]


def send(page: Any, button: str) -> None:
    """Press the form's button and wait for the page it leads to."""
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def send_with_errors(page: Any, button: str) -> None:
    """Send the form as it is; the error summary shows and takes the focus (its script), as a person meets it."""
    send(page, button)
    page.wait_for_function("document.activeElement && document.activeElement.id === 'error-summary'")


def create_login(page: Any, code: str, identifier: str, login: str, password: str) -> None:
    """Fill the invitation page (in English) as the customer does and send it."""
    page.get_by_label("Registration code").fill(code)
    page.get_by_label("EDRPOU or RNOKPP").fill(identifier)
    page.get_by_label("Login", exact=True).fill(login)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Password again").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Create my login").click()


def log_out_and_in(page: Any, login: str, password: str) -> None:
    """From the cabinet: log out, then log in again with the login and password just chosen."""
    page.get_by_role("button", name=re.compile("Log out")).click()
    page.wait_for_url(re.compile(r"/account/login"))
    page.get_by_label("Login", exact=True).fill(login)
    page.get_by_label("Password", exact=True).fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/account$"))
