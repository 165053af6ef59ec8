"""S/MIME: an email's own signature is checked over the MIME part it signs and reported as the email's, while the
files inside are documents like any others. The PKI is the signature tests' own (tests/signatures/conftest.py)."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.applications.models import Application, Channel, DocumentKind
from backoffice.database import Database
from backoffice.documents.storage import open_storage
from backoffice.intake.models import IncomingMessage, MessageStatus
from backoffice.intake.service import poll
from backoffice.settings import Settings
from tests.backoffice.admin.conftest import log_in
from tests.backoffice.intake import corpus
from tests.backoffice.intake.conftest import Maildir
from tests.factories import Factory
from tests.signatures.conftest import Docs, docs, pki  # noqa: F401 - fixtures by name
from workflows.roles import Role

JPEG = ("image/jpeg", corpus.jpeg(4096), 'Content-Disposition: attachment; filename="Скан заяви.jpg"')


def _message(session: Session) -> IncomingMessage:
    session.expire_all()
    return session.scalars(select(IncomingMessage)).one()


def _documents(session: Session, settings: Settings) -> dict[str, bytes]:
    app = session.scalars(select(Application)).one()
    storage = open_storage(settings, session)
    return {d.filename: storage.read(d.storage_path) for d in app.documents if d.kind != DocumentKind.EMAIL_ORIGINAL}


def test_a_thunderbird_signed_email_is_an_email_signature_and_its_jpeg_a_scan(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session, docs: Docs
) -> None:
    entity = corpus.smime_entity([JPEG])
    maildir.drop(corpus.smime_signed(entity, docs.cms(entity, detached=True)))
    poll(intake_db, intake_settings)

    message = _message(session)
    assert message.status == MessageStatus.PROCESSED
    app = session.scalars(select(Application)).one()
    assert app.channel == Channel.EMAIL_SCAN  # the email is signed; the application document is a scan
    assert _documents(session, intake_settings) == {"Скан заяви.jpg": JPEG[1]}  # no smime.p7s document
    verdict = message.email_signature or {}
    assert verdict["state"] == "checked"
    assert verdict["integrity"] == "intact"  # checked over the signed part, not over the JPEG's bytes
    assert verdict["indication"] != "TOTAL_PASSED"  # no trust root is configured here: never a pass


def test_a_changed_signed_email_is_reported_broken(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session, docs: Docs
) -> None:
    entity = corpus.smime_entity([JPEG])
    signed = corpus.smime_signed(entity, docs.cms(entity, detached=True))
    maildir.drop(_tamper(signed))
    poll(intake_db, intake_settings)
    verdict = _message(session).email_signature or {}
    assert verdict["state"] == "checked"
    assert verdict["indication"] == "TOTAL_FAILED" and verdict["integrity"] != "intact"


def _tamper(signed: bytes) -> bytes:
    """One changed character inside the signed JPEG's base64 (what a relay that "fixes" a letter does)."""
    at = signed.index(b'filename="')
    at = signed.index(b"\r\n\r\n", at) + 10
    swapped = b"B" if signed[at : at + 1] != b"B" else b"C"
    return signed[:at] + swapped + signed[at + 1 :]


def test_a_signed_email_with_only_text_goes_to_quarantine(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session, docs: Docs
) -> None:
    entity = corpus.smime_entity([])
    maildir.drop(corpus.smime_signed(entity, docs.cms(entity, detached=True)))
    poll(intake_db, intake_settings)
    message = _message(session)
    assert (message.status, message.reason) == (MessageStatus.QUARANTINED, "no_attachment")
    assert session.scalars(select(Application)).first() is None


def test_an_outlook_opaque_signed_email_opens_to_its_documents(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session, docs: Docs
) -> None:
    scan = corpus.tiny_pdf("inside p7m")
    entity = corpus.smime_entity(
        [("application/pdf", scan, 'Content-Disposition: attachment; filename="Заява.pdf"')]
    )
    maildir.drop(corpus.smime_opaque(docs.cms(entity, detached=False)))
    poll(intake_db, intake_settings)
    message = _message(session)
    assert message.status == MessageStatus.PROCESSED
    assert _documents(session, intake_settings) == {"Заява.pdf": scan}
    verdict = message.email_signature or {}
    assert verdict["state"] == "checked" and verdict["integrity"] == "intact"


def test_the_message_page_shows_the_email_signature_as_the_emails_own(
    app: Flask, intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session, docs: Docs
) -> None:
    entity = corpus.smime_entity([JPEG])
    maildir.drop(corpus.smime_signed(entity, docs.cms(entity, detached=True)))
    poll(intake_db, intake_settings)
    supervisor = Factory(session, intake_settings).operator(Role.SUPERVISOR)
    session.commit()
    client = log_in(app.test_client(), supervisor.login)
    page = client.get(f"/admin/intake/{_message(session).id}").get_data(as_text=True)
    assert 'data-testid="email-signature"' in page and "S/MIME" in page
    assert "smime.p7s" not in page
