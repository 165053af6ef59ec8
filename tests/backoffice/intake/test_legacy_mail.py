"""What older and stranger mail programs send: Outlook's winmail.dat, uuencode, BinHex, a boundary gone wrong."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice.applications.models import Application, DocumentKind
from backoffice.database import Database
from backoffice.documents.storage import open_storage
from backoffice.intake.models import IncomingMessage, MessageStatus
from backoffice.intake.service import poll
from backoffice.settings import Settings
from tests.backoffice.intake import corpus
from tests.backoffice.intake.conftest import Maildir


def _only(session: Session) -> IncomingMessage:
    session.expire_all()
    return session.scalars(select(IncomingMessage)).one()


def _documents(session: Session, settings: Settings) -> dict[str, bytes]:
    session.expire_all()
    app = session.scalars(select(Application)).one()
    storage = open_storage(settings, session)
    return {
        d.filename: storage.read(d.storage_path) for d in app.documents if d.kind != DocumentKind.EMAIL_ORIGINAL
    }


def test_the_files_inside_winmail_dat_become_the_documents(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session
) -> None:
    scan, photo = corpus.tiny_pdf("in tnef"), corpus.jpeg()
    maildir.drop(corpus.outlook_rich_text({"Заява підписана.pdf": scan, "Печатка.jpg": photo}))
    poll(intake_db, intake_settings)
    assert _only(session).status == MessageStatus.PROCESSED
    assert _documents(session, intake_settings) == {"Заява підписана.pdf": scan, "Печатка.jpg": photo}


def test_a_damaged_winmail_dat_is_quarantined_with_its_reason(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session
) -> None:
    broken = corpus.tnef({"Заява.pdf": corpus.tiny_pdf()})[:40]
    maildir.drop(corpus.with_attachments(
        [("application/ms-tnef", broken, 'Content-Disposition: attachment; filename="winmail.dat"')]
    ))
    poll(intake_db, intake_settings)
    message = _only(session)
    assert (message.status, message.reason) == (MessageStatus.QUARANTINED, "empty_container")
    assert "winmail.dat" in message.detail


def test_a_uuencoded_block_in_the_text_becomes_a_document(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session
) -> None:
    scan = corpus.tiny_pdf("uuencoded")
    maildir.drop(corpus.uuencode_in_text("zayava.pdf", scan))
    poll(intake_db, intake_settings)
    assert _only(session).status == MessageStatus.PROCESSED
    assert _documents(session, intake_settings) == {"zayava.pdf": scan}


def test_binhex_is_quarantined_with_a_reason_that_says_what_to_ask_for(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session
) -> None:
    maildir.drop(corpus.binhex_part())
    poll(intake_db, intake_settings)
    message = _only(session)
    assert (message.status, message.reason) == (MessageStatus.QUARANTINED, "binhex")


def test_parts_behind_a_wrong_boundary_are_salvaged(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session
) -> None:
    scan = corpus.tiny_pdf("salvaged")
    maildir.drop(corpus.wrong_boundary(scan))
    poll(intake_db, intake_settings)
    assert _only(session).status == MessageStatus.PROCESSED
    assert _documents(session, intake_settings) == {"zayava.pdf": scan}


def test_a_message_sent_in_parts_waits_for_all_of_them_then_becomes_one_application(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session
) -> None:
    scan = corpus.tiny_pdf("sent in three parts") + b"%" + b"x" * 3000 + b"\n"
    whole = corpus.outlook("Заява частинами.pdf", scan, sender="Firma <office@firma.example.ua>")
    first, second, third = corpus.partial_fragments(whole, 3, sender="Firma <office@firma.example.ua>")

    maildir.drop(third)
    maildir.drop(first)
    summary = poll(intake_db, intake_settings)
    assert summary.held == 2 and summary.created == 0
    assert session.scalar(select(func.count()).select_from(Application)) == 0  # no truncated scan as a document

    maildir.drop(second)
    summary = poll(intake_db, intake_settings)
    assert summary.created == 1
    session.expire_all()
    rows = session.scalars(select(IncomingMessage).order_by(IncomingMessage.id)).all()
    fragments = [r for r in rows if r.partial_id]
    [whole_row] = [r for r in rows if r.source == "reassembled"]
    assert {(r.status, r.reason) for r in fragments} == {(MessageStatus.PROCESSED, "reassembled")}
    assert whole_row.status == MessageStatus.PROCESSED and whole_row.sender == "office@firma.example.ua"
    assert _documents(session, intake_settings) == {"Заява частинами.pdf": scan}


def test_a_part_sent_with_x_uuencode_transfer_encoding_becomes_a_document(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session
) -> None:
    scan = corpus.tiny_pdf("x-uuencode")
    maildir.drop(corpus.x_uuencode_part("zayava.pdf", scan))
    poll(intake_db, intake_settings)
    assert _only(session).status == MessageStatus.PROCESSED
    assert _documents(session, intake_settings) == {"zayava.pdf": scan}


def test_an_application_x_uuencode_part_becomes_a_document(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session
) -> None:
    scan = corpus.tiny_pdf("application/x-uuencode")
    maildir.drop(corpus.uuencode_attachment("zayava.pdf", scan))
    poll(intake_db, intake_settings)
    assert _only(session).status == MessageStatus.PROCESSED
    assert _documents(session, intake_settings) == {"zayava.pdf": scan}
