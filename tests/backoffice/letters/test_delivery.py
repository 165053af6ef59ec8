"""Letters leave over a real SMTP server on loopback, with the right headers, parts and encodings, once."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from email.policy import compat32

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.applications import codes
from backoffice.applications.models import RegistrationCode
from backoffice.database import Database
from backoffice.letters import mime
from backoffice.letters.models import OutboxMessage, OutboxStatus
from backoffice.scheduler.sender import claim, deliver_due
from backoffice.settings import Settings
from backoffice.types import utcnow
from tests.backoffice.letters.conftest import smtp_settings
from tests.backoffice.letters.smtpserver import Handler, SmtpServer
from tests.factories import Factory
from workflows.accession import AccessionState


def _raw_headers(data: bytes) -> dict[str, str]:
    """Header values as they are on the wire (unfolded, not decoded)."""
    parsed = message_from_bytes(data, policy=compat32)
    return {k: re.sub(r"\r?\n[ \t]+", " ", str(v)).strip() for k, v in parsed.items()}


def _letters(db: Database) -> dict[str, OutboxMessage]:
    with db.session() as s:
        return {m.kind: m for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))}


def test_code_and_invitation_arrive_as_correct_mime(
    make: Factory, session: Session, db: Database, settings: Settings, smtp_server: SmtpServer
) -> None:
    app = make.application(AccessionState.CODE_ISSUED, email="director@агро.укр")
    session.commit()
    settings = smtp_settings(settings, smtp_server)

    report = deliver_due(db, settings)

    assert (report.sent, report.failed) == (2, 0)
    letters = _letters(db)
    assert {m.status for m in letters.values()} == {OutboxStatus.SENT}
    by_id = {r.message["Message-ID"]: r for r in smtp_server.received}
    assert len(smtp_server.received) == 2
    code_row = letters["registration_code"]
    received = by_id[f"<letter-{code_row.id}-{code_row.created_at:%Y%m%d%H%M%S}@example.org>"]
    # The envelope and the header use the IDNA form of the Cyrillic domain.
    assert received.rcpt_tos == ["director@" + "агро.укр".encode("idna").decode()]
    assert received.rcpt_tos[0].isascii()
    assert received.mail_from == "noreply@example.org"
    received.data.decode("ascii")  # 7-bit clean on the wire
    raw = _raw_headers(received.data)
    assert raw["Auto-Submitted"] == "auto-generated"
    assert re.fullmatch(r"\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}", raw["Date"])
    # The Cyrillic display name of the sender travels as an RFC 2047 encoded word.
    assert "=?utf-8?" in raw["From"]
    assert str(make_header(decode_header(raw["From"]))) == "Особистий кабінет <noreply@example.org>"

    message = received.message
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    assert text.get_content_charset() == "utf-8" and html.get_content_charset() == "utf-8"
    with db.session() as s:
        code = s.scalars(select(RegistrationCode).where(RegistrationCode.application_id == app.id)).one()
        expected = codes.derive(settings.code_key, code.nonce)
    assert expected in text.get_content() and expected in html.get_content()
    # The code letter carries the code and its expiry, nothing that would let someone else use it.
    for part in (text.get_content(), html.get_content()):
        assert "/company" not in part and app.number not in part and app.consumer_name not in part
    assert expected not in str(code_row.context)  # the outbox row never holds the code

    invitation = by_id[mime.message_id(letters["invitation"], settings)].message
    body = invitation.get_body(("plain",))
    assert body is not None and "http://127.0.0.1:5000/company" in body.get_content()
    assert expected not in invitation.as_string()


def test_cyrillic_subject_is_encoded_and_reads_back(
    make: Factory, session: Session, db: Database, settings: Settings, smtp_server: SmtpServer, uk_catalogue: None
) -> None:
    app = make.application(AccessionState.RECEIVED)
    make.advance(app, ["submit_for_check", "reject"])
    session.commit()

    deliver_due(db, smtp_settings(settings, smtp_server))

    [received] = smtp_server.received
    assert "=?utf-8?" in _raw_headers(received.data)["Subject"]
    assert received.message["Subject"] == f"Вашу заяву {app.number} відхилено"
    body = received.message.get_body(("plain",))
    assert body is not None and "test reason" in body.get_content()


def test_a_refused_recipient_fails_the_letter_with_the_servers_words(
    make: Factory, session: Session, db: Database, settings: Settings
) -> None:
    server = SmtpServer(handler=Handler(reject=("nobody",))).start()
    try:
        make.application(AccessionState.CODE_ISSUED, email="nobody@example.com")
        session.commit()
        report = deliver_due(db, smtp_settings(settings, server))
    finally:
        server.stop()
    assert report.failed == 2 and report.sent == 0
    for letter in _letters(db).values():
        assert letter.status == OutboxStatus.FAILED
        assert letter.attempts == 1  # a 5xx answer is final: no pointless retries
        assert "550" in letter.last_error and "User unknown" in letter.last_error
    assert server.received == []


def test_with_the_server_down_letters_wait_and_leave_once_it_is_back(
    make: Factory, session: Session, db: Database, settings: Settings
) -> None:
    server = SmtpServer()
    make.application(AccessionState.CODE_ISSUED)
    session.commit()
    settings = smtp_settings(settings, server)  # nothing listens on the port yet

    for _ in range(settings.letters.max_attempts + 2):  # a long outage uses up no tries
        report = deliver_due(db, settings)
        assert report.waiting == 2 and report.sent == 0
    for letter in _letters(db).values():
        assert letter.status == OutboxStatus.PENDING and letter.attempts == 0
        assert "cannot reach the SMTP server" in letter.last_error

    server.start()
    try:
        assert deliver_due(db, settings).sent == 2
        assert deliver_due(db, settings).claimed == 0
    finally:
        server.stop()
    ids = [r.message["Message-ID"] for r in server.received]
    assert len(ids) == 2 and len(set(ids)) == 2
    assert {m.status for m in _letters(db).values()} == {OutboxStatus.SENT}


def test_a_temporary_refusal_backs_off_exponentially_then_fails(
    make: Factory, session: Session, db: Database, settings: Settings
) -> None:
    server = SmtpServer(handler=Handler(tempfail=("greylisted",))).start()
    settings = smtp_settings(settings, server).replace(letters={"max_attempts": 3, "backoff_seconds": 60})
    app = make.application(AccessionState.RECEIVED, email="greylisted@example.com")
    make.advance(app, ["submit_for_check", "reject"])
    session.commit()
    now = utcnow()
    try:
        delays = []
        for _ in range(3):
            deliver_due(db, settings, now=now)
            [letter] = _letters(db).values()
            if letter.status == OutboxStatus.FAILED:
                break
            delays.append(letter.next_attempt_at - now)
            assert deliver_due(db, settings, now=letter.next_attempt_at - timedelta(seconds=1)).claimed == 0
            now = letter.next_attempt_at
    finally:
        server.stop()
    assert delays == [timedelta(seconds=60), timedelta(seconds=120)]
    assert letter.status == OutboxStatus.FAILED and letter.attempts == 3
    assert letter.last_error.startswith("451") and "Greylisted" in letter.last_error


def test_a_sender_that_died_is_replaced_and_the_resend_keeps_its_message_id(
    make: Factory, session: Session, db: Database, settings: Settings
) -> None:
    app = make.application(AccessionState.RECEIVED)
    make.advance(app, ["submit_for_check", "reject"])
    session.commit()
    now = utcnow()
    deliver_due(db, settings, now=now)  # folder transport: the letter is written as a file
    [letter] = _letters(db).values()
    first = sorted(settings.outbox_dir.glob("*.eml"))
    assert [p.name for p in first] == [mime.message_id(letter, settings).strip("<>").split("@")[0] + ".eml"]

    # A sender claims it again (the row put back as if the outcome was never recorded) and dies.
    with db.session() as s:
        row = s.get(OutboxMessage, letter.id)
        assert row is not None
        row.status, row.next_attempt_at = OutboxStatus.PENDING, now
    assert claim(db, now=now, limit=10, token="dead-sender", settings=settings) == [letter.id]
    assert deliver_due(db, settings, now=now + timedelta(seconds=10)).claimed == 0  # its claim still holds

    later = now + timedelta(seconds=settings.letters.claim_seconds + 1)
    assert deliver_due(db, settings, now=later).sent == 1
    # Same Message-ID, same file: the recipient sees one letter.
    assert sorted(settings.outbox_dir.glob("*.eml")) == first


def test_a_letter_whose_code_was_replaced_is_not_sent(
    make: Factory, session: Session, db: Database, settings: Settings, smtp_server: SmtpServer
) -> None:
    app = make.application(AccessionState.CODE_ISSUED)
    make.advance(app, ["reissue_code"])
    session.commit()

    report = deliver_due(db, smtp_settings(settings, smtp_server))

    assert report.superseded == 1 and report.sent == 3  # the new code, and two invitations
    with db.session() as s:
        rows = s.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "registration_code").order_by(OutboxMessage.id)
        ).all()
        current = s.scalars(
            select(RegistrationCode).where(
                RegistrationCode.revoked_at.is_(None), RegistrationCode.application_id == app.id
            )
        ).one()
    old, new = rows
    assert old.status == OutboxStatus.SUPERSEDED and "newer registration code" in old.last_error
    assert new.status == OutboxStatus.SENT
    bodies = [r.message.get_body(("plain",)).get_content() for r in smtp_server.received]  # type: ignore[union-attr]
    assert sum(codes.derive(settings.code_key, current.nonce) in b for b in bodies) == 1
