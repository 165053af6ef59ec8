"""The public status page: number + EDRPOU/RNOKPP gives the status in plain words, and nothing else."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.backoffice.customers.conftest import Browser
from tests.factories import Factory, valid_edrpou
from workflows.accession import AccessionState

S = AccessionState


@pytest.mark.parametrize(
    ("state", "words"),
    [
        (S.RECEIVED, "Received"),
        (S.AWAITING_SIGNATURE_CHECK, "Being checked"),
        (S.AWAITING_CONFIRMATION_CALL, "Waiting for our call"),
        (S.CODE_ISSUED, "Code sent"),
        (S.COMPLETED, "Completed"),
    ],
)
def test_status_in_plain_words(browser: Browser, make: Factory, session: Session, state, words) -> None:
    app = make.application(state)
    session.commit()
    page = browser.post("/status", {"number": app.number, "identifier": app.identifier}).get_data(as_text=True)
    assert f'<h2 id="status-title">{words}</h2>' in page


def test_unknown_number_and_wrong_identifier_get_the_same_answer(
    browser: Browser, make: Factory, session: Session
) -> None:
    app = make.application(S.RECEIVED)
    session.commit()
    wrong_identifier = browser.post("/status", {"number": app.number, "identifier": valid_edrpou(500)})
    unknown_number = browser.post("/status", {"number": "2026-999999", "identifier": app.identifier})
    assert wrong_identifier.status_code == unknown_number.status_code == 200
    assert "We found no application" in wrong_identifier.get_data(as_text=True)
    assert "Received" not in wrong_identifier.get_data(as_text=True)
    for answer in (wrong_identifier, unknown_number):
        page = answer.get_data(as_text=True)
        assert "We found no application" in page and 'id="status-result"' not in page
