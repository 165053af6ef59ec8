"""Rate limits: per address and per company, on the registration and status pages, in memory or in Redis."""

from __future__ import annotations

from flask import Flask

from backoffice.web import throttle
from tests.backoffice.customers.conftest import PASSWORD, Browser
from tests.conftest import app_on
from tests.factories import valid_edrpou
from tests.services import redis_server  # noqa: F401 - fixture by name


def _try(browser: Browser, identifier: str, ip: str = "127.0.0.1"):
    data = {
        "code": "ABCD-EFGH-JKMN",
        "identifier": identifier,
        "login": "someone",
        "password": PASSWORD,
        "password_again": PASSWORD,
    }
    browser.client.environ_base["REMOTE_ADDR"] = ip
    return browser.post("/company", data)


def test_one_address_gets_ten_tries_a_minute(browser: Browser, db) -> None:
    answers = [_try(browser, valid_edrpou(n)).status_code for n in range(11)]
    assert answers[:10] == [200] * 10
    assert answers[10] == 429
    refused = _try(browser, valid_edrpou(99))
    page = refused.get_data(as_text=True)
    assert "Too many attempts" in page
    # It says how long: the per-minute limit lets the next try through within the minute.
    assert 1 <= int(refused.headers["Retry-After"]) <= 61
    assert "Time to wait:" in page and "second" in page


def test_a_wait_is_said_in_words_never_shorter_than_it_is(app: Flask) -> None:
    with app.test_request_context("/?lang=en"):  # the language the user chose on the page
        words = {seconds: throttle.wait_words(seconds) for seconds in (1, 80, 121, 3601, 7201)}
    assert words == {1: "1 second", 80: "80 seconds", 121: "3 minutes", 3601: "61 minutes", 7201: "3 hours"}


def test_with_redis_two_app_processes_share_the_limits(settings, db, redis_server: str) -> None:
    configured = settings.replace(site={"rate_limit_storage_uri": redis_server})
    first: Flask = app_on(configured, db)
    answers = [_try(Browser(first.test_client()), valid_edrpou(n)).status_code for n in range(6)]
    second: Flask = app_on(configured, db)  # a second worker: a new app, its own memory, the same Redis
    answers += [_try(Browser(second.test_client()), valid_edrpou(n + 10)).status_code for n in range(5)]
    for flask_app in (first, second):
        flask_app.extensions["backoffice.db"].dispose()
    assert answers[:10] == [200] * 10 and answers[10] == 429
