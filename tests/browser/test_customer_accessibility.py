"""Every customer page, in each of its states, has no violation of the WCAG 2.1 A and AA rules (axe-core)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.actors import Actor
from backoffice.applications import codes
from backoffice.applications.models import RegistrationCode
from backoffice.letters.models import OutboxMessage
from backoffice.requests import services as requests
from backoffice.requests.models import CustomerRequest, RequestKind
from backoffice.settings import Settings
from tests.browser.customer_fixtures import (  # noqa: F401 - fixtures by name
    axe_page,
    axe_violations,
    customer_chromium,
    customer_page,
    customer_server,
    send,
    send_with_errors,
)
from tests.factories import Factory
from workflows.accession import AccessionState
from workflows.roles import Role

pytestmark = pytest.mark.browser
#: The fixtures (customer_server, customer_page, axe_page, customer_chromium) live there.
PASSWORD = "Blue-Rivers-Sing-2026"


def _letter_path(session: Session, kind: str) -> str:
    session.expire_all()
    letter = session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id.desc())
    ).first()
    assert letter is not None
    return re.sub(r"^https?://[^/]+", "", letter.context["link"])


def test_every_customer_page_passes_axe(
    customer_server: str, axe_page: Any, make: Factory, session: Session, settings: Settings
) -> None:
    app = make.application(AccessionState.CODE_ISSUED)
    other = make.application(AccessionState.AWAITING_CONFIRMATION_CALL)
    session.commit()
    row = session.scalars(select(RegistrationCode).where(RegistrationCode.application_id == app.id)).one()
    code = codes.derive(settings.code_key, row.nonce)
    page = axe_page
    found: dict[str, list[dict[str, Any]]] = {}

    def scan(name: str) -> None:
        page.wait_for_load_state()
        found[name] = axe_violations(page)
        if page.locator("a.skip-link[href='#main']").count() != 1:  # every page starts with its skip link
            found[name].append({"id": "no skip link"})

    def register(code_typed: str, login: str = "firma.one", password: str = PASSWORD) -> None:
        page.get_by_label("Registration code").fill(code_typed)
        page.get_by_label("EDRPOU or RNOKPP").fill(app.identifier)
        page.get_by_label("Login", exact=True).fill(login)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_label("Password again").fill(password)
        with page.expect_navigation():
            page.get_by_role("button", name="Create my login").click()

    for lang in ("uk", "ru", "en"):
        page.goto(f"{customer_server}/?lang={lang}")
        scan(f"front page ({lang})")
        page.goto(f"{customer_server}/company?lang={lang}")
        scan(f"registration form ({lang})")
    page.goto(f"{customer_server}/company?lang=en")
    page.get_by_label("Password", exact=True).press_sequentially("short")
    scan("registration: password feedback")
    register("ABCD-EFGH", login="x", password="short")
    scan("registration: field errors")
    register("ABCD-EFGH-JKMN")
    scan("registration: generic refusal")

    page.goto(f"{customer_server}/status")
    scan("status form")
    page.get_by_label("Application number").fill(other.number)
    page.get_by_label("EDRPOU or RNOKPP").fill(other.identifier)
    with page.expect_navigation():
        page.get_by_role("button", name="Show the status").click()
    scan("status found")
    page.get_by_label("Application number").fill("2026-999999")
    page.get_by_label("EDRPOU or RNOKPP").fill(other.identifier)
    with page.expect_navigation():
        page.get_by_role("button", name="Show the status").click()
    scan("status not found")

    page.goto(f"{customer_server}/company")
    register(code)
    page.wait_for_url(re.compile(r"/account"))
    scan("cabinet")
    page.get_by_label("New email").fill("new@example.com")
    with page.expect_navigation():
        page.get_by_role("button", name="Change email").click()
    scan("cabinet: email waiting for confirmation")
    page.get_by_label("Phone").fill("12")
    with page.expect_navigation():
        page.get_by_role("button", name="Change phone").click()
    scan("cabinet: phone error")
    page.goto(customer_server + _letter_path(session, "email_change"))
    scan("confirm new email")
    page.goto(f"{customer_server}/account/password")
    scan("change password")
    page.get_by_label("Current password").fill("wrong-password-1")
    page.get_by_label("New password", exact=True).fill("Tall-Oaks-Grow-Slowly-42")
    page.get_by_label("New password again").fill("Tall-Oaks-Grow-Slowly-42")
    with page.expect_navigation():
        page.get_by_role("button", name="Change password").click()
    scan("change password: error")
    _scan_requests(page, customer_server, session, settings, scan)

    page.get_by_role("button", name=re.compile("Log out")).click()
    page.wait_for_url(re.compile(r"/account/login"))
    scan("login")
    page.get_by_label("Login", exact=True).fill("firma.one")
    page.get_by_label("Password", exact=True).fill("wrong-password-1")
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    scan("login: wrong password")
    page.goto(f"{customer_server}/account/forgot")
    scan("forgot password")
    page.get_by_label("Login").fill("firma.one")
    with page.expect_navigation():
        page.get_by_role("button", name="Send the link").click()
    scan("forgot password: sent")
    page.goto(customer_server + _letter_path(session, "password_reset"))
    scan("reset password")
    page.goto(f"{customer_server}/account/reset/not-a-token")
    scan("link does not work")

    for _ in range(11):  # past the per-address limit of the status page
        page.goto(f"{customer_server}/status")
        page.get_by_label("Application number").fill("2026-999999")
        page.get_by_label("EDRPOU or RNOKPP").fill(other.identifier)
        with page.expect_navigation():
            page.get_by_role("button", name="Show the status").click()
    assert "Too many attempts" in page.content()
    scan("too many attempts")


    assert {name: v for name, v in found.items() if v} == {}
    assert len(found) >= 40


def _scan_requests(page: Any, server: str, session: Session, settings: Settings, scan: Any) -> None:
    """The Flow A cabinet's services, appeals, requests and documents: empty, with the forms' errors, with items,
    a request's page with its reply form and the reply's error."""
    page.goto(f"{server}/account/services")
    scan("services")
    for key in ("appeals", "requests", "documents"):
        page.goto(f"{server}/account/{key}")
        scan(f"{key}: empty")
    page.goto(f"{server}/account/appeals/new")
    scan("appeal form")
    send_with_errors(page, "Send")
    scan("appeal form: errors")
    page.get_by_label("Appeal", exact=True).check()
    page.locator("#subject").fill("Bill for May")
    page.locator("#text").fill("Please check the bill.")
    send(page, "Send")
    page.wait_for_url(re.compile(r"/account/requests/\d+"))
    scan("appeal sent")
    appeal_url = page.url
    page.goto(f"{server}/account/requests/new")
    scan("request form")
    send_with_errors(page, "Send")
    scan("request form: errors")
    page.locator("#subject").fill("Tariff")
    page.locator("#text").fill("Which tariff applies?")
    send(page, "Send")
    page.goto(f"{server}/account/documents/new")
    scan("document copies form")
    send_with_errors(page, "Ask for the copies")
    scan("document copies form: errors")
    page.get_by_label("Contract").check()
    page.locator("#period").fill("2026")
    send(page, "Ask for the copies")
    for key in ("appeals", "requests", "documents"):
        page.goto(f"{server}/account/{key}")
        scan(f"{key}: with items")

    session.expire_all()
    appeal = session.scalars(select(CustomerRequest).where(CustomerRequest.kind == RequestKind.APPEAL)).one()
    requests.act(session, settings, appeal, "ask", Actor(Role.SUPERVISOR, "super"), text="Which month?")
    session.commit()
    page.goto(appeal_url)
    scan("request waiting for the reply")
    send_with_errors(page, "Send the reply")
    scan("request: reply error")
