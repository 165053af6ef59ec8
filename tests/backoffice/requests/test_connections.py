"""Connection applications (issue 19, item 3) as a Flow B customer files them: a form per utility whose every
problem is listed at once, and a valid application of each utility in the staff's queue with its details; the
catalogue of services opens each form, and the section appears with the first application."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.requests import connections
from backoffice.requests.models import CustomerRequest, RequestKind
from backoffice.settings import Settings
from tests.backoffice.admin.conftest import Staff, login, password_hash, staff  # noqa: F401 - fixtures by name
from tests.backoffice.requests.test_requests import PDF
from tests.backoffice.selfreg.conftest import (  # noqa: F401 - fixtures by name
    PASSWORD,
    People,
    flow_app,
    flow_settings,
    people,
)
from tests.services import fresh_limits  # noqa: F401 - fixture by name
from workflows.request_states import RequestState

TOMORROW = (date.today() + timedelta(days=2)).isoformat()
YESTERDAY = (date.today() - timedelta(days=2)).isoformat()

VALID = {
    "electricity": {
        "installation_name": "Мастерская №2",
        "address": "г. Тверь, ул. Заводская, 5",
        "max_power_kw": "150",
        "connected_power_kw": "0",
        "voltage": "10 kV",
        "reliability": "III",
        "planned_date": TOMORROW,
    },
    "water": {
        "object_name": "Склад",
        "address": "г. Тверь, ул. Речная, 1",
        "cadastral_number": "1234567890:01:002:0003",
        "water_load": "12,5",
        "wastewater_load": "10",
    },
    "heat": {
        "object_name": "Офис",
        "address": "г. Тверь, ул. Тёплая, 3",
        "heating_load": "0.3",
        "ventilation_load": "0",
        "hot_water_load": "0.05",
        "planned_date": TOMORROW,
    },
}


@pytest.fixture(autouse=True)
def _fresh_limits(fresh_limits: None) -> None:
    """Every test logs people in."""


def flow_b_customer(flow_app: Flask, flow_settings: Settings, people: People, session: Session) -> FlaskClient:
    reg = people.confirmed(email=f"person{people.n + 1}@example.com")
    session.commit()
    client = flow_app.test_client()  # CSRF is off in Flow B's page tests
    with client.session_transaction() as s:
        s["lang"] = "en"
    assert client.post("/account/login", data={"login": reg.identifier, "password": PASSWORD}).status_code == 302
    return client


def test_each_form_lists_every_problem_at_once(
    flow_app: Flask, flow_settings: Settings, people: People, session: Session
) -> None:
    client = flow_b_customer(flow_app, flow_settings, people, session)
    cases = {
        "electricity": (
            {"max_power_kw": "0", "connected_power_kw": "-1", "voltage": "220 V", "planned_date": YESTERDAY},
            [
                "Write the name of the power-receiving installation",
                "Write the address",
                "Must be more than zero",
                "Must not be below zero",
                "Choose the voltage level",
                "Choose the reliability category",
                "The planned date must not be in the past",
            ],
        ),
        "water": (
            {"object_name": "Склад", "cadastral_number": "12345:01", "water_load": "abc", "wastewater_load": "0"},
            [
                "Write the address",
                "A cadastral number looks like 1234567890:01:002:0003",
                "Write a number, such as 15 or 0.5",
                "Must be more than zero",
            ],
        ),
        "heat": (
            {"object_name": "Офис", "address": "x", "heating_load": "0", "ventilation_load": "0",
             "hot_water_load": "0"},
            ["At least one of the heat loads must be more than zero", "Write the planned date"],
        ),
    }
    for utility, (data, messages) in cases.items():
        files = {"files": [(io.BytesIO(b"MZ\x90\x00evil"), "plan.pdf")]}
        response = client.post(
            f"/account/connections/new/{utility}", data={**data, **files}, content_type="multipart/form-data"
        )
        assert response.status_code == 200, utility
        summary = response.get_data(as_text=True).split('id="error-summary"', 1)[1].split("</ul>", 1)[0]
        for message in [*messages, "is not a PDF or a picture"]:
            assert message in summary, (utility, message)
    assert session.scalars(select(CustomerRequest)).all() == []


def test_rules_of_the_fields() -> None:
    today = date(2026, 5, 1)
    assert connections.electricity(VALID["electricity"], today)[2] == []
    _, details, problems = connections.water(VALID["water"], today)
    assert problems == [] and details["water_load"] == "12.5"
    for bad in ("1234567890:1:002:0003", "123456789:01:002:0003", "1234567890-01-002-0003", "1234567890:01:002:00031"):
        assert connections.water({**VALID["water"], "cadastral_number": bad}, today)[2], bad
    _, details, problems = connections.heat({**VALID["heat"], "planned_date": "2026-05-01"}, today)
    assert problems == [] and details["planned_date"] == "2026-05-01"  # today is not the past


def test_a_valid_application_of_each_utility_lands_in_the_queue(
    flow_app: Flask, flow_settings: Settings, people: People, session: Session, staff: Staff, login: object
) -> None:
    client = flow_b_customer(flow_app, flow_settings, people, session)
    cabinet = client.get("/account").get_data(as_text=True)
    assert 'id="section-services"' in cabinet and 'id="section-connection_applications"' not in cabinet
    catalogue = client.get("/account/services").get_data(as_text=True)
    for ident in ("connect-electricity", "connect-water", "connect-heat", "service-appeal", "service-request",
                  "service-documents"):
        assert f'id="{ident}"' in catalogue
    for utility, data in VALID.items():
        assert client.get(f"/account/connections/new/{utility}").status_code == 200
        files = {"files": [(io.BytesIO(PDF), "plan.pdf")]}
        sent = client.post(
            f"/account/connections/new/{utility}",
            data={**data, "text": "Прошу подключить.", **files},
            content_type="multipart/form-data",
        )
        assert sent.status_code == 302, sent.get_data(as_text=True)
    reqs = session.scalars(select(CustomerRequest).order_by(CustomerRequest.id)).all()
    assert [r.kind for r in reqs] == [
        RequestKind.CONNECTION_ELECTRICITY,
        RequestKind.CONNECTION_WATER,
        RequestKind.CONNECTION_HEAT,
    ]
    assert [r.number[:3] for r in reqs] == ["CE-", "CW-", "CH-"]
    assert [r.subject for r in reqs] == ["Мастерская №2", "Склад", "Офис"]
    assert reqs[0].details == {**VALID["electricity"]}
    assert reqs[1].details["cadastral_number"] == "1234567890:01:002:0003"
    assert all(r.messages[0].attachments[0].filename == "plan.pdf" for r in reqs)

    cabinet = client.get("/account").get_data(as_text=True)
    assert cabinet.count('id="section-connection_applications"') == 1
    listed = client.get("/account/connections").get_data(as_text=True)
    for r in reqs:
        assert f'href="/account/requests/{r.id}">{r.number}</a>' in listed
    mine = client.get(f"/account/requests/{reqs[0].id}").get_data(as_text=True)
    assert "10 kV" in mine and "Maximum power requested, kW" in mine

    operator = login(staff.operator_a)  # type: ignore[operator]
    queue = operator.get("/admin/requests/?lang=en").get_data(as_text=True)
    assert all(r.number in queue for r in reqs)
    page = operator.get(f"/admin/requests/{reqs[2].id}").get_data(as_text=True)
    assert 'data-testid="detail-heating_load"' in page and "0.3" in page
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    done = operator.post(
        f"/admin/requests/{reqs[2].id}/act",
        data={"csrf_token": token, "version": str(reqs[2].version), "trigger": "issue_conditions", "text": "ТУ №1."},
    )
    assert done.status_code == 302
    session.expire_all()
    assert session.get(CustomerRequest, reqs[2].id).state == RequestState.ANSWERED  # type: ignore[union-attr]
    assert "ТУ №1." in client.get(f"/account/requests/{reqs[2].id}").get_data(as_text=True)
