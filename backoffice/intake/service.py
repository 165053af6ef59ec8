"""One poll of the intake: take what waits in the source, then process what is stored, then verify signatures.

The three steps are separate on purpose. Taking a message (store, record, move) is short and safe to repeat;
processing works only from what is stored; verification runs after the application is committed. Any of them
can be interrupted and the next poll finishes the work without doing any of it twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import select

from backoffice.documents.storage import CHUNK, Storage, open_storage
from backoffice.documents.verification import check_pending
from backoffice.intake.models import IncomingMessage, MessageStatus
from backoffice.intake.processing import process_one
from backoffice.intake.sources import ImapSource, MaildirSource, open_source
from backoffice.intake.store import ingest
from backoffice.intake.units import SessionSource, unit_of_work
from backoffice.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class PollSummary:
    """What one poll did; the CLI prints it and the scheduler logs it."""

    fetched: int = 0  # messages taken from the source
    duplicates: int = 0  # of those, already known (re-delivered, or re-read after a crash)
    created: int = 0  # new applications
    attached: int = 0  # replies whose documents joined an application
    replies: int = 0  # replies without documents, linked to their application
    quarantined: int = 0
    ignored: int = 0  # auto-replies and bounces
    errors: int = 0  # left for the next poll (database unavailable)
    signature_checks: int = 0

    def count(self, outcome: str) -> None:
        field = {"created": "created", "attached": "attached", "reply": "replies", "quarantined": "quarantined"}
        name = field.get(outcome) or {"ignored": "ignored", "error": "errors"}.get(outcome)
        if name:
            setattr(self, name, getattr(self, name) + 1)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def poll(sessions: SessionSource, settings: Settings, *, verify: bool = True) -> PollSummary:
    """Process everything waiting in the configured source once (the scheduler's job and ``intake poll``)."""
    summary = PollSummary()
    storage = open_storage(settings, sessions)
    with open_source(settings) as source:
        take(sessions, storage, source, summary)
    process_pending(sessions, settings, summary)
    if verify:
        verify_pending(sessions, settings, summary)
    return summary


def take(sessions: SessionSource, storage: Storage, source: MaildirSource | ImapSource, summary: PollSummary) -> None:
    for item in source.waiting():
        result = ingest(sessions, storage, source.chunks(item), source=source.name, source_ref=item.ref)
        summary.fetched += 1
        summary.duplicates += 0 if result.new else 1
        source.done(item)


def import_files(sessions: SessionSource, settings: Settings, files: Iterable[Path]) -> PollSummary:
    """``intake import``: saved .eml files, each stored and processed like a received one."""
    summary = PollSummary()
    storage = open_storage(settings, sessions)
    for path in files:
        with Path(path).open("rb") as fh:
            chunks = iter(lambda: fh.read(CHUNK), b"")
            result = ingest(sessions, storage, chunks, source="import", source_ref=str(path)[-300:])
        summary.fetched += 1
        summary.duplicates += 0 if result.new else 1
    process_pending(sessions, settings, summary)
    verify_pending(sessions, settings, summary)
    return summary


def process_pending(sessions: SessionSource, settings: Settings, summary: PollSummary) -> None:
    """Every stored message still waiting, oldest first (including those a crash interrupted)."""
    last = 0
    while True:
        with unit_of_work(sessions) as session:
            ids = session.scalars(
                select(IncomingMessage.id)
                .where(IncomingMessage.status == MessageStatus.RECEIVED, IncomingMessage.id > last)
                .order_by(IncomingMessage.id)
                .limit(200)
            ).all()
        if not ids:
            return
        for message_id in ids:
            summary.count(process_one(sessions, settings, message_id))
        last = ids[-1]


def verify_pending(sessions: SessionSource, settings: Settings, summary: PollSummary) -> None:
    while True:
        with unit_of_work(sessions) as session:
            done = check_pending(session, settings, limit=10)
        summary.signature_checks += done
        if done < 10:
            return


def watch(
    sessions: SessionSource,
    settings: Settings,
    *,
    report: Callable[[PollSummary], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> None:
    """Poll for ever: IMAP IDLE wakes it when mail arrives, otherwise every ``poll_interval_seconds``."""
    while not should_stop():
        try:
            summary = poll(sessions, settings)
            if report:
                report(summary)
            took_all = True
        except OSError:
            log.warning("intake source unavailable; trying again later", exc_info=True)
            took_all = False
        if should_stop():
            return
        # After a failed poll the letters still in the mailbox are the ones that failed: waiting for new mail
        # (rather than going again at once because the folder is not empty) keeps a bad letter from spinning.
        if not (took_all and _idle(settings)):
            _sleep(settings.intake.poll_interval_seconds, should_stop)


def _idle(settings: Settings) -> bool:
    if settings.intake.source != "imap":
        return False
    try:
        with ImapSource(settings) as source:
            return source.wait_for_mail(settings.imap.idle_seconds)
    except OSError:
        log.warning("IMAP IDLE failed; polling on the interval instead", exc_info=True)
        return False


def _sleep(seconds: float, should_stop: Callable[[], bool]) -> None:
    deadline = time.monotonic() + seconds
    while not should_stop() and time.monotonic() < deadline:
        time.sleep(min(1.0, deadline - time.monotonic()))
