"""Attachment names as the sender meant them: the declared charset before any guess, a name cut short by
webmail kept readable, Latin names left Latin."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.applications.models import Document, DocumentKind
from backoffice.database import Database
from backoffice.intake.service import poll
from backoffice.settings import Settings
from tests.backoffice.intake import corpus
from tests.backoffice.intake.conftest import Maildir


def _names(session: Session) -> list[str]:
    session.expire_all()
    return [
        d.filename
        for d in session.scalars(select(Document).order_by(Document.id))
        if d.kind != DocumentKind.EMAIL_ORIGINAL
    ]


@pytest.mark.parametrize(
    ("name", "charset", "declared"),
    [
        ("HasenundFrösche.pdf", "iso-8859-1", "iso-8859-1"),  # a German client, the message says Latin-1
        ("HasenundFrösche.pdf", "iso-8859-1", "utf-8"),  # ... or says nothing useful: still not Cyrillic
        ("Café déjà vu.pdf", "cp1252", "windows-1252"),
        ("Заява підписана.pdf", "cp1251", "windows-1251"),
        ("Заява підписана.pdf", "cp1251", "iso-8859-1"),  # a wrong label does not turn Cyrillic into Latin
        ("Заява підписана.pdf", "koi8-u", "koi8-u"),
    ],
)
def test_a_raw_8bit_name_is_read_in_the_declared_charset_first(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session,
    name: str, charset: str, declared: str,
) -> None:
    maildir.drop(corpus.raw_8bit_name(name, corpus.tiny_pdf("x"), charset=charset, body_charset=declared))
    poll(intake_db, intake_settings)
    assert _names(session) == [name]


def test_a_utf8_name_cut_mid_character_keeps_its_text(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session
) -> None:
    maildir.drop(corpus.yahoo_cut_name("Картинка с очень длинным названием.pdf", corpus.tiny_pdf("y"), cut_bytes=34))
    poll(intake_db, intake_settings)
    [name] = _names(session)
    assert name.startswith("Картинка с очень") and "\ufffd" in name
    assert "п╟" not in name and "я─" not in name  # not read as KOI8


@pytest.mark.parametrize(
    ("name", "part_charset", "message_charset"),
    [
        ("Заява підписана.pdf", "koi8-u", "windows-1251"),  # the file's part says KOI8-U, the letter cp1251
        ("Заява підписана.pdf", "windows-1251", "koi8-u"),  # ... and the other way round
        ("HasenundFrösche.pdf", "iso-8859-1", "windows-1251"),  # a Latin name in a letter declared Cyrillic
    ],
)
def test_a_raw_8bit_name_is_read_in_its_own_part_charset_before_the_message_charset(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session,
    name: str, part_charset: str, message_charset: str,
) -> None:
    letter = corpus.raw_8bit_name(
        name, corpus.tiny_pdf("x"), charset=part_charset, body_charset=message_charset, part_charset=part_charset
    )
    maildir.drop(letter)
    poll(intake_db, intake_settings)
    assert _names(session) == [name]
