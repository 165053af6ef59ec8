"""The operator's pages: the quarantine with its POST actions, the original .eml, the service-center form."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.applications.models import Application, Channel, DocumentKind
from backoffice.audit.models import AuditEvent
from backoffice.database import Database
from backoffice.intake.models import IncomingMessage, MessageStatus
from backoffice.intake.service import poll
from backoffice.settings import Settings
from backoffice.staff.models import Operator
from tests.backoffice.admin.conftest import csrf_token, log_in
from tests.backoffice.intake import corpus
from tests.backoffice.intake.conftest import Maildir
from tests.factories import Factory, valid_edrpou
from workflows.accession import AccessionState
from workflows.roles import Role


@pytest.fixture
def operator(make: Factory, session: Session) -> Operator:
    person = make.operator(Role.OPERATOR)
    session.commit()
    return person


@pytest.fixture
def client(app: Flask, operator: Operator) -> FlaskClient:
    return log_in(app.test_client(), operator.login)


@pytest.fixture
def held(intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session) -> IncomingMessage:
    maildir.drop(corpus.message(corpus.headers(subject="Лист без вкладень"), 'text/plain; charset="utf-8"', "Заява"))
    poll(intake_db, intake_settings)
    return session.scalars(select(IncomingMessage)).one()


def test_the_quarantine_lists_messages_with_their_reason_and_the_original_downloads(
    client: FlaskClient, held: IncomingMessage
) -> None:
    page = client.get("/admin/intake/").get_data(as_text=True)
    assert "Лист без вкладень" in page and "The message has no attachment" in page

    with client.get(f"/admin/intake/{held.id}/original") as original:
        assert original.status_code == 200
        assert original.mimetype == "message/rfc822"
        assert "attachment" in original.headers["Content-Disposition"]
        assert original.data.startswith(b"From: ")


def test_dismiss_needs_the_csrf_token_and_a_reason_and_is_audited(
    client: FlaskClient, held: IncomingMessage, session: Session, operator: Operator
) -> None:
    path = f"/admin/intake/{held.id}/dismiss"
    assert client.post(path, data={"reason": "spam"}).status_code == 400  # no CSRF token
    token = csrf_token(client, f"/admin/intake/{held.id}")
    client.post(path, data={"reason": "   ", "csrf_token": token})
    session.expire_all()
    assert session.get(IncomingMessage, held.id).status == MessageStatus.QUARANTINED

    response = client.post(path, data={"reason": "реклама", "csrf_token": token})

    assert response.status_code == 302
    session.expire_all()
    assert session.get(IncomingMessage, held.id).status == MessageStatus.DISMISSED
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "dismiss")).one()
    assert (event.actor_label, event.reason) == (operator.login, "реклама")


def test_convert_makes_an_application_of_the_operators_center(
    client: FlaskClient, held: IncomingMessage, session: Session, operator: Operator
) -> None:
    token = csrf_token(client, f"/admin/intake/{held.id}")
    response = client.post(f"/admin/intake/{held.id}/convert", data={"reason": "заява в тексті", "csrf_token": token})
    assert response.status_code == 302
    session.expire_all()
    app = session.scalars(select(Application)).one()
    assert response.headers["Location"].endswith(f"/admin/applications/{app.number}")
    assert app.center_id == operator.center_id
    assert app.state == AccessionState.AWAITING_SIGNATURE_CHECK


def _form(**overrides: str) -> dict[str, object]:
    return {
        "consumer_name": "ТОВ «Зоря»",
        "identifier": valid_edrpou(11),
        "email": "zorya@example.ua",
        "phones": "067 123 45 67",
        "code_word": "Калина",
        "contact_name": "Коваль Олена Петрівна",
        "commercial_offer": "free_price",
        **overrides,
    }


def test_the_service_center_form_reports_every_field_and_keeps_no_code_word(
    client: FlaskClient, session: Session
) -> None:
    token = csrf_token(client, "/admin/service-center/")
    response = client.post(
        "/admin/service-center/",
        data={**_form(identifier="12345670", email="nope", consumer_name="", code_word="Ка"), "csrf_token": token},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    summary = page[page.index('id="error-summary"') : page.index("</ul>", page.index('id="error-summary"'))]
    assert "There is a problem" in summary
    for field in ("identifier", "email", "consumer_name", "code_word"):
        assert f'href="#f-{field}"' in summary, field  # one summary, linking to every field in error
        assert f'data-testid="error-{field}" aria-live="polite"></p>' not in page, field
    assert 'value="nope"' in page  # what was typed stays
    assert "Калина" not in page and 'Ка"' not in page
    assert session.scalars(select(Application)).all() == []

    live = client.post(
        "/admin/service-center/validate",
        data={"field": "identifier", "value": "12345670"},
        headers={"X-CSRFToken": token},
    )
    assert live.json["field"] == "identifier" and live.json["errors"]
    ok = client.post(
        "/admin/service-center/validate",
        data={"field": "identifier", "value": valid_edrpou(3)},
        headers={"X-CSRFToken": token},
    )
    assert ok.json["errors"] == []


def test_a_service_center_application_goes_straight_to_the_confirmation_call(
    client: FlaskClient, session: Session, operator: Operator
) -> None:
    token = csrf_token(client, "/admin/service-center/")
    scan = corpus.tiny_pdf("signed by hand")
    response = client.post(
        "/admin/service-center/",
        data={**_form(), "csrf_token": token, "scan": (io.BytesIO(scan), "Заява.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    session.expire_all()
    app = session.scalars(select(Application)).one()
    assert app.channel == Channel.SERVICE_CENTER
    assert app.state == AccessionState.AWAITING_CONFIRMATION_CALL
    assert app.center_id == operator.center_id
    assert [(d.kind, d.filename, d.size) for d in app.documents] == [(DocumentKind.SCAN, "Заява.pdf", len(scan))]
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.subject_id == app.id, AuditEvent.subject_type == "application")
    ).all()
    assert [(e.action, e.actor_label) for e in events] == [
        ("create", operator.login),
        ("witness_signature", operator.login),
    ]
    assert events[0].changes["center_id"] == [None, operator.center_id]


def test_a_program_is_refused_as_the_scan(client: FlaskClient, session: Session) -> None:
    token = csrf_token(client, "/admin/service-center/")
    response = client.post(
        "/admin/service-center/",
        data={**_form(), "csrf_token": token, "scan": (io.BytesIO(b"MZ\x90\x00program"), "scan.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "Upload a PDF or an image" in response.get_data(as_text=True)
    assert session.scalars(select(Application)).all() == []


def test_customers_and_strangers_do_not_get_in(app: Flask) -> None:
    anonymous = app.test_client()
    assert anonymous.get("/admin/intake/").status_code == 302
    assert anonymous.get("/admin/service-center/").status_code == 302


def test_two_messages_under_one_message_id_link_to_each_other(
    client: FlaskClient, intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session
) -> None:
    for text in ("перша", "друга"):
        maildir.drop(corpus.outlook("Заява.pdf", corpus.tiny_pdf(text), message_id="<scan@scanner.local>"))
    poll(intake_db, intake_settings)
    first, second = session.scalars(select(IncomingMessage).order_by(IncomingMessage.id)).all()

    page = client.get(f"/admin/intake/{second.id}").get_data(as_text=True)
    assert f'href="/admin/intake/{first.id}"' in page and "same Message-ID but different content" in page
    page = client.get(f"/admin/intake/{first.id}").get_data(as_text=True)
    assert f'href="/admin/intake/{second.id}"' in page
