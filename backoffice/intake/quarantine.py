"""What an operator does with a quarantined message: turn it into an application, or dismiss it with a reason.

Both are audited on the message (who, when, why); converting also writes the application's own trail.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from backoffice.actors import Actor
from backoffice.audit.trail import record
from backoffice.intake.models import IncomingMessage, MessageStatus
from backoffice.intake.processing import SUBJECT, handle
from backoffice.settings import Settings
from backoffice.validation.problems import Invalid, Problem
from workflows.i18n import N_

#: Messages an operator may act on.
OPEN = frozenset({MessageStatus.QUARANTINED, MessageStatus.IGNORED})


def _require(message: IncomingMessage, reason: str) -> str:
    problems = []
    if message.status not in OPEN:
        problems.append(Problem("status", "closed", N_("This message has already been dealt with")))
    reason = " ".join(reason.split())
    if not reason:
        problems.append(Problem("reason", "required", N_("Give a reason")))
    if problems:
        raise Invalid(problems)
    return reason


def dismiss(session: Session, message: IncomingMessage, actor: Actor, reason: str) -> None:
    reason = _require(message, reason)
    old = message.status
    message.status = MessageStatus.DISMISSED
    record(
        session,
        actor,
        SUBJECT,
        message.id,
        "dismiss",
        from_state=old.value,
        to_state=message.status.value,
        reason=reason,
    )
    session.flush()


def convert(session: Session, message: IncomingMessage, actor: Actor, reason: str, settings: Settings) -> str:
    """Make an application of the message whatever kept it out; returns the new application's number.

    The application joins the operator's own service center, so they can go on working it.
    """
    if not message.raw_path:  # never read from the mailbox: an application would have no message behind it
        unread = N_("The message was never read from the mailbox: there is nothing to make an application of")
        raise Invalid([Problem("status", "unread", unread)])
    reason = _require(message, reason)
    old = message.status
    record(session, actor, SUBJECT, message.id, "convert_requested", from_state=old.value, reason=reason)
    handle(session, message, settings, actor=actor, force=True, center_id=actor.center_id)
    assert message.application is not None or message.application_id is not None
    session.flush()
    session.refresh(message)
    assert message.application is not None
    return str(message.application.number)
