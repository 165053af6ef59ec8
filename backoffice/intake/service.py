"""One poll of the intake: take what waits in the source, then process what is stored, then verify signatures.

The three steps are separate on purpose. Taking a message (store, record, move) is short and safe to repeat;
processing works only from what is stored; verification runs after the application is committed. Any of them
can be interrupted and the next poll finishes the work without doing any of it twice.

That is also what lets the intake heal by itself. A documents disk that cannot be written leaves each message
it stops where it was (counted in ``disk_errors``, never quarantined); a database that goes away ends the poll
(the exception is raised), and :func:`watch` waits for it with a bounded back-off and carries on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from backoffice.documents.storage import CHUNK, Storage, open_storage
from backoffice.documents.verification import check_pending
from backoffice.intake import lanes, untaken
from backoffice.intake.models import IncomingMessage, MessageStatus
from backoffice.intake.outages import DiskError, is_database_outage
from backoffice.intake.processing import logged, process_detailed
from backoffice.intake.signatures import check_email_signatures
from backoffice.intake.sources import Gone, ImapSource, MaildirSource, Unreadable, open_source
from backoffice.intake.store import ingest
from backoffice.intake.units import SessionSource, unit_of_work
from backoffice.settings import Settings

log = logging.getLogger(__name__)
#: Messages listed (and shared among the lanes) at a time.
PAGE = 1000


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
    held: int = 0  # fragments of a message sent in parts, waiting for the rest
    errors: int = 0  # left for the next poll (the database refused a statement, or a message could not be taken)
    #: Messages (or imported files) that could not even be read: each has a quarantine row with the reason and
    #: stays where it was, so a later poll tries it again.
    untaken: int = 0
    signature_checks: int = 0
    disk_errors: int = 0  # left waiting (in the mailbox or received): the documents disk could not be written
    #: Replies to a message that could not be processed yet; each waits for it, for a later poll.
    waiting: int = 0
    #: How many processes processed messages (at most ``[intake] workers``; 1 on SQLite, or for a few messages).
    lanes: int = 1
    #: The last disk error, to tell the administrator what is wrong with which disk (not part of the counts).
    disk_problem: DiskError | None = field(default=None, repr=False, compare=False)

    def count(self, outcome: str) -> None:
        name = _COUNTED.get(outcome)
        if name:
            setattr(self, name, getattr(self, name) + 1)

    def disk_failed(self, problem: DiskError) -> None:
        level = logging.WARNING if self.disk_errors == 0 else logging.DEBUG  # a full disk stops them all: say it once
        log.log(level, "documents disk: %s; messages wait for a later poll", problem)
        self.disk_errors += 1
        self.disk_problem = problem

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "disk_problem"}


#: Which count each processing outcome goes to.
_COUNTED = {
    "created": "created",
    "attached": "attached",
    "reply": "replies",
    "quarantined": "quarantined",
    "ignored": "ignored",
    "error": "errors",
    "held": "held",
    "waiting": "waiting",
}


def poll(sessions: SessionSource, settings: Settings, *, verify: bool = True) -> PollSummary:
    """Process everything waiting in the configured source once (the scheduler's job and ``intake poll``).

    Raises ``OSError`` when the mailbox cannot be read and SQLAlchemy's error when the database cannot be
    reached (:func:`is_database_outage`); either way nothing is lost and the next poll carries on.
    """
    summary = PollSummary()
    storage = open_storage(settings, sessions)
    with lanes.Lanes(sessions, settings) as shared:
        with open_source(settings) as source:
            take(sessions, storage, source, summary, shared)
        process_pending(sessions, settings, summary, shared)
    if verify:
        verify_pending(sessions, settings, summary)
    return summary


def take(
    sessions: SessionSource,
    storage: Storage,
    source: MaildirSource | ImapSource,
    summary: PollSummary,
    shared: lanes.Lanes,
) -> None:
    """Store and record every waiting message, each on its own: one that cannot be taken gets a quarantine row
    with its reason (see :mod:`backoffice.intake.untaken`), and the rest are taken in the same run. A large
    batch starts the lanes that will process it (``shared``) while the rest is taken."""
    items = list(source.waiting())
    shared.expect(len(items))
    for item in items:
        try:
            waiting = _Waiting(source.name, item.ref, lambda item=item: source.chunks(item))
            safe = _take_one(sessions, storage, summary, waiting, shared)
        except DiskError as exc:  # it stays in the mailbox; the ones after it would not fit either
            summary.disk_failed(exc)
            return
        if safe:
            source.done(item)


def import_files(sessions: SessionSource, settings: Settings, files: Iterable[Path]) -> PollSummary:
    """``intake import``: saved .eml files, each stored and processed like a received one.

    A file that cannot be read (or taken) is quarantined with its reason like a message of the mailbox, and the
    other files are imported in the same run: ``untaken`` counts those whose bytes could not even be read.
    """
    summary = PollSummary()
    storage = open_storage(settings, sessions)
    files = list(files)
    with lanes.Lanes(sessions, settings) as shared:
        shared.expect(len(files))
        for path in files:
            try:
                waiting = _Waiting("import", str(path)[-300:], lambda path=path: _file_chunks(path))
                _take_one(sessions, storage, summary, waiting, shared)
            except DiskError as exc:  # this file and the ones after it are not imported; run the import again
                summary.disk_failed(exc)
                break
        process_pending(sessions, settings, summary, shared)
    verify_pending(sessions, settings, summary)
    return summary


def _file_chunks(path: Path) -> Iterator[bytes]:
    """A saved file's bytes; any error of the file itself is that file's trouble (:class:`Unreadable`)."""
    try:
        with Path(path).open("rb") as fh:
            while chunk := fh.read(CHUNK):
                yield chunk
    except OSError as exc:
        raise Unreadable(str(path), f"{type(exc).__name__}: {exc.strerror or exc}") from exc


@dataclass(frozen=True)
class _Waiting:
    """One message to take: the source's name, the message's reference there, and its bytes, given afresh at each
    call of ``chunks``: after a failure they are read once more to keep them with the quarantine row."""

    source: str
    ref: str
    chunks: Callable[[], Iterable[bytes]]


def _take_one(
    sessions: SessionSource, storage: Storage, summary: PollSummary, message: _Waiting, shared: lanes.Lanes
) -> bool:
    """Take one message; True when a row now holds its bytes, so that the source may let it go. A new message is
    handed to the lanes (``shared``), which may process it while the poll takes the next.

    Raises :class:`DiskError`, a database outage and the ``OSError`` of a mailbox
    that cannot be read at all: no message is to blame for those, and taking stops until a later poll.
    """
    source, ref = message.source, message.ref
    try:
        result = ingest(sessions, storage, message.chunks(), source=source, source_ref=ref)
    except Gone:
        return False  # another poller took it between the listing and the reading
    except Unreadable as exc:
        log.warning("message %s in %s cannot be read (%s); quarantined, left there", ref, source, exc.reason)
        _unread(sessions, summary, source, ref, exc.reason)
        return False
    except Exception as exc:
        if _nobody_to_blame(exc):
            raise  # the disk, the database or the mailbox is away: nothing more can be taken now
        log.exception("message %s could not be taken from %s; quarantined", ref, source)
        return _keep_failed(sessions, storage, summary, message, f"{type(exc).__name__}: {exc}")
    summary.fetched += 1
    summary.duplicates += 0 if result.new else 1
    if result.new:
        shared.taken(result.message_id)
    return True  # an earlier quarantine row of this message was closed in the same commit (store._record)


def _nobody_to_blame(exc: Exception) -> bool:
    """A full disk (:class:`DiskError`), a database outage, or the ``OSError`` of a mailbox that cannot be read at
    all: no message is to blame, so it is raised and taking stops until a later poll."""
    return isinstance(exc, (DiskError, OSError)) or is_database_outage(exc)


def _keep_failed(
    sessions: SessionSource, storage: Storage, summary: PollSummary, message: _Waiting, detail: str
) -> bool:
    """Taking failed on a bug: keep the bytes with a quarantine row (True), else a row without them (False)."""
    source, ref = message.source, message.ref
    try:
        untaken.quarantine_with_bytes(sessions, storage, message.chunks(), source=source, source_ref=ref, detail=detail)
    except Gone:
        return False
    except Unreadable as exc:
        _unread(sessions, summary, source, ref, f"{detail}; then {exc.reason}")
        return False
    except Exception as exc:
        if _nobody_to_blame(exc):
            raise
        log.exception("message %s from %s could not be kept with its bytes either", ref, source)
        _unread(sessions, summary, source, ref, detail)
        return False
    summary.fetched += 1
    summary.quarantined += 1
    return True


def _unread(sessions: SessionSource, summary: PollSummary, source: str, ref: str, detail: str) -> None:
    """The row of a message whose bytes could not be had; it waits in the source for a later poll."""
    try:
        untaken.quarantine_unread(sessions, source=source, source_ref=ref, detail=detail)
    except Exception as exc:
        if is_database_outage(exc):
            raise
        log.exception("message %s in %s could not be recorded; left there for the next poll", ref, source)
        summary.errors += 1
        return
    summary.untaken += 1


def process_pending(sessions: SessionSource, settings: Settings, summary: PollSummary, extra: lanes.Lanes) -> None:
    """Every stored message still waiting, oldest first (including those a crash interrupted).

    When many wait, ``[intake] workers`` processes share them (:mod:`backoffice.intake.lanes`). Whatever the lanes
    leave waiting (a reply to a message of another lane, the share of a lane that failed) is then processed here,
    oldest first, as it would have been without them.
    """
    last = 0
    while True:
        with unit_of_work(sessions) as session:
            page = session.scalars(
                select(IncomingMessage.id)
                .where(IncomingMessage.status == MessageStatus.RECEIVED, IncomingMessage.id > last)
                .order_by(IncomingMessage.id)
                .limit(PAGE)
            ).all()
        if not page:
            return
        ids: Sequence[int] = page
        if extra.started or extra.lanes_for(len(page)) > 1:
            tried = extra.process(page)
            for _, outcome in tried:
                if outcome != "waiting":  # tried again just below; counted if it still waits then
                    summary.count(outcome)
            summary.lanes = max(1, len(extra.processes))
            # A message the database refused waits for the next poll, as it does without lanes: tried again here,
            # it would spend two of its tries in one poll.
            refused = {message_id for message_id, outcome in tried if outcome == "error"}
            ids = [i for i in _still_received(sessions, page[0], page[-1]) if i not in refused]
        for message_id in ids:
            try:
                summary.count(logged(message_id, process_detailed(sessions, settings, message_id)))
            except DiskError as exc:  # a smaller message after it may still fit
                summary.disk_failed(exc)
        last = page[-1]


def _still_received(sessions: SessionSource, first: int, last: int) -> Sequence[int]:
    with unit_of_work(sessions) as session:
        return session.scalars(
            select(IncomingMessage.id)
            .where(IncomingMessage.status == MessageStatus.RECEIVED, IncomingMessage.id.between(first, last))
            .order_by(IncomingMessage.id)
        ).all()


def verify_pending(sessions: SessionSource, settings: Settings, summary: PollSummary) -> None:
    for check in (check_pending, check_email_signatures):
        while True:
            with unit_of_work(sessions) as session:
                done = check(session, settings, limit=10)
            summary.signature_checks += done
            if done < 10:
                break


def watch(
    sessions: SessionSource,
    settings: Settings,
    *,
    report: Callable[[PollSummary], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    database_lost: Callable[[DBAPIError, float], None] | None = None,
) -> None:
    """Poll for ever: IMAP IDLE wakes it when mail arrives, otherwise every ``poll_interval_seconds``.

    It outlives what it depends on. A mailbox that cannot be read is tried again after the interval. A database
    that cannot be reached is tried again after 1 s, 2 s, 4 s, … up to ``[intake] database_retry_max_seconds``
    (``database_lost`` is told the error and the wait), and the first poll that reaches it carries on where the
    rows say: a message taken but not processed is processed, one processed is not touched again. Anything else
    that ends a poll is logged with its traceback and the next poll comes after the interval: one bad poll must
    not leave mail piling up until somebody restarts the watcher.
    """
    outages = 0
    while not should_stop():
        wait: float = settings.intake.poll_interval_seconds
        took_all = False
        try:
            summary = poll(sessions, settings)
            outages = 0
            if report:
                report(summary)
            # A message left unread stays in the folder: IDLE would wake at once for it and spin.
            took_all = summary.disk_errors == 0 and summary.untaken == 0
        except DBAPIError as exc:
            if not is_database_outage(exc):
                log.exception("intake poll failed on a database error; polling again in %s s", wait)
            else:
                outages = min(outages + 1, 32)  # the wait stops growing long before a day-long outage overflows it
                wait = min(2.0 ** (outages - 1), settings.intake.database_retry_max_seconds)
                log.warning("intake: the database cannot be reached (%s); trying again in %s s", exc.orig, wait)
                if database_lost:
                    database_lost(exc, wait)
        except OSError:
            log.warning("intake source unavailable; trying again later", exc_info=True)
        except Exception:
            log.exception("intake poll failed; polling again in %s s", wait)
        if should_stop():
            return
        # After a failed poll the letters still in the mailbox are the ones that failed: waiting for new mail
        # (rather than going again at once because the folder is not empty) keeps a bad letter from spinning.
        if not (took_all and _idle(settings, should_stop)):
            _sleep(wait, should_stop)


def _idle(settings: Settings, should_stop: Callable[[], bool]) -> bool:
    if settings.intake.source != "imap":
        return False
    try:
        with ImapSource(settings) as source:
            return source.wait_for_mail(settings.imap.idle_seconds, should_stop)
    except OSError:
        log.warning("IMAP IDLE failed; polling on the interval instead", exc_info=True)
        return False


def _sleep(seconds: float, should_stop: Callable[[], bool]) -> None:
    deadline = time.monotonic() + seconds
    while not should_stop() and time.monotonic() < deadline:
        time.sleep(min(1.0, deadline - time.monotonic()))
