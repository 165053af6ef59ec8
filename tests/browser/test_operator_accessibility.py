"""Every operator page an operator or a supervisor works in has no violation of the WCAG 2.1 A and AA rules
(axe-core), in each language, and starts with a skip link. Like the customer pages' scan, a missing axe-core
fails in CI and skips elsewhere (tests/browser/customer_fixtures.py)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.customers.models import CustomerAccount
from backoffice.database import Database
from backoffice.intake.models import IncomingMessage
from backoffice.intake.service import poll
from backoffice.requests import services as requests
from backoffice.settings import Settings
from backoffice.staff.models import Operator
from backoffice.web import limiter
from tests import factories
from tests.backoffice.intake import corpus
from tests.backoffice.intake.conftest import Maildir, app, intake_db, intake_settings, maildir  # noqa: F401
from tests.browser.customer_fixtures import axe_violations
from tests.browser.test_operator_queue import log_in
from workflows.accession import AccessionState as S
from workflows.roles import Role

pytestmark = pytest.mark.browser
LANGUAGES = ("uk", "ru", "en")


@pytest.fixture
def axe_staff_page(_browser: Any) -> Any:
    """A staff browser that lets the test inject axe-core (an inline script the pages' CSP would stop)."""
    context = _browser.new_context(locale="uk-UA", viewport={"width": 1400, "height": 1000}, bypass_csp=True)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()



def _skip_link_leads_to_main(page: Any) -> bool:
    """The first Tab reaches the skip link, which leads to the main content."""
    page.keyboard.press("Tab")
    first = page.evaluate("document.activeElement.className + '|' + document.activeElement.getAttribute('href')")
    return bool(first == "skip-link|#main" and page.locator("main#main").count() == 1)


def test_every_operator_page_passes_axe_in_every_language(
    live_server: str,
    axe_staff_page: Any,
    app: Flask,
    make: factories.Factory,
    session: Session,
    intake_db: Database,
    intake_settings: Settings,
    maildir: Maildir,
) -> None:
    with app.app_context():
        limiter.reset()
    center = make.center("KR")
    operator = make.operator(Role.OPERATOR, center=center)
    supervisor = make.operator(Role.SUPERVISOR)
    for state in (S.RECEIVED, S.AWAITING_SIGNATURE_CHECK, S.AWAITING_CONFIRMATION_CALL, S.CODE_ISSUED, S.COMPLETED):
        make.application(state, center=center)
    target = make.application(S.AWAITING_CONFIRMATION_CALL, center=center)
    session.commit()
    maildir.drop(corpus.message(corpus.headers(subject="Лист без вкладень"), 'text/plain; charset="utf-8"', "Заява"))
    poll(intake_db, intake_settings)
    held = session.scalars(select(IncomingMessage)).one()
    account = CustomerAccount(
        login="firma.a", password_hash="x", email="firma.a@example.com", application=target, language="en"
    )
    session.add(account)
    session.flush()
    req = requests.submit(
        session, intake_settings, account, kind="appeal", subject="Bill for May", text="Please check the bill."
    )
    session.commit()
    page = axe_staff_page
    found: dict[str, list[dict[str, Any]]] = {}
    no_skip_link: list[str] = []

    def scan(name: str, path: str | None = None) -> None:
        if path is not None:
            page.goto(live_server + path)
        page.wait_for_load_state()
        found[name] = axe_violations(page)
        if path is not None and not _skip_link_leads_to_main(page):  # (an error summary holds the focus)
            no_skip_link.append(name)

    def pages(who: Operator, paths: dict[str, str]) -> None:
        log_in(page, live_server, who.login)
        for lang in LANGUAGES:
            for name, path in paths.items():
                scan(f"{name} ({lang})", f"{path}{'&' if '?' in path else '?'}lang={lang}")
        page.goto(f"{live_server}/admin/?lang=uk")
        page.click("[data-testid=logout]")

    pages(
        operator,
        {
            "queue": "/admin/applications/",
            "application": f"/admin/applications/{target.number}",
            "service-center form": "/admin/service-center/",
            "quarantine": "/admin/intake/",
            "quarantined message": f"/admin/intake/{held.id}",
            "requests queue": "/admin/requests/",
            "requests queue, nothing found": "/admin/requests/?kind=appeal&state=all&q=nobody&overdue=1&mine=1",
            "request": f"/admin/requests/{req.id}",
        },
    )
    pages(
        supervisor,
        {"home": "/admin/", "queue, all centers": "/admin/applications/", "dashboard": "/admin/dashboard/",
         "audit": "/admin/audit/", "requests queue, all centers": "/admin/requests/",
         "request, to reassign": f"/admin/requests/{req.id}"},
    )

    log_in(page, live_server, operator.login)
    page.goto(f"{live_server}/admin/requests/{req.id}?lang=en")
    with page.expect_navigation():
        page.click("[data-testid=claim]")
    scan("request: taken")
    with page.expect_navigation():
        page.click("[data-testid=act-answer]")  # no text: refused, with the reason
    scan("request: answer refused")
    page.goto(f"{live_server}/admin/service-center/?lang=en")
    page.fill("#f-identifier", "12345670")
    # Enter sends the form, as the operator does from the field. (A click could land beside the button: the
    # field's live check draws its message above it and moves it down while the click is on its way.)
    with page.expect_navigation():
        page.press("#f-identifier", "Enter")
    page.wait_for_selector("#error-summary")
    # The focus moves to the summary once its script has run; wait for that rather than race the script.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'error-summary'")
    scan("service-center form: errors")

    assert {name: v for name, v in found.items() if v} == {}
    assert no_skip_link == []
