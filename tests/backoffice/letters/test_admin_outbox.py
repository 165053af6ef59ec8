"""Supervisors see the outbox (waiting, sent, failed with the server's answer) and resend with a CSRF-checked POST."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.audit.models import AuditEvent
from backoffice.database import Database
from backoffice.letters.models import OutboxMessage, OutboxStatus
from backoffice.scheduler.sender import deliver_due
from backoffice.settings import Settings
from tests import factories
from tests.backoffice.letters.conftest import smtp_settings
from tests.backoffice.letters.smtpserver import Handler, SmtpServer
from tests.factories import Factory
from workflows.accession import AccessionState
from workflows.roles import Role

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _log_in(app: Flask, login: str) -> tuple[FlaskClient, str]:
    client = app.test_client()
    token = TOKEN.search(client.get("/staff/login").get_data(as_text=True))
    assert token
    response = client.post(
        "/staff/login", data={"login": login, "password": factories.PASSWORD, "csrf_token": token.group(1)}
    )
    assert response.status_code == 302
    return client, token.group(1)


def test_supervisors_see_failures_and_resend(
    app: Flask, make: Factory, session: Session, db: Database, settings: Settings
) -> None:
    make.operator(Role.SUPERVISOR, login="super")
    application = make.application(AccessionState.RECEIVED, email="nobody@example.com")
    make.advance(application, ["submit_for_check", "reject"])
    session.commit()
    server = SmtpServer(handler=Handler(reject=("nobody",))).start()
    try:
        deliver_due(db, smtp_settings(settings, server))
    finally:
        server.stop()
    letter = session.scalars(select(OutboxMessage)).one()

    client, token = _log_in(app, "super")
    page = client.get("/admin/outbox/?status=failed").get_data(as_text=True)
    assert f'data-testid="letter-{letter.id}"' in page
    assert "550 5.1.1" in page and "User unknown" in page and application.number in page
    assert f'data-testid="resend-{letter.id}"' in page

    assert client.post(f"/admin/outbox/{letter.id}/resend").status_code == 400  # no CSRF token, no resend
    session.expire_all()
    assert session.get(OutboxMessage, letter.id).status == OutboxStatus.FAILED  # type: ignore[union-attr]

    response = client.post(f"/admin/outbox/{letter.id}/resend", data={"csrf_token": token, "status": "failed"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(OutboxMessage, letter.id).status == OutboxStatus.PENDING  # type: ignore[union-attr]
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "resend")).one()
    assert event.actor_label == "super" and event.subject_id == letter.id
    waiting = client.get("/admin/outbox/?status=pending").get_data(as_text=True)
    assert f'data-testid="letter-{letter.id}"' in waiting and f'data-testid="resend-{letter.id}"' not in waiting


def test_only_supervisors_open_the_outbox(app: Flask, make: Factory, session: Session) -> None:
    make.operator(Role.OPERATOR, login="op.kr")
    make.operator(Role.ADMIN, login="boss")
    session.commit()
    anonymous = app.test_client().get("/admin/outbox/")
    assert anonymous.status_code == 302 and "/staff/login" in anonymous.headers["Location"]
    for login in ("op.kr", "boss"):
        client, token = _log_in(app, login)
        assert client.get("/admin/outbox/").status_code == 403
        assert client.post("/admin/outbox/1/resend", data={"csrf_token": token}).status_code == 403
