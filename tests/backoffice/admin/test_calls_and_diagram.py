"""The calls table says what happened on each call, and the diagram is small, translated and folded away."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from backoffice.applications.models import Application, CallOutcome, ConfirmationCall
from tests import factories
from tests.backoffice.admin.conftest import Staff, post
from workflows.accession import ACCESSION
from workflows.accession import AccessionState as S
from workflows.diagram import dot_source


def _calls(page: str) -> str:
    return page.split('data-testid="calls"', 1)[1].split("</table>", 1)[0]


def test_a_call_whose_code_word_did_not_match_is_not_listed_as_confirmed(make, session: Session, staff: Staff, login):
    app = make.application(S.AWAITING_CONFIRMATION_CALL, center=staff.center_a)
    session.commit()
    client = login(staff.operator_a)
    post(client, f"/admin/applications/{app.number}/call", {
        "outcome": "corrected", "spoken_code_word": "Шевченко", "email": "other@example.com", "version": app.version,
    })
    session.expire_all()
    call = session.query(ConfirmationCall).filter_by(application_id=app.id).one()
    assert call.outcome == CallOutcome.CODE_WORD_MISMATCH
    fresh = session.get(Application, app.id)
    assert fresh.state == S.AWAITING_CONFIRMATION_CALL and fresh.email != "other@example.com"  # nothing taken
    calls = _calls(client.get(f"/admin/applications/{app.number}").get_data(as_text=True))
    assert "Code word did not match" in calls and "Confirmed" not in calls


def test_an_old_confirmed_row_with_a_wrong_code_word_reads_as_a_mismatch(make, session: Session, staff: Staff, login):
    app = make.application(S.AWAITING_CONFIRMATION_CALL, center=staff.center_a)
    session.add(ConfirmationCall(application=app, outcome=CallOutcome.CONFIRMED, code_word_matched=False, phone="1"))
    session.commit()
    calls = _calls(login(staff.operator_a).get(f"/admin/applications/{app.number}").get_data(as_text=True))
    assert 'data-outcome="code_word_mismatch"' in calls and "Confirmed" not in calls


def test_a_wrong_number_is_on_record_and_the_application_waits(make, session: Session, staff: Staff, login):
    app = make.application(S.AWAITING_CONFIRMATION_CALL, center=staff.center_a)
    session.commit()
    client = login(staff.operator_a)
    post(client, f"/admin/applications/{app.number}/call", {"outcome": "wrong_number", "version": app.version})
    session.expire_all()
    assert session.get(Application, app.id).state == S.AWAITING_CONFIRMATION_CALL
    page = client.get(f"/admin/applications/{app.number}").get_data(as_text=True)
    assert "Wrong number" in _calls(page) and "Call: wrong number" in page


def test_a_matching_call_is_confirmed(make, session: Session, staff: Staff, login):
    app = make.application(S.AWAITING_CONFIRMATION_CALL, center=staff.center_a)
    session.commit()
    client = login(staff.operator_a)
    post(client, f"/admin/applications/{app.number}/call",
         {"outcome": "confirmed", "spoken_code_word": factories.CODE_WORD, "version": app.version})
    calls = _calls(client.get(f"/admin/applications/{app.number}").get_data(as_text=True))
    assert 'data-outcome="confirmed"' in calls


def test_the_diagram_is_folded_away_translated_and_says_what_comes_next(make, session: Session, staff: Staff, login):
    app = make.application(S.AWAITING_CONFIRMATION_CALL, center=staff.center_a)
    session.commit()
    client = login(staff.operator_a)
    client.get("/staff/login?lang=uk")
    page = client.get(f"/admin/applications/{app.number}").get_data(as_text=True)
    panel = page.split('data-testid="workflow"', 1)[1].split("</details>", 1)[0]
    assert "<details" in page.split('data-testid="workflow"', 1)[0][-80:] and " open" not in panel.split(">")[0]
    assert page.index('data-testid="workflow"') < page.index('data-testid="history"')
    assert "Дані підтверджено телефоном → Підтверджено" in panel  # the next moves, in words
    svg = client.get(f"/admin/applications/diagram/{app.state.value}.svg?lang=uk").get_data(as_text=True)
    assert "дзвінка" in svg and "#ffd54f" in svg
    assert "awaiting_confirmation_call</text>" not in svg


def test_the_compact_drawing_leaves_out_the_arrows_from_everywhere_and_marks_the_next_moves():
    dot = dot_source(ACCESSION, S.CONFIRMED, leave_out=("reject", "withdraw"), compact=True,
                     state_labels={S.CONFIRMED: 'Підтверджено "так"'})
    assert 'label="reject"' not in dot and 'label="withdraw"' not in dot and "rankdir=LR" in dot
    assert 'label="Підтверджено \\"так\\""' in dot
    assert 'confirmed -> code_issued [label="issue_code", color="#1565c0"' in dot
    assert not re.search(r"\b(rejected|withdrawn)\b", dot)  # states only those arrows reach are left out too
