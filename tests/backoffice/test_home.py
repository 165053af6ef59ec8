"""The front page sends each visitor where they need to go, in Ukrainian unless they chose otherwise."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from backoffice.database import Database
from backoffice.settings import Settings
from tests.conftest import app_on


def test_front_page_links(client: FlaskClient) -> None:
    page = client.get("/?lang=en").get_data(as_text=True)
    for href in ('href="/company"', 'href="/account/login"', 'href="/status"', 'href="/staff/login"'):
        assert href in page
    assert 'href="/signup"' not in page  # Flow B is off by default


def test_front_page_offers_self_registration_where_flow_b_runs(settings: Settings, db: Database) -> None:
    app: Flask = app_on(settings.replace(flows={"self_registration": True}), db)
    try:
        page = app.test_client().get("/").get_data(as_text=True)
        assert 'href="/signup"' in page
    finally:
        app.extensions["backoffice.db"].dispose()
