"""A Flow B customer, in real Chromium, adds a meter, submits two readings (the second refused as lower) and asks
for the meter's replacement; an operator answers it in the back office's queue, and the customer reads the answer."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.database import Database
from backoffice.requests.models import CustomerRequest, RequestKind
from backoffice.staff.models import Operator, ServiceCenter
from tests.backoffice.selfreg.conftest import PASSWORD, PASSWORD_HASH, People
from tests.browser.selfreg_fixtures import FlowB, flow_b, flow_b_smtp, settings  # noqa: F401 - fixtures by name
from workflows.roles import Role

pytestmark = pytest.mark.browser


@pytest.fixture
def visit(request: pytest.FixtureRequest, db: Database) -> tuple[Any, FlowB]:
    return request.getfixturevalue("browser_page"), request.getfixturevalue("flow_b")


def test_a_customer_submits_readings_and_asks_for_a_replacement(visit: tuple[Any, FlowB], session: Session) -> None:
    page, site = visit
    reg = People(session, site.settings).confirmed(email="ivanov@example.com")
    center = ServiceCenter(code="msk", name="Москва")
    session.add(center)
    session.flush()
    session.add(
        Operator(login="op", full_name="Оператор", role=Role.OPERATOR, center_id=center.id, password_hash=PASSWORD_HASH)
    )
    session.commit()

    page.goto(site.url + "/account/login?lang=en")
    page.get_by_label("Login").fill(reg.identifier)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    page.locator("#section-meters").click()
    page.locator("#add-meter").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Add the meter").click()
    expect(page.get_by_test_id("error-summary")).to_contain_text("Write the meter's serial number")

    page.get_by_label("Single-phase").check()
    page.locator("#serial").fill("0123456")
    page.locator("#place").fill("Квартира")
    page.locator("#zones").select_option("1")
    page.locator("#digits").fill("6")
    page.locator("#verified_on").fill("2024-01-15")
    with page.expect_navigation():
        page.get_by_role("button", name="Add the meter").click()
    expect(page.locator("h1")).to_contain_text("0123456")

    page.locator("#zone_1").fill("1000")
    with page.expect_navigation():
        page.locator("#send-readings").click()
    expect(page.locator("#history")).to_contain_text("Counted")
    page.locator("#zone_1").fill("900")
    with page.expect_navigation():
        page.locator("#send-readings").click()
    expect(page.get_by_test_id("error-summary")).to_contain_text("below the last reading, 1000")
    expect(page.locator("#history tbody tr")).to_have_count(1)

    with page.expect_navigation():
        page.locator("#ask-meter_replacement").click()
    req = session.scalars(select(CustomerRequest).where(CustomerRequest.kind == RequestKind.METER_REPLACEMENT)).one()
    expect(page.locator("h1")).to_contain_text(str(req.number))

    staff = page.context.browser.new_context(locale="en-US")
    desk = staff.new_page()
    try:
        desk.goto(site.url + "/staff/login?lang=en")
        desk.get_by_label("Login").fill("op")
        desk.get_by_label("Password").fill(PASSWORD)
        with desk.expect_navigation():
            desk.get_by_role("button", name="Log in").click()
        desk.goto(site.url + "/admin/requests/")
        with desk.expect_navigation():
            desk.get_by_role("link", name=str(req.number)).click()
        expect(desk.get_by_test_id("detail-meter")).to_have_text("0123456")
        with desk.expect_navigation():
            desk.get_by_test_id("act-take").click()
        desk.locator("#text").fill("Замена назначена на 12 мая, с 9 до 13.")
        with desk.expect_navigation():
            desk.get_by_test_id("act-report_done").click()
        expect(desk.get_by_test_id("actions")).not_to_contain_text("Take into work")
    finally:
        staff.close()

    page.reload()
    expect(page.locator("#state")).to_contain_text(re.compile("Answered", re.I))
    expect(page.locator("body")).to_contain_text("Замена назначена на 12 мая")
