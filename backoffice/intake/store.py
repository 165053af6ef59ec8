"""Step one of the intake: the raw message goes to storage and gets its row, before anything parses it.

Once :func:`ingest` has returned, the message can be removed from the mailbox: whatever happens next (a
parser crash, a kill -9, a power cut), the bytes are on disk and the row says they wait to be processed.
The row's unique key makes a second delivery, a re-read after a crash or a re-import find the first one.
A documents disk that is full (or failing) while the bytes are written raises :class:`DiskError`: the message
has no row yet and is still in the mailbox, so the next poll simply takes it again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.documents.storage import Storage, Stored
from backoffice.intake import untaken
from backoffice.intake.envelope import envelope, message_key, read_headers
from backoffice.intake.filenames import storable
from backoffice.intake.models import IncomingMessage, MessageStatus
from backoffice.intake.outages import DiskError, is_database_outage, is_disk_error
from backoffice.intake.units import SessionSource, unit_of_work
from backoffice.unique import insert_unless_taken

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ingested:
    message_id: int  # the row's id
    new: bool


def ingest(
    sessions: SessionSource, storage: Storage, chunks: Iterable[bytes], *, source: str, source_ref: str = ""
) -> Ingested:
    """Store the message whose bytes ``chunks`` yields and record it once; returns its row.

    Raises :class:`DiskError` when storage cannot be written for a reason of the disk; an error reading
    ``chunks`` (the mailbox) comes out as it was raised.
    """
    reading = _Reading(chunks)
    try:
        stored = storage.put_chunks(reading)
    except OSError as exc:
        if reading.failed or not is_disk_error(exc):
            raise
        raise DiskError(storage.root, exc) from exc
    sender = subject = ""
    mid: str | None = None
    try:
        with storage.open(stored.path) as fh:
            env = envelope(read_headers(fh))
        mid, sender, subject = env.message_id, env.sender, env.subject
    except OSError as exc:
        if is_disk_error(exc):  # keyed by its bytes now, it could be recorded twice once the disk reads again
            raise DiskError(storage.root, exc) from exc
        log.warning("stored message %s %s cannot be read back; keyed by its bytes", source, source_ref, exc_info=True)
    except Exception:  # a header block not even the tolerant parser reads: the raw bytes identify it
        log.warning("unreadable headers in %s %s; keyed by its bytes", source, source_ref, exc_info=True)
    mid = storable(mid, 998) or None if mid else None
    try:
        return _record(sessions, stored, mid, sender, subject, source, source_ref)
    except Exception as exc:
        if is_database_outage(exc):
            raise  # the database is away: the message stays in the mailbox and is taken on a later poll
        # Something in this message's headers that no column takes: record it by its bytes alone, and let
        # processing look at it (and quarantine it with its reason if it cannot be read). Never lose it.
        log.exception("message from %s %s could not be recorded as read; recorded by its bytes", source, source_ref)
        return _record(sessions, stored, None, "", "", source, source_ref)


def _record(
    sessions: SessionSource, stored: Stored, mid: str | None, sender: str, subject: str, source: str, source_ref: str
) -> Ingested:
    """The message's row, found or added, committed in one transaction with the closing of an earlier quarantine
    row of the same message that could not be read (see :func:`untaken.resolve_unread_in`)."""
    with unit_of_work(sessions) as session:
        result = _find_or_add(session, stored, mid, sender, subject, source, source_ref)
        untaken.resolve_unread_in(session, source=source, source_ref=source_ref, message_id=result.message_id)
        return result


def _find_or_add(
    session: Session, stored: Stored, mid: str | None, sender: str, subject: str, source: str, source_ref: str
) -> Ingested:
    """The message's row: inserted under its key (one statement for a new message, as most are), or, when the key
    is taken, found. The same bytes again are the same message (exactly once); other bytes under a Message-ID
    already seen get a row of their own, keyed by their bytes too and linked to the first."""

    def row(key: str, same_id_as: int | None = None) -> IncomingMessage:
        return IncomingMessage.arrived(
            key,
            source=source,
            source_ref=source_ref,
            stored=stored,
            status=MessageStatus.RECEIVED,
            message_id=mid,
            sender=sender,
            subject=subject,
            same_id_as_id=same_id_as,
        )

    key = message_key(mid, stored.sha256)
    new = insert_unless_taken(session, row(key))
    if new is not None:
        return Ingested(new.id, True)
    earlier = session.scalars(select(IncomingMessage).where(IncomingMessage.message_key == key)).one()
    if earlier.raw_sha256 == stored.sha256:
        return Ingested(earlier.id, False)  # the same message again: exactly once
    log.info("message %s reuses the Message-ID of message %s; kept as its own", mid, earlier.id)
    return Ingested(*untaken.add_once(session, row(message_key(mid, stored.sha256, reused=True), earlier.id)))


class _Reading:
    """The source's chunks, noting whether a failure came from reading them (the mailbox) or from storing them."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self.chunks = chunks
        self.failed = False

    def __iter__(self) -> Iterator[bytes]:
        source = iter(self.chunks)
        while True:
            try:
                chunk = next(source)
            except StopIteration:
                return
            except BaseException:
                self.failed = True
                raise
            yield chunk
