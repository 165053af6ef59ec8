"""An operator's day in real Chromium: find, check, call, issue; and what they may not do."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.applications.models import Application
from backoffice.letters.models import OutboxMessage
from backoffice.passwords import hash_secret
from backoffice.staff.models import Operator, ServiceCenter
from backoffice.web import limiter
from tests import factories
from workflows.accession import AccessionState as S
from workflows.roles import Role

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def password_hash() -> str:
    return hash_secret(factories.PASSWORD)


@pytest.fixture
def people(make: factories.Factory, session: Session, password_hash: str, app: Flask) -> dict[str, Any]:
    with app.app_context():
        limiter.reset()
    kr, ol = make.center("KR"), make.center("OL")

    def person(login: str, role: Role, center: ServiceCenter | None) -> Operator:
        operator = Operator(login=login, full_name=f"Працівник {login}", role=role, center=center,
                            password_hash=password_hash)
        session.add(operator)
        return operator

    out = {
        "kr": kr,
        "ol": ol,
        "operator": person("operator.kr", Role.OPERATOR, kr),
        "colleague": person("operator.kr2", Role.OPERATOR, kr),
        "stranger": person("operator.ol", Role.OPERATOR, ol),
        "supervisor": person("supervisor", Role.SUPERVISOR, None),
    }
    session.commit()
    return out


def log_in(page: Any, base: str, login: str, language: str = "") -> None:
    """Log in as a member of staff through the login page (in ``language`` when given, as the user picks it)."""
    page.goto(f"{base}/staff/login" + (f"?lang={language}" if language else ""))
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/admin/"))


def state_of(session: Session, app: Application) -> S:
    session.expire_all()
    return session.get(Application, app.id).state  # type: ignore[union-attr]


def test_operator_takes_an_application_from_the_queue_to_code_issued(
    live_server: str, browser_page: Any, make: factories.Factory, session: Session, people: dict[str, Any]
) -> None:
    target = make.application(S.AWAITING_SIGNATURE_CHECK, center=people["kr"])
    make.application(S.AWAITING_SIGNATURE_CHECK, center=people["kr"])
    session.commit()
    page = browser_page
    log_in(page, live_server, "operator.kr")
    assert page.locator(f"tr[data-number='{target.number}']").count() == 1  # my work: the center's queue

    page.fill("[data-testid=queue-search]", target.identifier)
    with page.expect_navigation():  # the filtered list is a new page: rows are read from it, not the old one
        page.click("[data-testid=queue-filter]")
    rows = page.locator("table.queue tbody tr[data-number]")
    assert rows.count() == 1
    with page.expect_navigation():
        rows.first.locator("a").click()
    page.wait_for_url(re.compile(target.number))

    page.click("[data-testid=claim]")
    assert page.locator("[data-testid=assignee]").inner_text() == "Працівник operator.kr"
    page.click("[data-testid=act-accept_signature]")
    page.wait_for_selector(".state-badge.state-awaiting_confirmation_call")

    page.fill("[data-testid=spoken-code-word]", factories.CODE_WORD.lower())
    page.check("[data-testid=outcome-confirmed]")
    page.click("[data-testid=log-call]")
    page.wait_for_selector(".state-badge.state-confirmed")
    assert factories.CODE_WORD not in page.content()

    page.click("[data-testid=act-issue_code]")
    page.wait_for_selector(".state-badge.state-code_issued")
    assert page.locator("[data-testid=code]").count() == 1
    assert state_of(session, target) == S.CODE_ISSUED
    letters = session.scalars(select(OutboxMessage.kind).where(OutboxMessage.application_id == target.id)).all()
    assert sorted(letters) == ["invitation", "registration_code"]


def test_an_operator_takes_one_of_several_from_the_queue_list(
    live_server: str, browser_page: Any, make: factories.Factory, session: Session, people: dict[str, Any]
) -> None:
    first = make.application(S.AWAITING_CONFIRMATION_CALL, center=people["kr"])
    second = make.application(S.AWAITING_CONFIRMATION_CALL, center=people["kr"])
    session.commit()
    page = browser_page
    log_in(page, live_server, "operator.kr")
    page.click(f"[data-testid=claim-{second.number}]")
    page.wait_for_url(re.compile(rf"/admin/applications/{second.number}$"))
    session.expire_all()
    assert session.get(Application, second.id).assignee_id == people["operator"].id  # type: ignore[union-attr]
    assert session.get(Application, first.id).assignee_id is None  # type: ignore[union-attr]


def test_a_wrong_code_word_is_refused(
    live_server: str, browser_page: Any, make: factories.Factory, session: Session, people: dict[str, Any]
) -> None:
    target = make.application(S.AWAITING_CONFIRMATION_CALL, center=people["kr"])
    session.commit()
    page = browser_page
    log_in(page, live_server, "operator.kr")
    page.goto(f"{live_server}/admin/applications/{target.number}")
    page.fill("[data-testid=spoken-code-word]", "Не те слово")
    page.click("[data-testid=log-call]")
    page.wait_for_selector(".alert-danger")
    assert page.locator(".state-badge.state-awaiting_confirmation_call").count() == 1
    assert page.locator("text=" + factories.CODE_WORD).count() == 0
    assert state_of(session, target) == S.AWAITING_CONFIRMATION_CALL


def test_an_operator_cannot_open_another_centers_application(
    live_server: str, browser_page: Any, make: factories.Factory, session: Session, people: dict[str, Any]
) -> None:
    elsewhere = make.application(S.AWAITING_SIGNATURE_CHECK, center=people["ol"], consumer_name="ТОВ «Чуже»")
    session.commit()
    page = browser_page
    log_in(page, live_server, "operator.kr")
    page.fill("[data-testid=queue-search]", elsewhere.identifier)
    page.click("[data-testid=queue-filter]")
    assert page.locator("table.queue tbody tr[data-number]").count() == 0
    response = page.goto(f"{live_server}/admin/applications/{elsewhere.number}")
    assert response is not None and response.status == 404
    assert "ТОВ «Чуже»" not in page.content()


def test_a_supervisor_reassigns(
    live_server: str, browser_page: Any, make: factories.Factory, session: Session, people: dict[str, Any]
) -> None:
    target = make.application(S.AWAITING_CONFIRMATION_CALL, center=people["kr"])
    session.commit()
    page = browser_page
    log_in(page, live_server, "supervisor")
    page.goto(f"{live_server}/admin/applications/{target.number}")
    page.select_option("#operator_id", str(people["colleague"].id))
    page.click("[data-testid=reassign]")
    page.wait_for_selector("[data-testid=assignee]:has-text('Працівник operator.kr2')")
    session.expire_all()
    assert session.get(Application, target.id).assignee_id == people["colleague"].id

    # The new assignee finds it in their own work.
    page.click("[data-testid=logout]")
    log_in(page, live_server, "operator.kr2")
    assert page.locator(f"tr[data-number='{target.number}']").count() == 1
