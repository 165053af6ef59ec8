"""Flow B's cabinet pages (meters, connection applications, a request's page), in each of their states, have no
violation of the WCAG 2.1 A and AA rules (axe-core) and start with their skip link. The set-up is the one of
tests/browser/test_cabinet_meters.py and test_cabinet_requests.py; axe-core as in customer_fixtures.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.database import Database
from backoffice.meters import services as meters
from backoffice.meters.models import Meter
from tests.backoffice.selfreg.conftest import PASSWORD, People
from tests.browser.customer_fixtures import axe_violations, send, send_with_errors
from tests.browser.selfreg_fixtures import FlowB, flow_b, flow_b_smtp, settings  # noqa: F401 - fixtures by name

pytestmark = pytest.mark.browser
PLANNED = (date.today() + timedelta(days=30)).isoformat()


@pytest.fixture
def axe_page(_browser: Any) -> Iterator[Any]:
    """A page that lets the test inject axe-core (an inline script the CSP would stop)."""
    context = _browser.new_context(locale="en-US", viewport={"width": 1400, "height": 1000}, bypass_csp=True)
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def visit(request: pytest.FixtureRequest, db: Database, axe_page: Any) -> tuple[Any, FlowB]:
    # ``db`` by name: the live server must see what the test commits.
    return axe_page, request.getfixturevalue("flow_b")


def test_every_flow_b_cabinet_page_passes_axe(visit: tuple[Any, FlowB], session: Session) -> None:
    page, site = visit
    reg = People(session, site.settings).confirmed(email="ivanov@example.com")
    session.commit()
    found: dict[str, list[dict[str, Any]]] = {}

    def scan(name: str, path: str | None = None) -> None:
        if path is not None:
            page.goto(site.url + path)
        page.wait_for_load_state()
        found[name] = axe_violations(page)
        if page.locator("a.skip-link[href='#main']").count() != 1 or page.locator("main#main").count() != 1:
            found[name].append({"id": "no skip link to main"})

    page.goto(site.url + "/account/login?lang=en")
    page.get_by_label("Login").fill(reg.identifier)
    page.get_by_label("Password").fill(PASSWORD)
    send(page, "Log in")
    page.wait_for_url(re.compile(r"/account$"))
    scan("cabinet")
    scan("services", "/account/services")

    # Meters: empty, the add form and its errors, a meter without readings, with history and chart, the
    # confirmation step of an implausible jump, a refused reading, a request about the meter.
    scan("meters: empty", "/account/meters")
    scan("add a meter", "/account/meters/new")
    send_with_errors(page, "Add the meter")
    scan("add a meter: errors")
    page.get_by_label("Single-phase").check()
    page.locator("#serial").fill("0123456")
    page.locator("#place").fill("Flat")
    page.locator("#zones").select_option("1")
    page.locator("#digits").fill("6")
    page.locator("#verified_on").fill("2024-01-15")
    send(page, "Add the meter")
    page.wait_for_url(re.compile(r"/account/meters/\d+$"))
    meter_url = page.url
    scan("meter: no readings")
    send_with_errors(page, "Send the readings")
    scan("meter: readings errors")
    session.expire_all()
    meter = session.scalars(select(Meter)).one()
    today = date.today()
    for months, value in ((3, "1000"), (2, "1100"), (1, "1200")):
        day = today - timedelta(days=30 * months)
        meters.submit_readings(session, site.settings, meter, {1: value}, today=day)
    session.commit()
    page.goto(meter_url)
    scan("meter: history and chart")
    page.locator("#zone_1").fill("1900")
    send(page, "Send the readings")
    page.wait_for_selector("#confirm-jump")
    scan("meter: are you sure?")
    page.locator("#confirmed").check()
    send(page, "Confirm and send")
    page.wait_for_selector("#history")
    scan("meter: awaiting the check")
    page.locator("#zone_1").fill("900")
    send_with_errors(page, "Send the readings")
    scan("meter: lower reading refused")
    with page.expect_navigation():
        page.locator("#ask-meter_replacement").click()
    scan("meter request")
    scan("meters: with items", "/account/meters")
    page.goto(meter_url)
    scan("meter: with its requests")

    # Connection applications: empty, each form and its errors, one sent, the list with it.
    scan("connections: empty", "/account/connections")
    for utility in ("electricity", "water", "heat"):
        scan(f"connection form: {utility}", f"/account/connections/new/{utility}")
        send_with_errors(page, "Send the application")
        scan(f"connection form: {utility}: errors")
    page.locator("#object_name").fill("Office")
    page.locator("#address").fill("Tver, Warm street, 3")
    page.locator("#heating_load").fill("0.3")
    page.locator("#ventilation_load").fill("0")
    page.locator("#hot_water_load").fill("0.05")
    page.locator("#planned_date").fill(PLANNED)
    send(page, "Send the application")
    page.wait_for_url(re.compile(r"/account/requests/\d+"))
    scan("connection application sent")
    scan("connections: with items", "/account/connections")
    scan("requests: empty", "/account/requests")

    assert {name: v for name, v in found.items() if v} == {}
    assert len(found) >= 24
