"""Fixtures of the customer pages' tests: an application waiting for its code, and a client that posts forms."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from backoffice.applications import codes
from backoffice.applications.models import Application, RegistrationCode
from backoffice.settings import Settings
from tests.conftest import app_on
from tests.factories import Factory
from workflows.accession import AccessionState

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')
PASSWORD = "Blue-Rivers-Sing-2026"


@dataclass
class Issued:
    """An application in "code issued" with the clear code its letter shows."""

    app: Application
    code: str

    @property
    def identifier(self) -> str:
        return self.app.identifier


def clear_code(session: Session, settings: Settings, app: Application) -> str:
    row = session.scalars(
        select(RegistrationCode).where(RegistrationCode.application_id == app.id).order_by(RegistrationCode.id.desc())
    ).first()
    assert row is not None
    return codes.derive(settings.code_key, row.nonce)


@pytest.fixture
def app(settings: Settings, db: Any) -> Iterator[Flask]:
    """The shared ``app`` fixture, with its connection pool closed afterwards (PostgreSQL warns otherwise)."""
    flask_app = app_on(settings, db)
    flask_app.config.update(TESTING=True)
    yield flask_app
    flask_app.extensions["backoffice.db"].dispose()


@pytest.fixture
def issued(make: Factory, session: Session, settings: Settings) -> Issued:
    app = make.application(AccessionState.CODE_ISSUED)
    session.commit()
    return Issued(app, clear_code(session, settings, app))


class Browser:
    """A test client that reads the CSRF token from the page it got, as a browser form would send it."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        self._in_english()
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict[str, str], *, form_page: str | None = None, **kwargs: Any) -> TestResponse:
        page = self.get(form_page or path)
        match = CSRF.search(page.get_data(as_text=True))
        assert match, "no CSRF token on " + (form_page or path)
        token = match.group(1) or match.group(2)
        self._in_english()
        return self.client.post(path, data={"csrf_token": token, **data}, **kwargs)

    def _in_english(self) -> None:
        """English, as a customer who chose it on the page (the browser's language never switches the pages);
        chosen again before every request, since logging out clears the session."""
        with self.client.session_transaction() as session:
            session["lang"] = "en"


@pytest.fixture
def browser(app: Flask) -> Browser:
    return Browser(app.test_client())


def registration(issued: Issued, **overrides: str) -> dict[str, str]:
    return {
        "code": issued.code,
        "identifier": issued.identifier,
        "login": "firma.one",
        "password": PASSWORD,
        "password_again": PASSWORD,
        **overrides,
    }
