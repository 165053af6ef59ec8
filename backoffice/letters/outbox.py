"""Writing letters: an outbox row in the caller's transaction, sent by the sender only after commit."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypedDict, Unpack

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.actors import Actor
from backoffice.audit.trail import record
from backoffice.errors import BackofficeError
from backoffice.letters.models import OutboxMessage, OutboxStatus
from backoffice.types import utcnow
from backoffice.unique import insert_unless_taken

SUBJECT = "outbox_message"

#: Context keys that hold a one-time link (a token): blanked from the row once the letter has left, so the
#: outbox page never shows a usable link. Such a letter is not resent; the customer asks for a new link.
ONE_TIME_KEYS: dict[str, tuple[str, ...]] = {
    "password_reset": ("link",),
    "email_change": ("link",),
    "self_registration_confirm": ("link",),
    "self_registration_reminder": ("link",),
    "ownership_granted": ("link",),
}


class CannotResend(BackofficeError):
    """The letter is waiting already, went stale on purpose, or carried a one-time link."""


def dedup_key(kind: str, application_id: int | None, occasion: str | int) -> str:
    return f"{kind}:{application_id if application_id is not None else '-'}:{occasion}"


class Letter(TypedDict):
    """What a letter is: its kind, who gets it in which language, what it says, and the occasion it is for.

    (kind, application, occasion) names the letter: the same three never make a second row.
    """

    kind: str
    recipient: str
    language: str
    context: Mapping[str, Any]
    application_id: int | None
    occasion: str | int


def enqueue(session: Session, **letter: Unpack[Letter]) -> OutboxMessage:
    """Write the letter once: a retried action with the same (kind, application, occasion) finds it written."""
    message, _ = write(session, **letter)
    return message


def write(session: Session, *, now: datetime | None = None, **letter: Unpack[Letter]) -> tuple[OutboxMessage, bool]:
    """Like :func:`enqueue`, and says whether this call wrote the row (the scheduler audits only what it wrote).

    ``now`` is the moment the letter becomes due (the scheduler passes the time its tick runs for).

    The insert itself finds a letter written before (``insert_unless_taken``: the unique key refuses the row, and
    the transaction goes on), whether by an earlier call or by another process at the same moment; the row
    already written is returned then.
    """
    kind, application_id = letter["kind"], letter["application_id"]
    key = dedup_key(kind, application_id, letter["occasion"])
    message = OutboxMessage(
        dedup_key=key,
        kind=kind,
        application_id=application_id,
        recipient=letter["recipient"],
        language=letter["language"],
        context=dict(letter["context"]),
        next_attempt_at=now or utcnow(),
    )
    stored = insert_unless_taken(session, message)
    if stored is None:  # written before, by this transaction or another
        return session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key == key)).one(), False
    return stored, True


def resend(session: Session, message: OutboxMessage, actor: Actor) -> None:
    """A supervisor sends a failed (or sent) letter again: it goes back to the queue with fresh tries.

    It gets a new Message-ID (mail systems drop a message whose ID they have seen), and the audit trail
    says who asked for it.
    """
    if message.status not in {OutboxStatus.FAILED, OutboxStatus.SENT}:
        raise CannotResend(f"letter {message.id} is {message.status.value}: only failed or sent letters are resent")
    if any(not message.context.get(k) for k in ONE_TIME_KEYS.get(message.kind, ())):
        raise CannotResend(f"letter {message.id} carried a one-time link; the customer must ask for a new one")
    old = message.status
    message.status = OutboxStatus.PENDING
    message.attempts = 0
    message.next_attempt_at = utcnow()
    message.claimed_by = None
    message.resends += 1
    record(
        session,
        actor,
        SUBJECT,
        message.id,
        "resend",
        changes={"status": [old.value, OutboxStatus.PENDING.value], "last_error": [message.last_error, ""]},
    )
    message.last_error = ""
    session.flush()
