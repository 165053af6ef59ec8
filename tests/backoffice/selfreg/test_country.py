"""Flow B serves its own country: its language, phone numbers and distribution system operator come from
``[self_registration]``, from the signup to the cabinet, whatever Flow A's Ukrainian settings and the browser say."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.customers.models import CustomerAccount
from backoffice.database import Database
from backoffice.letters.models import OutboxMessage
from backoffice.settings import Settings
from backoffice.web import limiter
from tests.backoffice.selfreg.conftest import PASSWORD, valid_snils
from tests.conftest import app_on

UKRAINIAN_BROWSER = {"Accept-Language": "uk-UA,uk;q=0.9"}
UKRAINIAN_DSO_RULE = "Commercial Metering Code"


@pytest.fixture
def dso_app(flow_settings: Settings, db: Database) -> Iterator[Flask]:
    """Flow B with a distribution system operator of its own."""
    app = app_on(flow_settings.replace(self_registration={"dso_url": "https://grid.example.ru/"}), db)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    with app.app_context():
        limiter.reset()
    yield app
    app.extensions["backoffice.db"].dispose()


def _signed_up(client: FlaskClient, session: Session, n: int) -> str:
    """Register a SNILS through the pages, confirm it from the letter, log in; the login."""
    snils = valid_snils(n)
    data = {
        "kind": "individual", "identifier": snils, "name": "Смирнова Анна Сергеевна", "email": f"anna{n}@example.com",
        "password": PASSWORD, "password_again": PASSWORD, "consent": "y",
    }
    signup = client.get("/signup?kind=individual", headers=UKRAINIAN_BROWSER).get_data(as_text=True)
    assert '<html lang="ru">' in signup
    assert client.post("/signup?kind=individual", data=data, headers=UKRAINIAN_BROWSER).status_code == 302
    letter = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert letter is not None
    link = "/" + str(letter.context["link"]).split("/", 3)[3]
    assert 'id="selfreg-confirmed"' in client.post(link, headers=UKRAINIAN_BROWSER).get_data(as_text=True)
    login = client.get("/account/login", headers=UKRAINIAN_BROWSER).get_data(as_text=True)
    assert '<html lang="ru">' in login  # the login page of a person who came through Flow B
    logged = client.post("/account/login", data={"login": snils, "password": PASSWORD}, headers=UKRAINIAN_BROWSER)
    assert logged.status_code == 302
    return snils


def test_signup_and_cabinet_stay_in_flow_bs_language_and_country(flow_app: Flask, session: Session) -> None:
    client = flow_app.test_client()
    snils = _signed_up(client, session, 71)
    cabinet = client.get("/account", headers=UKRAINIAN_BROWSER).get_data(as_text=True)
    assert '<html lang="ru">' in cabinet and 'id="selfreg-identifier">' + snils in cabinet
    assert "8 (912) 345-67-89" in cabinet and "050 123 4567" not in cabinet  # Russia's numbers, not Ukraine's
    assert 'id="dso-notice"' not in cabinet  # no operator set for Flow B: the Ukrainian notice is not its
    assert client.post("/account/phone", data={"phone": "8 912 345-67-89"}).status_code == 302
    account = session.scalars(select(CustomerAccount).where(CustomerAccount.login == snils)).one()
    session.refresh(account)
    assert account.phone == "+79123456789"
    # The person's own choice still wins, and is kept.
    assert '<html lang="en">' in client.get("/account?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in client.get("/signup").get_data(as_text=True)


def test_flow_bs_own_operator_is_named_without_the_ukrainian_rule(dso_app: Flask, session: Session) -> None:
    client = dso_app.test_client()
    _signed_up(client, session, 72)
    cabinet = client.get("/account").get_data(as_text=True)
    assert 'href="https://grid.example.ru/" id="dso-link"' in cabinet
    assert "сетевая организация" in cabinet and UKRAINIAN_DSO_RULE not in cabinet


def test_flow_a_pages_keep_the_sites_language_where_flow_b_runs(flow_app: Flask) -> None:
    client = flow_app.test_client()
    for path in ("/company", "/account/login", "/status"):
        assert '<html lang="uk">' in client.get(path, headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert '<html lang="uk">' in client.get("/staff/login", headers=UKRAINIAN_BROWSER).get_data(as_text=True)


def test_flow_bs_language_is_a_setting(flow_settings: Settings, db: Database) -> None:
    app = app_on(flow_settings.replace(self_registration={"language": "en"}), db)
    try:
        page = app.test_client().get("/signup", headers=UKRAINIAN_BROWSER).get_data(as_text=True)
        assert '<html lang="en">' in page
    finally:
        app.extensions["backoffice.db"].dispose()
