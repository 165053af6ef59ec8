from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from backoffice.letters import render
from backoffice.settings import Settings
from tests.backoffice.letters.smtpserver import SmtpServer

SENDER = "Особистий кабінет <noreply@example.org>"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    try:
        yield server
    finally:
        server.stop()


def smtp_settings(settings: Settings, server: SmtpServer, **smtp: object) -> Settings:
    return settings.replace(
        mail={"transport": "smtp", "sender": SENDER},
        smtp={"host": "127.0.0.1", "port": server.port, "security": "none", "timeout_seconds": 5, **smtp},
    )


@pytest.fixture
def uk_catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A small Ukrainian catalogue, as the translators will fill it in, to see the language chosen by gettext."""
    catalog = Catalog(locale="uk")
    catalog.add("Your application %(number)s has been rejected", "Вашу заяву %(number)s відхилено")
    catalog.add("Hello,", "Добрий день!")
    folder = tmp_path / "catalogues" / "uk" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.mo").open("wb") as fh:
        write_mo(fh, catalog)
    monkeypatch.setattr(render, "CATALOGUES", tmp_path / "catalogues")
