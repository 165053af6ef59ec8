"""A supervisor finds a Flow B registration in the back office and confirms it by hand, in real Chromium; the
person can log in afterwards."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from backoffice.database import Database
from backoffice.selfreg.models import PersonKind
from backoffice.staff.models import Operator
from tests.backoffice.selfreg.conftest import PASSWORD, PASSWORD_HASH, People
from tests.browser.selfreg_fixtures import FlowB, flow_b, flow_b_smtp, settings  # noqa: F401 - fixtures by name
from workflows.roles import Role

pytestmark = pytest.mark.browser


@pytest.fixture
def visit(request: pytest.FixtureRequest, db: Database) -> tuple[Any, FlowB]:
    # ``db`` by name: the live server must see what the test commits, so the test's session commits for real.
    return request.getfixturevalue("browser_page"), request.getfixturevalue("flow_b")


def test_supervisor_searches_and_confirms_by_hand(visit: tuple[Any, FlowB], session: Session) -> None:
    page, site = visit
    people = People(session, site.settings)
    people.register(PersonKind.LEGAL_ENTITY, name="ООО «Первый»", email="first@example.com")
    target = people.register(PersonKind.LEGAL_ENTITY, name="ООО «Второй»", email="second@example.com")
    session.add(Operator(login="chief", full_name="Старший смены", role=Role.SUPERVISOR, password_hash=PASSWORD_HASH))
    session.commit()

    page.goto(site.url + "/staff/login?lang=en")
    page.get_by_label("Login").fill("chief")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(site.url + "/admin/self-registrations/")
    page.get_by_test_id("selfreg-search").fill("second@")
    page.get_by_test_id("selfreg-filter").click()
    rows = page.locator("[data-testid=selfreg-list] tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("ООО «Второй»")
    rows.first.get_by_role("link", name=target.identifier).click()

    page.get_by_test_id("reason-manual_confirm").fill("Выписка ЕГРЮЛ проверена")
    page.get_by_test_id("act-manual_confirm").click()
    expect(page.locator(".badge").filter(has_text="Active")).to_have_count(1)
    assert "Выписка ЕГРЮЛ проверена" in page.get_by_test_id("history").inner_text()

    customer = page.context.browser.new_context(locale="en-US")  # the customer's own browser
    person = customer.new_page()
    try:
        person.goto(site.url + "/account/login?lang=en")
        person.get_by_label("Login").fill(target.identifier)
        person.get_by_label("Password").fill(PASSWORD)
        person.get_by_role("button", name="Log in").click()
        person.wait_for_url(re.compile(r"/account$"))
        assert person.locator("#selfreg-identifier").inner_text() == target.identifier
    finally:
        customer.close()
