"""Fixtures of Flow B's browser tests, on top of the browser conftest (``live_server``, ``browser_page``).

``settings`` is overridden for the modules that import it: Flow B on, and letters sent over SMTP to a real server
on loopback (aiosmtpd, the letters' tests' server). ``flow_b`` gives the running site and its mail. The links in
the letters are built from ``[site] base_url``; the test server listens on a port chosen when it starts, so a link
is followed by its path on that server (the token in it is the letter's).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest

from backoffice.database import Database
from backoffice.scheduler import sender
from backoffice.settings import Settings
from backoffice.web import limiter
from tests.backoffice.letters.smtpserver import SmtpServer

LINK = re.compile(r"https?://\S+/signup/confirm/[A-Za-z0-9_\-]+")


@pytest.fixture
def flow_b_smtp() -> Iterator[SmtpServer]:
    smtp = SmtpServer().start()
    try:
        yield smtp
    finally:
        smtp.stop()


@pytest.fixture
def settings(settings: Settings, flow_b_smtp: SmtpServer) -> Settings:
    """Flow B with its letters over SMTP, and the meter readings' window open every day of the month, so a walk
    through the cabinet does not depend on the date it runs."""
    return settings.replace(
        flows={"self_registration": True},
        mail={"transport": "smtp", "sender": "Личный кабинет <noreply@example.org>"},
        smtp={"host": "127.0.0.1", "port": flow_b_smtp.port, "security": "none", "timeout_seconds": 5},
        cabinet={"readings_from_day": 1},
    )


@dataclass
class FlowB:
    """The running site and its mail: ``url`` to open, ``link_to(address)`` delivers and reads the newest link."""

    url: str
    settings: Settings
    db: Database
    smtp: SmtpServer

    def deliver(self) -> None:
        report = sender.deliver_due(self.db, self.settings)
        assert not report.failed, report

    def letters_to(self, address: str) -> list[Any]:
        self.deliver()
        return [r.message for r in self.smtp.received if address in r.rcpt_tos]

    def link_to(self, address: str) -> str:
        """The confirmation link of the newest letter to ``address``, read from its text part, on this server."""
        letters = self.letters_to(address)
        assert letters, f"no letter to {address}"
        text = letters[-1].get_body(preferencelist=("plain",)).get_content()
        match = LINK.search(text)
        assert match, text
        return self.url + urlsplit(match.group(0)).path


@pytest.fixture
def flow_b(live_server: str, app: Any, settings: Settings, db: Database, flow_b_smtp: SmtpServer) -> FlowB:
    with app.app_context():
        limiter.reset()  # the rate limits count per process: each test starts with none
    return FlowB(live_server, settings, db, flow_b_smtp)
