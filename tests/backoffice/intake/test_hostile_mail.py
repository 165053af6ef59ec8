"""No message, however broken, stops the intake, and nothing is lost without a row an operator can see.

Each bad letter below once stopped a real mail parser or a real intake. They are dropped among good ones: every
good one must become its application in the same run, and every bad one must end as a row (processed,
quarantined with its reason, or ignored), never as an exception that stops the batch.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice.applications.models import Application
from backoffice.database import Database
from backoffice.intake.models import IncomingMessage, MessageStatus
from backoffice.intake.service import import_files, poll
from backoffice.settings import Settings
from tests.backoffice.intake import corpus
from tests.backoffice.intake.conftest import Maildir

BAD: dict[str, bytes] = {
    # RFC 6532 sender: raw UTF-8 in From; once an INSERT error that stopped the mailbox for good.
    "eai": corpus.eai(corpus.tiny_pdf("eai")),
    # A NUL byte in the subject: PostgreSQL refuses NUL in text.
    "nul subject": corpus.raw_headers(b"Subject: \x00hello\x00", corpus.tiny_pdf("nul")),
    # Raw cp1251 bytes and a lone 0xff in headers, where only ASCII may be.
    "8-bit headers": corpus.raw_headers(b"X-Note: \xcf\xf0\xe8\xe2\xb3\xf2 \xff\r\nKeywords: \xff\xfe", b"%PDF-1.4"),
    # A Message-ID made of raw 8-bit bytes and a NUL.
    "8-bit message-id": corpus.message(
        ["From: a@example.org", "Subject: x"], "text/plain", "body"
    ).replace(b"Subject: x", b"Subject: x\r\nMessage-ID: <\xd0\xb9\x00@host>"),
    # A header line of 300 KB (beyond the header block the intake reads).
    "huge header": corpus.raw_headers(b"X-Long: " + b"a" * 300_000, corpus.tiny_pdf("long")),
    # An attachment whose base64 is broken half-way.
    "bad base64": corpus.with_attachments(
        [("application/pdf", b"", 'Content-Disposition: attachment; filename="broken.pdf"')]
    ).replace(b"--\r\n", b"JVBERi0xLjQK@@@###not base64 at all===\r\n--\r\n", 1),
    # Not a message at all.
    "binary": bytes(range(256)) * 64,
    "empty": b"",
    "headers only": b"From: someone@example.org\r\nSubject: nothing follows",
    # A multipart whose boundary never appears.
    "lost boundary": corpus.message(
        corpus.headers(), 'multipart/mixed; boundary="never-used"', "just text, no parts"
    ),
    # A read receipt: ignored like an auto-reply, never an application or a quarantine entry.
    "read receipt": corpus.read_receipt(),
}


def _good(n: int) -> bytes:
    sender = f"Firma {n} <office{n}@firma.example.ua>"
    return corpus.outlook(f"Заява {n}.pdf", corpus.tiny_pdf(f"good {n}"), sender=sender)


def _rows(session: Session) -> list[IncomingMessage]:
    session.expire_all()
    return list(session.scalars(select(IncomingMessage).order_by(IncomingMessage.id)))


def test_bad_letters_among_good_ones_stop_nothing(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session
) -> None:
    for n, (name, data) in enumerate(BAD.items()):
        maildir.drop(_good(n), name=f"{n:02d}a.good")
        maildir.drop(data, name=f"{n:02d}b.{name.replace(' ', '-')}")

    summary = poll(intake_db, intake_settings)

    rows = _rows(session)
    assert maildir.waiting() == [], "every message was taken from the mailbox"
    assert len(rows) == 2 * len(BAD), "every message has its row"
    assert summary.errors == 0
    # Every good letter became its application in this same run.
    made = {r.sender for r in rows if r.status == MessageStatus.PROCESSED and r.application_id is not None}
    assert {f"office{n}@firma.example.ua" for n in range(len(BAD))} <= made
    assert session.scalar(select(func.count()).select_from(Application)) >= len(BAD)
    # Nothing is left half-done: each row is processed, quarantined with a reason, or ignored with one.
    for row in rows:
        assert row.status in {MessageStatus.PROCESSED, MessageStatus.QUARANTINED, MessageStatus.IGNORED}, row
        if row.status != MessageStatus.PROCESSED:
            assert row.reason, row
    assert [r.reason for r in rows if r.status == MessageStatus.IGNORED] == ["read_receipt"]


def test_an_internationalised_sender_is_kept_as_written(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session
) -> None:
    maildir.drop(corpus.eai(corpus.tiny_pdf("eai")))
    poll(intake_db, intake_settings)
    [row] = _rows(session)
    assert row.sender == "jdöe@mächine.example"
    assert row.status == MessageStatus.PROCESSED


def test_a_read_receipt_is_ignored_like_an_auto_reply(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session
) -> None:
    maildir.drop(corpus.read_receipt())
    summary = poll(intake_db, intake_settings)
    [row] = _rows(session)
    assert (row.status, row.reason) == (MessageStatus.IGNORED, "read_receipt")
    assert summary.ignored == 1 and summary.quarantined == 0


def test_a_reused_message_id_with_other_bytes_is_kept_linked_to_the_first(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session, tmp_path
) -> None:
    mid = "<1@scanner.local>"
    first = corpus.outlook("Заява.pdf", corpus.tiny_pdf("first company"), message_id=mid,
                           sender="First <one@firma.example.ua>")
    second = corpus.outlook("Заява.pdf", corpus.tiny_pdf("second company"), message_id=mid,
                            sender="Second <two@firma.example.ua>")
    maildir.drop(first)
    maildir.drop(second)
    poll(intake_db, intake_settings)

    one, two = _rows(session)
    assert (one.status, two.status) == (MessageStatus.PROCESSED, MessageStatus.PROCESSED)
    assert two.same_id_as_id == one.id and one.same_id_as_id is None
    assert one.application_id and two.application_id and one.application_id != two.application_id

    # Exactly once still holds: both letters again, byte for byte, change nothing.
    again = []
    for n, data in enumerate((first, second)):
        path = tmp_path / f"again-{n}.eml"
        path.write_bytes(data)
        again.append(path)
    summary = import_files(intake_db, intake_settings, again)
    assert summary.duplicates == 2 and summary.created == 0
    assert len(_rows(session)) == 2
