"""The application page in Ukrainian, in real Chromium: a history in words, the diagram folded away until asked."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy.orm import Session

from backoffice.passwords import hash_secret
from backoffice.staff.models import Operator
from tests import factories
from workflows.accession import AccessionState as S
from workflows.roles import Role

pytestmark = pytest.mark.browser


def test_an_operator_reads_the_history_in_ukrainian(make: factories.Factory, session: Session, live_server: str,
                                                    browser_page: Any) -> None:
    center = make.center("KR")
    session.add(Operator(login="operator.kr", full_name="Оксана Коваль", role=Role.OPERATOR, center=center,
                         password_hash=hash_secret(factories.PASSWORD)))
    app = make.application(S.AWAITING_CONFIRMATION_CALL, center=center)
    session.commit()
    page = browser_page
    page.goto(f"{live_server}/staff/login?lang=uk")
    page.fill("input[name=login]", "operator.kr")
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/admin/"))
    page.goto(f"{live_server}/admin/applications/{app.number}")

    history = page.get_by_test_id("history").inner_text()
    assert "Приймання пошти" in history  # the intake, not "intake"
    assert not re.search(r"\b[a-z]+(?:_[a-z0-9]+)+\b", history), history
    diagram = page.get_by_test_id("diagram")
    assert not diagram.is_visible()  # folded away: the history is not pushed down
    page.get_by_test_id("workflow").locator("summary").click()
    diagram.wait_for(state="visible")
    assert diagram.evaluate("img => img.complete && img.naturalWidth > 0")
    assert "Дані підтверджено телефоном" in page.get_by_test_id("next-steps").inner_text()
