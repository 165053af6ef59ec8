"""Messages sent in parts (RFC 2046 ``message/partial``): each fragment is held until all have come, then the
whole message is put together and taken in like any other.

Some mail programs split a large letter into several, each a ``message/partial`` with a shared ``id``, its
``number`` and, in at least the last one, the ``total``. A fragment on its own is not a message: parsing one
would give a truncated scan. Here the fragments wait as ``held`` rows. When the last one arrives, their bodies are
joined in order and stored as a new message (``source = "reassembled"``), which the same poll processes. The
fragments are then marked processed, ``reassembled``, and nothing of them is lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.actors import Actor
from backoffice.advisory import hold_for_transaction
from backoffice.audit.trail import record
from backoffice.documents.storage import Storage, Stored
from backoffice.intake.envelope import envelope, message_key, read_headers
from backoffice.intake.filenames import storable
from backoffice.intake.models import IncomingMessage, MessageStatus
from backoffice.types import utcnow

SUBJECT = "incoming_message"
#: Headers of the enclosed message that replace the first fragment's own (RFC 2046 section 5.2.2.1).
_FROM_INSIDE = ("content-", "subject", "message-id", "encrypted", "mime-version")
MAX_PARTS = 100


@dataclass(frozen=True)
class Fragment:
    id: str
    number: int
    total: int | None


def fragment_of(headers: EmailMessage) -> Fragment | None:
    """The ``message/partial`` parameters of a message, or None when it is not a fragment (or a malformed one)."""
    if headers.get_content_type() != "message/partial":
        return None
    ident, number, total = (headers.get_param(name) for name in ("id", "number", "total"))
    try:
        n = int(str(number))
        t = int(str(total)) if total is not None else None
    except ValueError:
        return None
    if not isinstance(ident, str) or not ident.strip() or not 1 <= n <= MAX_PARTS or (t is not None and not n <= t):
        return None
    return Fragment(storable(ident.strip(), 200), n, t)


def hold(
    session: Session, storage: Storage, message: IncomingMessage, fragment: Fragment, actor: Actor, limit: int
) -> str:
    """Hold ``message`` as a fragment; when it completes its set, store the whole message for processing.

    Two fragments of one set held at once (two processing lanes, two hosts) would each miss the other, still
    uncommitted, and the set would never be joined: the set's lock makes the second wait for the first's commit.
    """
    hold_for_transaction(session, f"intake/partial/{fragment.id}")
    message.status = MessageStatus.HELD
    message.reason = "partial"
    message.partial_id, message.partial_number, message.partial_total = fragment.id, fragment.number, fragment.total
    record(session, actor, SUBJECT, message.id, "hold", changes={"part": f"{fragment.number}/{fragment.total or '?'}"})
    session.flush()
    parts = session.scalars(
        select(IncomingMessage)
        .where(IncomingMessage.partial_id == fragment.id, IncomingMessage.status == MessageStatus.HELD)
        .order_by(IncomingMessage.partial_number, IncomingMessage.id)
        .with_for_update()
    ).all()
    total = max((p.partial_total or 0 for p in parts), default=0)
    numbers = {p.partial_number for p in parts}
    if not total or numbers != set(range(1, total + 1)):
        return "held"
    first = {p.partial_number: p for p in parts}
    ordered = [first[n] for n in range(1, total + 1)]
    whole = _join(storage, ordered, limit)
    with storage.open(whole.path) as fh:
        inner = envelope(read_headers(fh))
    key = message_key(inner.message_id, whole.sha256)
    existing = session.scalar(select(IncomingMessage).where(IncomingMessage.message_key == key))
    if existing is None:
        existing = IncomingMessage(
            message_key=key,
            message_id=inner.message_id,
            raw_path=whole.path,
            raw_sha256=whole.sha256,
            size=whole.size,
            source="reassembled",
            source_ref=storable(f"message/partial {fragment.id}", 300),
            sender=storable(inner.sender, 254),
            subject=storable(inner.subject, 500),
            received_at=utcnow(),
            status=MessageStatus.RECEIVED,
        )
        session.add(existing)
        session.flush()
    for part in ordered:
        part.status = MessageStatus.PROCESSED
        part.reason = "reassembled"
        part.detail = f"#{existing.id}"
        record(session, actor, SUBJECT, part.id, "reassemble", changes={"message": existing.id})
    session.flush()
    return "held"


def _join(storage: Storage, parts: list[IncomingMessage], limit: int) -> Stored:
    """The whole message as RFC 2046 section 5.2.2.1 puts it together: the first fragment's own header fields
    except Content-*, Subject, Message-ID, Encrypted and MIME-Version; those fields from the enclosed message;
    then every fragment's body in order."""
    with storage.writer(limit=limit) as out:
        for index, part in enumerate(parts):
            with storage.open(part.raw_path) as fh:
                outer = _header_block(fh)
                if index == 0:
                    inner = _header_block(fh)
                    out.write(b"".join(f for f in _unfolded(outer) if not _inner(f)))
                    out.write(b"".join(f for f in _unfolded(inner) if _inner(f)) + b"\r\n")
                while chunk := fh.read(1024 * 1024):
                    out.write(chunk)
    return out.stored


def _header_block(fh: BinaryIO) -> bytes:
    head = bytearray()
    while line := fh.readline(256 * 1024):
        if line in (b"\r\n", b"\n"):
            break
        head += line
    return bytes(head)


def _unfolded(head: bytes) -> list[bytes]:
    """Header fields, each with its continuation lines."""
    fields: list[bytes] = []
    for line in head.splitlines(keepends=True):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += line
        else:
            fields.append(line)
    return fields


def _inner(field: bytes) -> bool:
    name = field.split(b":", 1)[0].strip().lower().decode("ascii", "replace")
    return name.startswith(_FROM_INSIDE)
