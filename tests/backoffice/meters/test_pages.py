"""The meters' pages of a Flow B cabinet: the section, «Добавить ПУ» with every problem listed, readings with a
lower one refused and the jump's confirmation step, the chart and the requests about a meter."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.database import Database
from backoffice.meters.models import Meter, ReadingStatus
from backoffice.requests.models import CustomerRequest, RequestKind
from backoffice.settings import Settings
from backoffice.web.throttle import limiter
from tests.backoffice.selfreg.conftest import PASSWORD, People, people  # noqa: F401 - fixtures by name
from tests.conftest import app_on


@pytest.fixture
def flow_settings(settings: Settings) -> Settings:
    """Flow B, with the readings' window open every day of the month."""
    return settings.replace(flows={"self_registration": True}, cabinet={"readings_from_day": 1})


@pytest.fixture
def flow_app(flow_settings: Settings, db: Database) -> Iterator[Flask]:
    app = app_on(flow_settings, db)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    with app.app_context():
        limiter.reset()
    yield app
    app.extensions["backoffice.db"].dispose()


@pytest.fixture
def client(flow_app: Flask, flow_settings: Settings, people: People, session: Session) -> FlaskClient:
    reg = people.confirmed(email="ivanov@example.com")
    session.commit()
    client = flow_app.test_client()
    assert client.post("/account/login", data={"login": reg.identifier, "password": PASSWORD}).status_code == 302
    return client


def test_a_customer_adds_a_meter_and_submits_readings(client: FlaskClient, session: Session) -> None:
    cabinet = client.get("/account?lang=en").get_data(as_text=True)
    assert 'id="section-meters"' in cabinet  # always there in Flow B
    wrong = client.post("/account/meters/new", data={"zones": "7"}).get_data(as_text=True)
    assert wrong.count("<li>") >= 5 and "error-summary" in wrong
    added = client.post(
        "/account/meters/new",
        data={
            "type": "single_phase",
            "serial": "0123456",
            "place": "Квартира",
            "zones": "1",
            "digits": "6",
            "verified_on": "2024-01-15",
        },
    )
    assert added.status_code == 302
    meter = session.scalars(select(Meter)).one()
    page = f"/account/meters/{meter.id}"
    assert client.post(page, data={"zone_1": "1000"}).status_code == 302
    refused = client.post(page, data={"zone_1": "900"}).get_data(as_text=True)
    assert "below the last reading" in refused
    assert client.post(page, data={"zone_1": "1100"}).status_code == 302
    asked = client.post(page, data={"zone_1": "2000"}).get_data(as_text=True)
    assert 'id="confirm-jump"' in asked
    assert client.post(page, data={"zone_1": "2000", "step": "confirm", "confirmed": "y"}).status_code == 302
    session.expire_all()
    assert [r.status for r in session.scalars(select(Meter)).one().readings][-1] == ReadingStatus.AWAITING_CHECK
    shown = client.get(page).get_data(as_text=True)
    assert "<svg" in shown and 'id="consumption"' in shown and 'id="history"' in shown

    sent = client.post(f"{page}/ask", data={"kind": "meter_replacement"})
    assert sent.status_code == 302
    kinds = set(session.scalars(select(CustomerRequest.kind)))
    assert kinds == {RequestKind.READING_CHECK, RequestKind.METER_REPLACEMENT}
    assert client.get(sent.headers["Location"]).status_code == 200


def test_another_accounts_meter_does_not_exist(client: FlaskClient) -> None:
    assert client.get("/account/meters/999").status_code == 404
