from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backoffice.applications.models import Application
from backoffice.database import Base
from backoffice.intake.filenames import storable
from backoffice.types import UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from backoffice.documents.storage import Stored

#: The longest text each column of :class:`IncomingMessage` takes, for what a message or a mailbox says.
LIMITS = {"source_ref": 300, "sender": 254, "subject": 500, "detail": 2000}


class MessageStatus(StrEnum):
    RECEIVED = "received"  # stored whole, not yet taken apart (a crash here is retried on the next poll)
    PROCESSED = "processed"  # became an application, or added documents to one
    QUARANTINED = "quarantined"  # waits for an operator: convert or dismiss
    IGNORED = "ignored"  # an auto-reply or a bounce: kept, never acknowledged
    HELD = "held"  # one fragment of a message sent in parts (message/partial): waits for the others
    CONVERTED = "converted"  # an operator turned the quarantined message into an application
    DISMISSED = "dismissed"  # an operator dismissed it, with a reason


#: Messages whose own S/MIME signature waits for the verifier, in the words of the partial index (migration 0025)
#: of each database: the index is used only when the query's condition is literally its own.
SIGNATURE_PENDING_SQL = {
    "postgresql": text("(email_signature ->> 'state') = 'pending'"),
    "sqlite": text("json_extract(email_signature, '$.state') = 'pending'"),
}


class IncomingMessage(Base):
    """One received email, stored whole before it is parsed: the unit of exactly-once processing.

    ``message_key`` is unique: the same message delivered twice, re-read after a crash or imported again finds
    its row and is never turned into a second application.
    """

    __tablename__ = "incoming_message"
    __table_args__ = (
        Index("ix_incoming_message_status_received_at", "status", "received_at"),
        # A reply names the customer's earlier message (In-Reply-To, References: ``matching``; migration 0023).
        # A hash index on PostgreSQL: a Message-ID may be up to 998 characters, longer than a B-tree entry may be.
        Index("ix_incoming_message_message_id", "message_id", postgresql_using="hash"),
        # The message page lists the other messages that came with the same Message-ID (migration 0023).
        Index("ix_incoming_message_same_id_as_id", "same_id_as_id"),
        # The verifier's next emails to check, however many were checked before (migration 0025).
        Index("ix_incoming_message_signature_pending", "id",
              postgresql_where=SIGNATURE_PENDING_SQL["postgresql"], sqlite_where=SIGNATURE_PENDING_SQL["sqlite"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of "mid:<Message-ID>", or of "raw:<SHA-256 of the bytes>" for a message without a Message-ID.
    message_key: Mapped[str] = mapped_column(String(64), unique=True)
    message_id: Mapped[str | None] = mapped_column(String(998), default=None)
    # The original .eml in document storage (relative path), with its size and hash.
    raw_path: Mapped[str] = mapped_column(String(500))
    raw_sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(default=0)
    # Where it came from: "maildir", "imap", "import", and the name or UID there.
    source: Mapped[str] = mapped_column(String(20))
    source_ref: Mapped[str] = mapped_column(String(300), default="")
    sender: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(String(500), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[MessageStatus] = mapped_column(enum_column(MessageStatus), default=MessageStatus.RECEIVED)
    # Why it is in quarantine or ignored: a code (see docs/intake.md) and the details for the operator.
    reason: Mapped[str] = mapped_column(String(40), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    # Problems with the data read from a fillable form, for the operator to resolve ([{field, code, message}]).
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Processing runs started; a message that keeps killing the process is quarantined instead of retried.
    attempts: Mapped[int] = mapped_column(default=0)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"), index=True, default=None)
    # An earlier, different message that came with the same Message-ID (scanners and small mail programs reuse
    # weak ones): this one is processed on its own, and the operator sees the two linked.
    same_id_as_id: Mapped[int | None] = mapped_column(ForeignKey("incoming_message.id"), default=None)
    # A fragment of a message sent in parts (RFC 2046 message/partial): the parts' shared id, this one's number
    # and, when this fragment says so, how many there are. Held until all have come, then reassembled.
    partial_id: Mapped[str | None] = mapped_column(String(200), index=True, default=None)
    partial_number: Mapped[int | None] = mapped_column(default=None)
    partial_total: Mapped[int | None] = mapped_column(default=None)
    # The email's own S/MIME signature: {"state": "pending", "signature": path, "content": path or null} until
    # the verifier has run, then {"state": "checked", ...the verifier's report}. Null for an unsigned email.
    email_signature: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)

    application: Mapped[Application | None] = relationship()
    same_id_as: Mapped[IncomingMessage | None] = relationship(remote_side="IncomingMessage.id")

    def __str__(self) -> str:
        return self.subject or self.message_id or f"#{self.id}"

    @classmethod
    def arrived(
        cls, key: str, *, source: str, source_ref: str, stored: Stored | None, status: MessageStatus, **fields: Any
    ) -> IncomingMessage:
        """A row for a message as it arrived, whatever became of it: its bytes where they are stored (none when
        they could not even be read), the mailbox's name for it, and every text cut safely to its column."""
        texts = {name: storable(value, LIMITS[name]) for name, value in fields.items() if name in LIMITS}
        return cls(
            message_key=key,
            raw_path=stored.path if stored else "",
            raw_sha256=stored.sha256 if stored else "",
            size=stored.size if stored else 0,
            source=source,
            source_ref=storable(source_ref, LIMITS["source_ref"]),
            received_at=utcnow(),
            status=status,
            **{**fields, **texts},
        )
