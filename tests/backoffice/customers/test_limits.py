"""Rate limits: per address and per company, on the registration and status pages, in memory or in Redis."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
from flask import Flask

from backoffice import create_app
from tests.backoffice.customers.conftest import PASSWORD, Browser
from tests.factories import valid_edrpou

IN_CI = os.environ.get("CI", "").lower() == "true"


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
    assert "Too many attempts" in _try(browser, valid_edrpou(99)).get_data(as_text=True)


def test_one_company_gets_twenty_tries_an_hour_from_any_number_of_addresses(browser: Browser, db) -> None:
    target = valid_edrpou(1)
    answers = [_try(browser, target, ip=f"10.0.{n // 200}.{n % 200 + 1}").status_code for n in range(21)]
    assert answers[20] == 429 and 429 not in answers[:20]
    # The status page shares the company's limit.
    browser.client.environ_base["REMOTE_ADDR"] = "10.9.9.9"
    assert browser.post("/status", {"number": "2026-000001", "identifier": target}).status_code == 429


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis server of this test's own, on a free loopback port."""
    binary = shutil.which("redis-server")
    if binary is None:
        if IN_CI:
            pytest.fail("redis-server is required in CI (scripts/test installs it)")
        pytest.skip("redis-server is not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_with_redis_two_app_processes_share_the_limits(settings, db, redis_url: str) -> None:
    configured = settings.replace(site={"rate_limit_storage_uri": redis_url})
    first: Flask = create_app(configured)
    answers = [_try(Browser(first.test_client()), valid_edrpou(n)).status_code for n in range(6)]
    second: Flask = create_app(configured)  # a second worker: a new app, its own memory, the same Redis
    answers += [_try(Browser(second.test_client()), valid_edrpou(n + 10)).status_code for n in range(5)]
    for flask_app in (first, second):
        flask_app.extensions["backoffice.db"].dispose()
    assert answers[:10] == [200] * 10 and answers[10] == 429
