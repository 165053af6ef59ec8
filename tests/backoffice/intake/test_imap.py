"""The production source: an IMAP mailbox on a real Dovecot (TLS on loopback, certificate made for the run)."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice.applications.models import Application
from backoffice.database import Database
from backoffice.intake.models import IncomingMessage
from backoffice.intake.service import PollSummary, poll, watch
from backoffice.settings import Settings
from tests.backoffice.intake import corpus
from tests.backoffice.intake.conftest import DovecotServer


def _mailbox(server: DovecotServer, folder: str = "INBOX"):  # type: ignore[no-untyped-def]
    from imap_tools import MailBox

    context = ssl.create_default_context(cafile=str(server.ca_file))
    return MailBox(server.host, server.port, ssl_context=context).login(
        server.username, server.password, initial_folder=folder
    )


def _empty_mailbox(server: DovecotServer) -> None:
    with _mailbox(server) as mb:
        for folder in ("INBOX", "Processed"):
            if mb.folder.exists(folder):
                mb.folder.set(folder)
                mb.delete(mb.uids("ALL"))


def _count(session: Session, model: type) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_messages_appended_to_dovecot_become_applications_and_move_to_processed(
    dovecot: DovecotServer, intake_db: Database, intake_settings: Settings, session: Session
) -> None:
    _empty_mailbox(dovecot)
    settings = dovecot.settings_for(intake_settings)
    big = corpus.tiny_pdf() + b"%" + bytes(range(256)) * 40_000  # ~10 MB: fetched in slices
    with _mailbox(dovecot) as mb:
        mb.append(corpus.outlook("Заява.pdf", corpus.tiny_pdf()))
        mb.append(corpus.thunderbird("Заява велика.pdf", big))
        mb.append(corpus.gmail("scan.pdf", corpus.tiny_pdf("no id"), message_id=None))
        mb.append(corpus.auto_reply())

    summary = poll(intake_db, settings)
    again = poll(intake_db, settings)

    assert (summary.fetched, summary.created, summary.ignored) == (4, 3, 1)
    assert again.fetched == 0 and again.created == 0
    assert _count(session, Application) == 3
    large = session.scalars(select(Application)).all()
    assert any(d.size == len(big) for a in large for d in a.documents)
    with _mailbox(dovecot) as mb:
        assert mb.uids("ALL") == []
        mb.folder.set("Processed")
        assert len(mb.uids("ALL")) == 4  # moved, never deleted


def test_a_message_copied_back_into_the_inbox_is_not_processed_twice(
    dovecot: DovecotServer, intake_db: Database, intake_settings: Settings, session: Session
) -> None:
    _empty_mailbox(dovecot)
    settings = dovecot.settings_for(intake_settings)
    with _mailbox(dovecot) as mb:
        mb.append(corpus.gmail("scan.pdf", corpus.tiny_pdf()))
    poll(intake_db, settings)
    with _mailbox(dovecot, "Processed") as mb:
        mb.copy(mb.uids("ALL"), "INBOX")  # as if the move had not happened before a crash

    summary = poll(intake_db, settings)

    assert summary.fetched == 1 and summary.duplicates == 1
    assert _count(session, Application) == 1 and _count(session, IncomingMessage) == 1


@contextmanager
def _watching(
    dovecot: DovecotServer, intake_db: Database, settings: Settings, report: Callable[[PollSummary], None]
) -> Iterator[None]:
    """``intake watch`` in a thread, IDLE and the poll interval both at 60 s: anything sooner is IDLE's doing."""
    settings = dovecot.settings_for(settings).replace(imap={"idle_seconds": 60}, intake={"poll_interval_seconds": 60})
    stop = threading.Event()
    thread = threading.Thread(
        target=watch, args=(intake_db, settings), kwargs={"report": report, "should_stop": stop.is_set}, daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        with _mailbox(dovecot) as mb:  # wake the IDLE so the thread sees the stop
            mb.append(corpus.auto_reply())
        thread.join(timeout=30)
    assert not thread.is_alive(), "intake watch did not stop when told"


def _wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


@pytest.mark.committed  # the watcher runs in a thread of its own
def test_watch_wakes_on_new_mail_through_imap_idle(
    dovecot: DovecotServer, intake_db: Database, intake_settings: Settings, session: Session
) -> None:
    _empty_mailbox(dovecot)
    polls: list[int] = []
    with _watching(dovecot, intake_db, intake_settings, lambda s: polls.append(s.created)):
        assert _wait_for(lambda: bool(polls), 20)
        time.sleep(0.5)  # now in IDLE, for up to 60 s (or, if not there yet, about to find the letter waiting)
        with _mailbox(dovecot) as mb:
            mb.append(corpus.gmail("scan.pdf", corpus.tiny_pdf("idle")))
        assert _wait_for(lambda: sum(polls) >= 1, 15)  # well before the 60 s interval
    assert _count(session, Application) == 1


@pytest.mark.committed  # the watcher runs in a thread of its own
def test_watch_takes_a_letter_that_arrived_between_the_poll_and_the_idle_at_once(
    dovecot: DovecotServer, intake_db: Database, intake_settings: Settings, session: Session
) -> None:
    """IDLE announces only what arrives after it starts: a letter that came while the previous poll was finishing
    must not wait out the interval."""
    _empty_mailbox(dovecot)
    polls: list[int] = []

    def report(summary: PollSummary) -> None:
        if not polls:  # the first poll is over and the watcher has not gone idle yet: a letter arrives now
            with _mailbox(dovecot) as mb:
                mb.append(corpus.gmail("scan.pdf", corpus.tiny_pdf("between")))
        polls.append(summary.created)

    with _watching(dovecot, intake_db, intake_settings, report):
        assert _wait_for(lambda: sum(polls) >= 1, 15), polls
    assert _count(session, Application) == 1
