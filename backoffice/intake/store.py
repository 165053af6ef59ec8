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
from sqlalchemy.exc import IntegrityError

from backoffice.documents.storage import Storage
from backoffice.intake.envelope import envelope, message_key, read_headers
from backoffice.intake.models import IncomingMessage, MessageStatus
from backoffice.intake.outages import DiskError, is_disk_error
from backoffice.intake.units import SessionSource, unit_of_work
from backoffice.types import utcnow

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
    key = message_key(mid, stored.sha256)
    with unit_of_work(sessions) as session:
        existing = session.scalar(select(IncomingMessage).where(IncomingMessage.message_key == key))
        if existing is not None:
            if existing.raw_sha256 != stored.sha256:
                log.warning("message %s arrived again with different bytes (kept at %s)", mid or key, stored.path)
            return Ingested(existing.id, False)
        row = IncomingMessage(
            message_key=key,
            message_id=mid,
            raw_path=stored.path,
            raw_sha256=stored.sha256,
            size=stored.size,
            source=source,
            source_ref=source_ref[:300],
            sender=sender,
            subject=subject,
            received_at=utcnow(),
            status=MessageStatus.RECEIVED,
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:  # another poller recorded it a moment ago
            other = session.scalar(select(IncomingMessage.id).where(IncomingMessage.message_key == key))
            assert other is not None
            return Ingested(other, False)
        return Ingested(row.id, True)


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
