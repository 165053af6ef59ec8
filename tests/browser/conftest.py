"""Browser fixtures for any page of the product: the app served on a loopback port, and a Chromium page.

``live_server`` serves the test app (same settings and test database as the ``app`` fixture) with werkzeug in a
thread and yields its base URL; ``browser_page`` is a fresh Playwright page in Debian's Chromium. Without
Chromium the browser tests skip locally, and fail in CI (CI=true), where a missing browser is a broken set-up.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import needs_committed

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"browser tests need Chromium in CI: {reason}")
    pytest.skip(reason)


class _InFlight:
    """Counts the requests being served, so the test ends only after the last one has returned its database
    connection: one still running when the app's engine is disposed would leave a connection nobody closes."""

    def __init__(self, app: Flask) -> None:
        self.app, self.count, self.idle = app, 0, threading.Condition()

    def __call__(self, environ: Any, start_response: Any) -> Any:
        with self.idle:
            self.count += 1
        try:
            # Buffered and closed (as a WSGI server closes it), so the app context and its database session
            # have ended when this returns.
            body = self.app(environ, start_response)
            try:
                return list(body)
            finally:
                if hasattr(body, "close"):
                    body.close()
        finally:
            with self.idle:
                self.count -= 1
                self.idle.notify_all()

    def wait(self, seconds: float) -> None:
        with self.idle:
            self.idle.wait_for(lambda: self.count == 0, timeout=seconds)


@pytest.fixture
def live_server(app: Flask, request: pytest.FixtureRequest) -> Iterator[str]:
    """The app on a free loopback port, for the duration of one test (a committed one: the server's thread
    has connections of its own)."""
    needs_committed(request, "live_server")
    served = _InFlight(app)
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        served.wait(10)
        server.server_close()


@pytest.fixture(scope="module")
def _browser() -> Iterator[Any]:
    """One Chromium per test module: Playwright's sync API keeps an event loop running while it is open, and
    code that calls ``asyncio.run()`` (pyhanko) must not find it running in the tests that come after."""
    executable = os.environ.get("BACKOFFICE_TEST_CHROMIUM") or _chromium()
    if executable is None:
        _unavailable("Chromium is not installed (Debian: apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e .[test])")
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        except Exception as exc:  # any launch failure means "no browser here"
            _unavailable(f"Chromium did not start: {exc}")
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(_browser: Any) -> Iterator[Any]:
    """A page in its own browser context (own cookies), Ukrainian like the users', 10 s timeouts."""
    context = _browser.new_context(locale="uk-UA", viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()
