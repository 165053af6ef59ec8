"""A message that fails while it is taken or processed is quarantined with its reason; the others go on.

The failures are real where the file system can make them so: a directory or a dangling link where a Maildir
file should be, and a file without read permission (when the tests do not run as root, for whom chmod 000
denies nothing). An unexpected bug is simulated by replacing one internal function for one marked message,
since no real message is known to cause one; everything the operator sees is asserted as it is.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.cli.intake import intake_cli
from backoffice.database import Database
from backoffice.documents.storage import open_storage
from backoffice.intake import processing, service
from backoffice.intake.models import IncomingMessage, MessageStatus
from backoffice.intake.service import poll
from backoffice.settings import Settings
from tests.backoffice.intake import corpus
from tests.backoffice.intake.conftest import Maildir


def _good(n: int) -> bytes:
    sender = f"Firma {n} <office{n}@firma.example.ua>"
    return corpus.outlook(f"Заява {n}.pdf", corpus.tiny_pdf(f"good {n}"), sender=sender)


def _rows(session: Session) -> list[IncomingMessage]:
    session.expire_all()
    return list(session.scalars(select(IncomingMessage).order_by(IncomingMessage.id)))


def _made(rows: list[IncomingMessage]) -> set[str]:
    return {r.sender for r in rows if r.status == MessageStatus.PROCESSED and r.application_id is not None}


def _break_the_mailbox(maildir: Maildir) -> dict[str, str]:
    """Maildir entries that cannot be read, each for a real reason; returns {ref: what the detail must say}."""
    new = maildir.root / "new"
    new.mkdir(parents=True, exist_ok=True)
    (new / "01.directory").mkdir()
    (new / "02.dangling").symlink_to(maildir.root / "tmp" / "gone-long-ago")
    broken = {"new/01.directory": "IsADirectoryError", "new/02.dangling": "FileNotFoundError"}
    if os.geteuid() != 0:  # root reads a file whatever its mode says
        locked = maildir.drop(_good(99), name="03.locked")
        locked.chmod(0)
        broken["new/03.locked"] = "PermissionError"
    return broken


def test_messages_that_cannot_be_read_in_the_mailbox_are_quarantined_and_the_others_taken(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session
) -> None:
    broken = _break_the_mailbox(maildir)
    for n in range(3):
        maildir.drop(_good(n), name=f"1{n}.good")

    summary = poll(intake_db, intake_settings)

    rows = _rows(session)
    assert _made(rows) == {f"office{n}@firma.example.ua" for n in range(3)}, "every good one in the same run"
    unread = {r.source_ref: r for r in rows if r.reason == "unreadable_in_mailbox"}
    assert set(unread) == set(broken)
    for ref, cause in broken.items():
        row = unread[ref]
        assert row.status == MessageStatus.QUARANTINED and row.source == "maildir"
        assert cause in row.detail and row.raw_path == ""
        assert os.path.lexists(maildir.root / ref), "left in the mailbox for a later poll"
    assert summary.untaken == len(broken) and summary.errors == 0 and summary.created == 3

    # The next poll fails on them again, and finds the same rows: no second row for the same message.
    again = poll(intake_db, intake_settings)
    assert again.untaken == len(broken)
    assert len(_rows(session)) == len(rows)

    # Once the mailbox is mended the message is taken; its earlier row leaves the quarantine and names it.
    (maildir.root / "new" / "01.directory").rmdir()
    (maildir.root / "new" / "01.directory").write_bytes(_good(7))
    mended = poll(intake_db, intake_settings)
    assert mended.created == 1
    rows = _rows(session)
    [earlier] = [r for r in rows if r.source_ref == "new/01.directory" and r.reason == "unreadable_in_mailbox"]
    [taken] = [r for r in rows if r.source_ref == "new/01.directory" and r.reason != "unreadable_in_mailbox"]
    assert earlier.status == MessageStatus.DISMISSED and f"#{taken.id}" in earlier.detail
    assert taken.status == MessageStatus.PROCESSED and taken.sender == "office7@firma.example.ua"


def test_a_bug_while_one_message_is_taken_quarantines_it_with_its_bytes(
    intake_db: Database,
    intake_settings: Settings,
    maildir: Maildir,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_ingest = service.ingest

    def ingest(sessions: Any, storage: Any, chunks: Iterable[bytes], *, source: str, source_ref: str = "") -> Any:
        if source_ref.endswith(".bug"):
            raise RuntimeError("an unforeseen bug while taking")
        return real_ingest(sessions, storage, chunks, source=source, source_ref=source_ref)

    monkeypatch.setattr(service, "ingest", ingest)
    bad = corpus.outlook("Заява.pdf", corpus.tiny_pdf("bug"), sender="Bug <bug@firma.example.ua>")
    maildir.drop(_good(0), name="1.good")
    maildir.drop(bad, name="2.bug")
    maildir.drop(_good(1), name="3.good")

    summary = poll(intake_db, intake_settings)

    rows = _rows(session)
    assert _made(rows) == {"office0@firma.example.ua", "office1@firma.example.ua"}
    [row] = [r for r in rows if r.source_ref == "new/2.bug"]
    assert (row.status, row.reason) == (MessageStatus.QUARANTINED, "take_failed")
    assert "RuntimeError: an unforeseen bug while taking" in row.detail
    assert open_storage(intake_settings, session).read(row.raw_path) == bad, "the bytes are kept for the operator"
    assert maildir.waiting() == [], "kept whole, it left the mailbox like the others"
    assert summary.quarantined == 1 and summary.untaken == 0


def test_a_bug_while_one_message_is_processed_quarantines_it_and_the_others_become_applications(
    intake_db: Database,
    intake_settings: Settings,
    maildir: Maildir,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = processing._new_application

    def new_application(session: Session, message: IncomingMessage, *args: Any) -> Any:
        if message.sender == "bug@firma.example.ua":
            raise RuntimeError("an unforeseen bug while processing")
        return real(session, message, *args)

    monkeypatch.setattr(processing, "_new_application", new_application)
    maildir.drop(_good(0))
    maildir.drop(corpus.outlook("Заява.pdf", corpus.tiny_pdf("bug"), sender="Bug <bug@firma.example.ua>"))
    maildir.drop(_good(1))

    summary = poll(intake_db, intake_settings)

    rows = _rows(session)
    assert _made(rows) == {"office0@firma.example.ua", "office1@firma.example.ua"}
    [row] = [r for r in rows if r.sender == "bug@firma.example.ua"]
    assert (row.status, row.reason, row.application_id) == (MessageStatus.QUARANTINED, "processing_failed", None)
    assert "RuntimeError: an unforeseen bug while processing" in row.detail
    assert summary.created == 2 and summary.quarantined == 1


def test_import_quarantines_a_file_it_cannot_read_and_imports_the_others(
    app: Flask, intake_db: Database, session: Session, tmp_path: Path
) -> None:
    good = []
    for n in range(2):
        path = tmp_path / f"good-{n}.eml"
        path.write_bytes(_good(n))
        good.append(path)
    folder = tmp_path / "a-folder.eml"
    folder.mkdir()
    missing = tmp_path / "missing.eml"
    dangling = tmp_path / "dangling.eml"
    dangling.symlink_to(tmp_path / "nowhere")

    result = app.test_cli_runner().invoke(
        intake_cli, ["import", "--json", str(good[0]), str(folder), str(missing), str(dangling), str(good[1])]
    )

    assert result.exit_code == 1, result.output
    counts = json.loads(result.stdout.splitlines()[0])
    assert counts["untaken"] == 3 and counts["created"] == 2
    assert ": 3;" in result.stderr and "карантин" in result.stderr  # in the site's language (uk)
    rows = _rows(session)
    assert _made(rows) == {"office0@firma.example.ua", "office1@firma.example.ua"}
    unread = {r.source_ref: r for r in rows if r.reason == "unreadable_in_mailbox"}
    assert set(unread) == {str(folder), str(missing), str(dangling)}
    assert "IsADirectoryError" in unread[str(folder)].detail
    assert "FileNotFoundError" in unread[str(missing)].detail
    assert all(r.status == MessageStatus.QUARANTINED and r.source == "import" for r in unread.values())
