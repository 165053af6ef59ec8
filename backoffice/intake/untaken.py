"""A message that cannot be taken from the mailbox (or a file that cannot be imported) still gets a row.

Taking a message is short (store the bytes, record a row, move it), but it can still fail for a reason of the
message itself: a Maildir file nobody may read, a directory or a dangling link where a file should be, a
message the IMAP server refuses to hand out, or a bug on a message of a shape nobody foresaw. None of these may
stop the batch, and none may leave the operator unaware of a message: "nothing is lost without a row".

- When the bytes can still be read, they are stored and the row is quarantined with the reason
  (``take_failed``); the message then leaves the mailbox like any other, since the operator has all of it.
- When not even the bytes can be read, the row holds what is known (where it waits, and why it cannot be read),
  quarantined as ``unreadable_in_mailbox``, and the message stays in the mailbox: every poll tries again, the
  same row is found (keyed by the source and the name there, not by bytes nobody has), and once the message is
  taken the row says so and leaves the quarantine.

Outages are not the message's fault and never come here: the caller lets a database outage, a full documents
disk (:class:`DiskError`) and a mailbox that cannot be read at all stop the poll as before.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.audit.trail import record
from backoffice.documents.storage import Storage, Stored
from backoffice.intake.envelope import message_key
from backoffice.intake.filenames import storable
from backoffice.intake.models import IncomingMessage, MessageStatus
from backoffice.intake.outages import DiskError, is_database_outage, is_disk_error
from backoffice.intake.processing import INTAKE, SUBJECT
from backoffice.intake.units import SessionSource, unit_of_work
from backoffice.unique import insert_unless_taken

log = logging.getLogger(__name__)

#: The reason of a message whose bytes were kept although taking it failed.
TAKE_FAILED = "take_failed"
#: The reason of a message that could not even be read where it waits; it stays there and is tried again.
UNREADABLE_IN_MAILBOX = "unreadable_in_mailbox"


def untaken_key(source: str, source_ref: str) -> str:
    """The key of a message known only by where it waits: the same one at every poll, never a message's own
    (those are hashes of ``mid:`` or ``raw:`` material)."""
    return hashlib.sha256(f"untaken:{source}:{source_ref}".encode("utf-8", "surrogateescape")).hexdigest()


def quarantine_with_bytes(
    sessions: SessionSource, storage: Storage, chunks: Iterable[bytes], *, source: str, source_ref: str, detail: str
) -> int:
    """Store the message's bytes again and record it quarantined as ``take_failed``; returns its row.

    Raises what reading ``chunks`` raises (the caller then records it without bytes), and :class:`DiskError`
    when the documents disk refuses them (a retry-later condition, not the message's fault).
    """
    try:
        stored = storage.put_chunks(chunks)
    except OSError as exc:
        if is_disk_error(exc):
            raise DiskError(storage.root, exc) from exc
        raise
    key = message_key(None, stored.sha256)
    with unit_of_work(sessions) as session:
        earlier = id_of(session, key)
        if earlier is not None:  # the same bytes already have their row (taken, or quarantined at a poll before)
            return earlier
        return _quarantine(session, key, source, source_ref, stored, TAKE_FAILED, detail)


def quarantine_unread(sessions: SessionSource, *, source: str, source_ref: str, detail: str) -> int:
    """Record (once) a message that cannot be read where it waits, quarantined with ``detail``; returns its row.

    A later poll that fails on it again finds the same row and updates the reason's detail, unless an operator
    has dismissed it already.
    """
    key = untaken_key(source, source_ref)
    with unit_of_work(sessions) as session:
        row = session.scalar(select(IncomingMessage).where(IncomingMessage.message_key == key))
        if row is not None:
            if row.status == MessageStatus.QUARANTINED:
                row.detail = storable(detail, 2000)
            return row.id
        # No bytes were read: nothing to download, nothing to make an application of.
        return _quarantine(session, key, source, source_ref, None, UNREADABLE_IN_MAILBOX, detail)


def resolve_unread(sessions: SessionSource, *, source: str, source_ref: str, message_id: int) -> None:
    """The message a row of :func:`quarantine_unread` stood for was taken after all: that row leaves the
    quarantine and names the row that now holds the message, so the operator has one to work on, not two."""
    with unit_of_work(sessions) as session:
        resolve_unread_in(session, source=source, source_ref=source_ref, message_id=message_id)


def resolve_unread_in(session: Session, *, source: str, source_ref: str, message_id: int) -> None:
    """:func:`resolve_unread` in the caller's transaction: the intake does it in the one that records the message,
    which saves a commit per message. The look-up is one indexed read; only when there is a row to close (rare)
    does the change get a savepoint of its own, so that a failure to close it never costs the message its row:
    an earlier row left in quarantine is the worst outcome."""
    key = untaken_key(source, source_ref)
    row = session.scalar(select(IncomingMessage).where(IncomingMessage.message_key == key))
    if row is None or row.status != MessageStatus.QUARANTINED:
        return
    try:
        with session.begin_nested():
            row.status = MessageStatus.DISMISSED
            row.detail = storable(f"{row.detail}\ntaken at a later poll as message #{message_id}", 2000)
            record(session, INTAKE, SUBJECT, row.id, "taken_later", changes={"message": message_id})
            session.flush()
    except Exception as exc:
        if is_database_outage(exc):
            raise
        log.exception("the earlier quarantine row of message %s in %s could not be closed", source_ref, source)


def id_of(session: Session, key: str) -> int | None:
    """The id of the message recorded under ``key``, if any."""
    return session.scalar(select(IncomingMessage.id).where(IncomingMessage.message_key == key))


def add_once(session: Session, row: IncomingMessage) -> tuple[int, bool]:
    """Record ``row``: its id and True, or, when another poller recorded the same message a moment ago, that row's
    id and False."""
    stored = insert_unless_taken(session, row)
    if stored is not None:
        return stored.id, True
    other = id_of(session, row.message_key)
    assert other is not None
    return other, False


def _quarantine(
    session: Session, key: str, source: str, source_ref: str, stored: Stored | None, reason: str, detail: str
) -> int:
    """A quarantined row for a message that could not be taken, recorded once and audited when it is new."""
    row = IncomingMessage.arrived(
        key, source=source, source_ref=source_ref, stored=stored, status=MessageStatus.QUARANTINED, reason=reason,
        detail=detail,
    )
    row_id, new = add_once(session, row)
    if new:
        record(session, INTAKE, SUBJECT, row_id, "quarantine", reason=reason)
        session.flush()
    return row_id
