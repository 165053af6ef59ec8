"""Messages that cannot become an application by themselves wait in quarantine with the reason, and an operator
converts or dismisses them (audited). Limits protect against zip bombs and giant files without losing mail."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.actors import Actor
from backoffice.applications.models import Application, DocumentKind
from backoffice.audit.models import AuditEvent
from backoffice.database import Database
from backoffice.documents.storage import open_storage
from backoffice.intake import quarantine
from backoffice.intake.models import IncomingMessage, MessageStatus
from backoffice.intake.service import poll
from backoffice.letters.models import OutboxMessage
from backoffice.settings import Settings
from backoffice.validation.problems import Invalid
from tests.backoffice.intake import corpus
from tests.backoffice.intake.conftest import Maildir


def _by_subject(session: Session) -> dict[str, IncomingMessage]:
    session.expire_all()
    return {m.subject: m for m in session.scalars(select(IncomingMessage))}


def test_broken_and_dangerous_messages_are_quarantined_with_their_reason(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session
) -> None:
    settings = intake_settings.replace(intake={"max_attachments": 3, "max_unpacked_mb": 5, "max_nesting": 2})
    pdf = corpus.tiny_pdf()
    maildir.drop(corpus.message(corpus.headers(subject="no attachment"), 'text/plain; charset="utf-8"', "Заява"))
    maildir.drop(
        corpus.gmail(
            "invoice.exe", b"MZ\x90\x00" + os.urandom(500), subject="exe", content_type="application/octet-stream"
        )
    )
    maildir.drop(corpus.gmail("scan.pdf.js", b"var a = 1;", subject="js", content_type="application/pdf"))
    maildir.drop(
        corpus.with_attachments(
            [("application/zip", corpus.zip_bomb(50), 'Content-Disposition: attachment; filename="bomb.zip"')],
            subject="bomb",
        )
    )
    nested = corpus.zip_of({"inner.zip": corpus.zip_of({"deeper.zip": corpus.zip_of({"a.pdf": pdf})})})
    maildir.drop(
        corpus.with_attachments(
            [("application/zip", nested, 'Content-Disposition: attachment; filename="nested.zip"')], subject="nested"
        )
    )
    many = corpus.zip_of({f"{i}.pdf": corpus.tiny_pdf(str(i)) for i in range(5)})
    maildir.drop(
        corpus.with_attachments(
            [("application/zip", many, 'Content-Disposition: attachment; filename="many.zip"')], subject="many"
        )
    )
    maildir.drop(
        corpus.gmail(
            "notes.docx", b"PK\x03\x04" + os.urandom(100), subject="only docx", content_type="application/msword"
        )
    )
    maildir.drop(b"\x00\xff garbage that is not a message at all" * 10)

    summary = poll(intake_db, settings)

    assert summary.created == 0 and summary.quarantined == 8
    reasons = {subject: m.reason for subject, m in _by_subject(session).items()}
    assert reasons["no attachment"] == "no_attachment"
    assert reasons["exe"] == "executable"
    assert reasons["js"] == "executable"
    assert reasons["bomb"] == "archive_too_large"
    assert reasons["nested"] == "too_deep"
    assert reasons["many"] == "too_many_attachments"
    assert reasons["only docx"] == "no_application_document"
    assert reasons[""] in {"no_attachment", "unreadable"}
    assert session.scalars(select(OutboxMessage)).all() == []
    # Nothing is lost: every quarantined message keeps its original bytes.
    storage = open_storage(settings, intake_db)
    for message in _by_subject(session).values():
        assert len(storage.read(message.raw_path)) == message.size


def test_a_25_mb_attachment_is_stored_whole_and_a_message_over_the_limit_is_kept(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session
) -> None:
    scan = corpus.tiny_pdf() + b"%" + os.urandom(25 * 1024 * 1024)
    maildir.drop(corpus.outlook("Скан 25 МБ.pdf", scan, subject="big"))
    assert intake_settings.intake.max_message_mb == 40  # the default takes a 25 MB scan (35 MB in base64)
    poll(intake_db, intake_settings)
    [app] = session.scalars(select(Application)).all()
    [doc] = [d for d in app.documents if d.kind == DocumentKind.SCAN]
    assert doc.size == len(scan)
    assert open_storage(intake_settings, intake_db).read(doc.storage_path) == scan

    maildir.drop(corpus.outlook("Скан.pdf", scan, subject="too big"))
    poll(intake_db, intake_settings.replace(intake={"max_message_mb": 20}))
    message = _by_subject(session)["too big"]
    assert message.status == MessageStatus.QUARANTINED and message.reason == "too_large"


@pytest.fixture
def quarantined(intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session) -> IncomingMessage:
    maildir.drop(
        corpus.message(
            corpus.headers(subject="Заява в тексті листа"),
            'text/plain; charset="utf-8"',
            "Прошу зареєструвати. ЄДРПОУ 32855961",
        )
    )
    poll(intake_db, intake_settings)
    return _by_subject(session)["Заява в тексті листа"]


def test_an_operator_converts_a_quarantined_message_into_an_application(
    quarantined: IncomingMessage, intake_settings: Settings, session: Session, make
) -> None:
    operator = make.operator()
    actor = Actor.of(operator)

    with pytest.raises(Invalid):
        quarantine.convert(session, quarantined, actor, "  ", intake_settings)
    number = quarantine.convert(session, quarantined, actor, "the application is in the body", intake_settings)
    session.commit()

    app = session.scalars(select(Application).where(Application.number == number)).one()
    assert app.center_id == operator.center_id
    assert [d.kind for d in app.documents] == [DocumentKind.EMAIL_ORIGINAL]
    assert quarantined.status == MessageStatus.CONVERTED and quarantined.application_id == app.id
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.subject_type == "incoming_message", AuditEvent.subject_id == quarantined.id)
    ).all()
    requested = next(e for e in events if e.action == "convert_requested")
    assert requested.actor_label == operator.login and requested.reason == "the application is in the body"
    with pytest.raises(Invalid):  # it cannot be converted twice
        quarantine.convert(session, quarantined, actor, "again", intake_settings)


def test_an_operator_dismisses_a_quarantined_message_with_a_reason(
    quarantined: IncomingMessage, session: Session, make
) -> None:
    actor = Actor.of(make.operator())
    quarantine.dismiss(session, quarantined, actor, "spam")
    session.commit()
    assert quarantined.status == MessageStatus.DISMISSED
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "dismiss")).one()
    assert event.reason == "spam" and event.subject_id == quarantined.id
    assert session.scalars(select(Application)).all() == []
