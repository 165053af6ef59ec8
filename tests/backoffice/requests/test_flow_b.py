"""Flow B's cabinet lists appeals and requests among its sections (``selfreg.sections``), once there is one; a
Flow B account has no application, so its requests are unrouted and every operator sees them."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.requests.models import CustomerRequest
from backoffice.settings import Settings
from tests.backoffice.selfreg.conftest import (  # noqa: F401 - fixtures by name
    PASSWORD,
    People,
    flow_app,
    flow_settings,
    people,
)


def test_a_flow_b_customer_writes_and_the_section_appears(
    flow_app: Flask, flow_settings: Settings, people: People, session: Session
) -> None:
    reg = people.confirmed(email="ivanov@example.com")
    session.commit()

    client = flow_app.test_client()  # CSRF is off in Flow B's page tests
    assert client.post("/account/login", data={"login": reg.identifier, "password": PASSWORD}).status_code == 302
    cabinet = client.get("/account?lang=en").get_data(as_text=True)
    assert 'id="write-appeal"' in cabinet and 'id="write-request"' in cabinet
    assert 'id="section-appeals"' not in cabinet  # no content yet

    sent = client.post("/account/appeals/new", data={"kind": "appeal", "subject": "Счёт", "text": "Прошу проверить."})
    assert sent.status_code == 302
    req = session.scalars(select(CustomerRequest)).one()
    assert req.center_id is None  # unrouted: every operator may take it
    cabinet = client.get("/account").get_data(as_text=True)
    assert 'id="selfreg-sections"' in cabinet and 'id="section-appeals"' in cabinet
    assert cabinet.count('id="section-appeals"') == 1  # listed once, by Flow B's sections
    assert 'id="section-requests"' not in cabinet
