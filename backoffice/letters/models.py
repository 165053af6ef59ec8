from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backoffice.database import Base
from backoffice.types import UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from backoffice.applications.models import Application


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    # Not sent on purpose: what it says went stale before it could leave (a code revoked, used or expired;
    # an application that moved on). Not an error, and never resent.
    SUPERSEDED = "superseded"


class OutboxMessage(Base):
    """A letter, written in the same transaction as the change that caused it and sent after commit."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_message_status_next_attempt_at", "status", "next_attempt_at"),
        # The outbox page: one status's letters, newest first (migration 0023).
        Index("ix_outbox_message_status_id", "status", "id"),
        # Letters of no application (self-registration) by the beginning of their key (migration 0027).
        Index(
            "ix_outbox_message_unattached_key",
            "dedup_key",
            postgresql_ops={"dedup_key": "varchar_pattern_ops"},
            postgresql_where=text("application_id IS NULL"),
            sqlite_where=text("application_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # application/kind/occasion: a retried action finds its letter already written and writes no second one.
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    # The letter's template folder under templates/letters/.
    kind: Mapped[str] = mapped_column(String(60))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2), default="uk")
    # What the template needs and nothing more.
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[OutboxStatus] = mapped_column(enum_column(OutboxStatus), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # The sender that holds the letter right now; next_attempt_at is then the end of its claim.
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    # Deliberate resends by a supervisor; each gets a new Message-ID (mail systems drop a repeated one),
    # while a resend after a crash keeps it.
    resends: Mapped[int] = mapped_column(default=0)

    application: Mapped[Application | None] = relationship()
