"""An operator's day in real Chromium, in each language: emailed applications are routed as they arrive (a known
company to its contract's center, an unknown one to the pool every operator sees), and an operator takes one from
the pool to "code issued", reading a history with no raw codes on the way."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.applications.models import Application
from backoffice.database import Database
from backoffice.intake.service import poll
from backoffice.passwords import hash_secret
from backoffice.settings import Settings
from backoffice.staff.models import Operator
from tests import factories
from tests.backoffice.intake.conftest import Maildir
from tests.backoffice.intake.test_routing import KNOWN, UNKNOWN, _contract, _form, _mail
from tests.browser.test_operator_queue import log_in
from workflows.accession import AccessionState as S
from workflows.roles import Role

pytestmark = pytest.mark.browser
CODE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")  # a snake_case code where a person should read words



@pytest.mark.parametrize("language", ["uk", "ru", "en"])
def test_routed_on_arrival_and_taken_from_the_pool_to_code_issued(
    language: str,
    make: factories.Factory,
    session: Session,
    db: Database,
    settings: Settings,
    tmp_path: Path,
    live_server: str,
    browser_page: Any,
) -> None:
    a, b = make.center("A"), make.center("B")
    for login, center in (("op.a", a), ("op.b", b)):
        session.add(
            Operator(
                login=login,
                full_name=f"Працівник {login}",
                role=Role.OPERATOR,
                center=center,
                password_hash=hash_secret(factories.PASSWORD),
            )
        )
    session.commit()
    _contract(session, KNOWN, b.id)
    intake = settings.replace(
        intake={"source": "maildir", "maildir": str(tmp_path / "maildir")},
        mail={"sender": "Back office <noreply@supplier.example.ua>"},
    )
    maildir = Maildir(intake.maildir)
    maildir.drop(_mail(_form(KNOWN), sender="Ivan <ivan@known.example.ua>"))
    maildir.drop(_mail(_form(UNKNOWN), sender="Olena <olena@unknown.example.ua>"))
    poll(db, intake)
    numbers = {app.identifier: app.number for app in session.scalars(select(Application))}
    known, unknown = numbers[KNOWN], numbers[UNKNOWN]
    page = browser_page

    # Center B's operator finds the known company's application in their own work, and the pool's too.
    log_in(page, live_server, "op.b", language)
    page.goto(f"{live_server}/admin/applications/?scope=mine")
    queue = page.locator("table").first.inner_text()
    assert known in queue and unknown in queue

    # Center A's operator sees only the pool's, takes it, and it is theirs and their center's.
    page.context.clear_cookies()
    log_in(page, live_server, "op.a", language)
    page.goto(f"{live_server}/admin/applications/?scope=mine")
    queue = page.locator("table").first.inner_text()
    assert unknown in queue and known not in queue
    with page.expect_navigation():
        page.get_by_test_id(f"claim-{unknown}").click()
    page.goto(f"{live_server}/admin/applications/{unknown}")
    assert page.get_by_test_id("center").inner_text() == a.name

    # Signature (a scan, by hand), the confirmation call, the code.
    with page.expect_navigation():
        page.get_by_test_id("act-accept_signature").click()
    page.fill("[data-testid=spoken-code-word]", "кобзар")
    with page.expect_navigation():
        page.click("[data-testid=log-call]")
    with page.expect_navigation():
        page.get_by_test_id("act-issue_code").click()
    session.expire_all()
    taken = session.scalars(select(Application).where(Application.number == unknown)).one()
    assert (taken.state, taken.center_id) == (S.CODE_ISSUED, a.id)

    history = page.get_by_test_id("history").inner_text()
    assert not CODE.findall(history), CODE.findall(history)
    assert "Кобзар" not in history and "кобзар" not in history  # the code word never shows
