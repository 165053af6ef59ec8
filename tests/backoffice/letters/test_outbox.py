"""Writing letters once, resending them on a supervisor's word, and forgetting one-time links once sent."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.actors import Actor
from backoffice.audit.models import AuditEvent
from backoffice.database import Database
from backoffice.letters import mime
from backoffice.letters.models import OutboxMessage, OutboxStatus
from backoffice.letters.outbox import CannotResend, enqueue, resend, write
from backoffice.scheduler.sender import deliver_due
from backoffice.settings import Settings
from tests.backoffice.letters.conftest import smtp_settings
from tests.backoffice.letters.smtpserver import Handler, SmtpServer
from tests.factories import Factory
from workflows.accession import AccessionState
from workflows.roles import Role

SUPERVISOR = Actor(Role.SUPERVISOR, "supervisor")


def test_the_same_occasion_writes_one_letter(session: Session) -> None:
    args = {"kind": "acknowledgement", "recipient": "a@example.com", "language": "uk", "context": {"number": "1"}}
    first, created = write(session, application_id=None, occasion="received", **args)
    again = enqueue(session, application_id=None, occasion="received", **args)
    _, created_again = write(session, application_id=None, occasion="received", **args)
    assert created and not created_again and again.id == first.id
    assert session.scalars(select(OutboxMessage)).all() == [first]


def test_a_supervisor_resends_a_failed_letter_under_a_new_message_id(
    make: Factory, session: Session, db: Database, settings: Settings
) -> None:
    server = SmtpServer(handler=Handler(reject=("typo",))).start()
    try:
        app = make.application(AccessionState.RECEIVED, email="typo@example.com")
        make.advance(app, ["submit_for_check", "reject"])
        session.commit()
        smtp = smtp_settings(settings, server)
        deliver_due(db, smtp)
        with db.session() as s:
            letter = s.scalars(select(OutboxMessage)).one()
            assert letter.status == OutboxStatus.FAILED
            first_id = mime.message_id(letter, smtp)
            letter.recipient = "fixed@example.com"  # e.g. after the operator corrected the address
            resend(s, letter, SUPERVISOR)
            assert (letter.status, letter.attempts, letter.last_error) == (OutboxStatus.PENDING, 0, "")
        assert deliver_due(db, smtp).sent == 1
    finally:
        server.stop()
    [received] = server.received
    assert received.rcpt_tos == ["fixed@example.com"]
    assert received.message["Message-ID"] != first_id and "-r1@" in received.message["Message-ID"]
    with db.session() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "resend")).one()
        assert (event.actor_label, event.subject_type) == ("supervisor", "outbox_message")
        assert event.changes["status"] == ["failed", "pending"]

    with db.session() as s:  # a letter that is still waiting cannot be "resent"
        app_letter = s.scalars(select(OutboxMessage)).one()
        app_letter.status = OutboxStatus.PENDING
        with pytest.raises(CannotResend, match="pending"):
            resend(s, app_letter, SUPERVISOR)


def test_a_one_time_link_is_forgotten_once_the_letter_has_left(
    session: Session, db: Database, settings: Settings
) -> None:
    enqueue(
        session,
        kind="password_reset",
        recipient="customer@example.com",
        language="en",
        context={
            "login": "agro",
            "link": "http://127.0.0.1:5000/account/reset/SECRET",
            "expires_at": "2030-01-01T00:00:00+00:00",
        },
        application_id=None,
        occasion="token-1",
    )
    session.commit()
    assert deliver_due(db, settings).sent == 1
    [eml] = list(settings.outbox_dir.glob("*.eml"))
    body = message_from_bytes(eml.read_bytes(), policy=policy.default).get_body(("plain",))
    assert body is not None and "/account/reset/SECRET" in body.get_content()
    with db.session() as s:
        letter = s.scalars(select(OutboxMessage)).one()
        assert "SECRET" not in str(letter.context)
        with pytest.raises(CannotResend, match="new one"):
            resend(s, letter, SUPERVISOR)
