from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backoffice.database import Base
from backoffice.types import UTCDateTime, enum_column, utcnow
from workflows.roles import Role


class AuditEvent(Base):
    """One recorded step: who did what to which record, from which state to which, when and why.

    Rows are only ever inserted. Personal data is kept out of ``changes`` for fields that are secrets (the
    code word), and retention may blank an application's data while its audit skeleton stays.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_subject", "subject_type", "subject_id", "id"),
        # The dashboard's recent completions and guessing alerts, by action and time (migration 0023).
        Index("ix_audit_event_action_occurred_at", "action", "occurred_at"),
        # The audit page filtered by who acted, newest first (migration 0026).
        Index("ix_audit_event_actor_label_id", "actor_label", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_role: Mapped[Role] = mapped_column(enum_column(Role))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("operator.id"))
    # Readable name of the actor at the time: an operator's login, "scheduler", "intake", a customer login.
    actor_label: Mapped[str] = mapped_column(String(100))
    # What was acted on: "application", "operator", "contract", …
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int | None] = mapped_column()
    action: Mapped[str] = mapped_column(String(60))
    from_state: Mapped[str | None] = mapped_column(String(40), default=None)
    to_state: Mapped[str | None] = mapped_column(String(40), default=None)
    reason: Mapped[str] = mapped_column(Text, default="")
    # Field-level before/after: {"email": ["old", "new"]}.
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The request (its X-Request-ID, echoed in the response and in the request's log line) or scheduler job run
    # that wrote the row; None for work outside both (the CLI, the intake watcher).
    request_id: Mapped[str | None] = mapped_column(String(64), default=None)
