"""A Flow B customer, in real Chromium, files a connection application to each utility, writes an appeal and a
request and asks for a document copy; an operator answers each in the back office; the customer reads the
answers, downloads the copy (an audit row) and sees each cabinet section appear with its first item."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.audit.models import AuditEvent
from backoffice.database import Database
from backoffice.requests.models import CustomerRequest, RequestKind
from backoffice.staff.models import Operator, ServiceCenter
from tests.backoffice.selfreg.conftest import PASSWORD, PASSWORD_HASH, People
from tests.browser.selfreg_fixtures import FlowB, flow_b, flow_b_smtp, settings  # noqa: F401 - fixtures by name
from workflows.request_states import RequestState
from workflows.roles import Role

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PLANNED = (date.today() + timedelta(days=30)).isoformat()


@pytest.fixture
def visit(request: pytest.FixtureRequest, db: Database) -> tuple[Any, FlowB]:
    # ``db`` by name: the live server must see what the test commits, so the test's session commits for real.
    return request.getfixturevalue("browser_page"), request.getfixturevalue("flow_b")


def _sections(page: Any) -> set[str]:
    page.goto(page.url.split("/account", 1)[0] + "/account?lang=en")
    ids = page.locator("#selfreg-sections a").evaluate_all("links => links.map(a => a.id)")
    return {i.removeprefix("section-") for i in ids}


def _send(page: Any, button: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()
    expect(page.locator(".flash-success")).to_contain_text("Your number is")


def test_a_customer_asks_staff_answer_the_customer_reads(
    visit: tuple[Any, FlowB], session: Session, tmp_path: Any
) -> None:
    page, site = visit
    people = People(session, site.settings)
    reg = people.confirmed(email="ivanov@example.com")
    center = ServiceCenter(name="Центр", code="C1")
    session.add(center)
    session.add(
        Operator(login="oper", full_name="Оператор", role=Role.OPERATOR, password_hash=PASSWORD_HASH, center=center)
    )
    session.commit()

    page.goto(site.url + "/account/login?lang=en")
    page.get_by_label("Login").fill(reg.identifier)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/account$"))
    # The services and the meters are always there; the profile is the cabinet's own block.
    assert _sections(page) == {"services", "meters"}
    expect(page.locator("#selfreg-profile")).to_be_visible()

    def catalogue(link: str) -> None:
        page.goto(site.url + "/account/services")
        page.locator(f"#{link}").click()

    catalogue("connect-electricity")
    page.locator("#installation_name").fill("Мастерская №2")
    page.locator("#address").fill("г. Тверь, ул. Заводская, 5")
    page.locator("#max_power_kw").fill("150")
    page.locator("#connected_power_kw").fill("0")
    page.locator("#voltage").select_option("10 kV")
    page.locator("#reliability").select_option("III")
    page.locator("#planned_date").fill(PLANNED)
    _send(page, "Send the application")
    assert "connection_applications" in _sections(page)

    catalogue("connect-water")
    page.locator("#object_name").fill("Склад")
    page.locator("#address").fill("г. Тверь, ул. Речная, 1")
    page.locator("#cadastral_number").fill("1234567890:01:002")  # not whole: refused, with the other problems
    page.locator("#water_load").fill("12.5")
    with page.expect_navigation():
        page.get_by_role("button", name="Send the application").click()
    summary = page.get_by_test_id("error-summary")
    expect(summary).to_contain_text("1234567890:01:002:0003")
    expect(summary).to_contain_text("Write a number")
    page.locator("#cadastral_number").fill("1234567890:01:002:0003")
    page.locator("#wastewater_load").fill("10")
    _send(page, "Send the application")

    catalogue("connect-heat")
    page.locator("#object_name").fill("Офис")
    page.locator("#address").fill("г. Тверь, ул. Тёплая, 3")
    page.locator("#heating_load").fill("0.3")
    page.locator("#ventilation_load").fill("0")
    page.locator("#hot_water_load").fill("0.05")
    page.locator("#planned_date").fill(PLANNED)
    _send(page, "Send the application")
    assert "appeals" not in _sections(page)

    catalogue("service-appeal")
    page.get_by_label("Appeal", exact=True).check()
    page.locator("#subject").fill("Счёт за май")
    page.locator("#text").fill("Прошу проверить счёт.")
    _send(page, "Send")
    assert {"appeals", "connection_applications"} <= _sections(page)
    assert "requests" not in _sections(page)

    catalogue("service-request")
    page.locator("#subject").fill("Тариф")
    page.locator("#text").fill("Какой тариф действует?")
    _send(page, "Send")
    assert "requests" in _sections(page) and "documents" not in _sections(page)

    catalogue("service-documents")
    page.get_by_label("Contract").check()
    page.locator("#period").fill("2026")
    _send(page, "Ask for the copies")
    assert _sections(page) == {"services", "meters", "connection_applications", "appeals", "requests", "documents"}

    session.expire_all()
    reqs = {r.kind: r for r in session.scalars(select(CustomerRequest))}
    assert len(reqs) == 6

    staff = page.context.browser.new_context(locale="en-US")
    operator = staff.new_page()
    pdf = tmp_path / "contract.pdf"
    pdf.write_bytes(PDF)
    answers = {
        RequestKind.CONNECTION_ELECTRICITY: ("issue_conditions", "ТУ на электроснабжение."),
        RequestKind.CONNECTION_WATER: ("issue_conditions", "ТУ на водоснабжение."),
        RequestKind.CONNECTION_HEAT: ("issue_conditions", "ТУ на теплоснабжение."),
        RequestKind.APPEAL: ("answer", "Счёт пересчитан."),
        RequestKind.INFORMATION: ("answer", "Одноставочный тариф."),
        RequestKind.DOCUMENT_COPY: ("send_copies", "Копия договора."),
    }
    try:
        operator.goto(site.url + "/staff/login?lang=en")
        operator.get_by_label("Login").fill("oper")
        operator.get_by_label("Password").fill(PASSWORD)
        operator.get_by_role("button", name="Log in").click()
        operator.goto(site.url + "/admin/requests/")
        for kind, (trigger, text) in answers.items():
            req = reqs[kind]
            expect(operator.locator("body")).to_contain_text(req.number)
            operator.goto(f"{site.url}/admin/requests/{req.id}")
            operator.locator("#text").fill(text)
            if trigger == "send_copies":
                operator.locator("#files").set_input_files(str(pdf))
            with operator.expect_navigation():
                operator.get_by_test_id(f"act-{trigger}").click()
            expect(operator.locator("[data-testid=actions]")).not_to_contain_text(text)
    finally:
        staff.close()

    session.expire_all()
    for kind, (_trigger, text) in answers.items():
        req = session.get(CustomerRequest, reqs[kind].id)
        assert req is not None and req.state == RequestState.ANSWERED, kind
        page.goto(f"{site.url}/account/requests/{req.id}?lang=en")
        expect(page.locator("#thread")).to_contain_text(text)

    document = reqs[RequestKind.DOCUMENT_COPY]
    page.goto(f"{site.url}/account/documents")
    page.get_by_role("link", name=document.number).click()
    with page.expect_download() as got:
        page.get_by_role("link", name="contract.pdf").click()
    assert got.value.suggested_filename == "contract.pdf"
    assert Path(got.value.path()).read_bytes() == PDF
    session.expire_all()
    audited = session.scalars(
        select(AuditEvent).where(AuditEvent.subject_id == document.id, AuditEvent.action == "download")
    ).all()
    assert len(audited) == 1
