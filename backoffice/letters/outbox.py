"""Writing letters: an outbox row in the caller's transaction, sent by the sender only after commit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backoffice.letters.models import OutboxMessage
from backoffice.types import utcnow


def dedup_key(kind: str, application_id: int | None, occasion: str | int) -> str:
    return f"{kind}:{application_id if application_id is not None else '-'}:{occasion}"


def enqueue(
    session: Session,
    *,
    kind: str,
    recipient: str,
    language: str,
    context: Mapping[str, Any],
    application_id: int | None,
    occasion: str | int,
) -> OutboxMessage:
    """Write the letter once: a retried action with the same (kind, application, occasion) finds it written."""
    key = dedup_key(kind, application_id, occasion)
    existing = session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key == key)).first()
    if existing is not None:
        return existing
    message = OutboxMessage(
        dedup_key=key,
        kind=kind,
        application_id=application_id,
        recipient=recipient,
        language=language,
        context=dict(context),
        next_attempt_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:  # another transaction wrote the same letter first
        return session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key == key)).one()
    return message
