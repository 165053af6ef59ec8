"""The one write path for workflow changes.

Every state change in the product, whoever makes it (an operator's button, the intake, the scheduler, a
customer finishing the registration), goes through :func:`fire`: it checks who may act, fires the trigger on the
shared state machine, bumps the version, writes the audit row and the side effects (outbox rows) in the
caller's transaction. Nothing is sent from here; letters leave after commit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from backoffice.actors import Actor
from backoffice.audit.models import AuditEvent
from backoffice.audit.trail import last_change, record
from backoffice.types import utcnow
from workflows.engine import Workflow, WorkflowError


class Subject(Protocol):
    id: int
    state: Any
    version: int
    updated_at: datetime


#: A side effect of a transition: writes rows (letters, codes) in the same transaction, does no I/O.
Effect = Callable[[Session, Any, Actor, AuditEvent, Mapping[str, Any]], None]
_EFFECTS: dict[tuple[str, str], list[Effect]] = {}


def on(workflow: Workflow[Any], *triggers: str) -> Callable[[Effect], Effect]:
    """Register an effect to run after ``triggers`` fire (see ``backoffice.applications.effects``)."""

    def register(fn: Effect) -> Effect:
        for trigger in triggers:
            if workflow.transition(trigger) is None:
                raise ValueError(f"{workflow.name} has no trigger {trigger!r}")
            _EFFECTS.setdefault((workflow.name, trigger), []).append(fn)
        return fn

    return register


@dataclass
class Conflict(WorkflowError):
    """Someone else changed the record since this actor loaded it; nothing was written."""

    subject_type: str
    subject_id: int
    changed_by: str
    changed_at: datetime | None
    action: str

    def __str__(self) -> str:
        when = self.changed_at.strftime("%Y-%m-%d %H:%M:%S UTC") if self.changed_at else "?"
        return f"{self.subject_type} {self.subject_id} was changed by {self.changed_by} at {when} ({self.action})"


def fire(
    session: Session,
    workflow: Workflow[Any],
    subject: Subject,
    trigger: str,
    actor: Actor,
    *,
    subject_type: str,
    reason: str = "",
    context: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
    changes: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Fire ``trigger`` on ``subject`` as ``actor`` and record it, or raise and write nothing.

    Raises the workflow's errors (illegal trigger, role not allowed, guard failed, reason missing) before
    touching anything, and :class:`Conflict` when the subject was changed concurrently: after a conflict the
    caller's transaction must be rolled back.
    """
    if expected_version is not None and subject.version != expected_version:
        raise _conflict(session, subject_type, subject.id)
    ctx = {**(context or {}), "reason": reason}
    from_state = subject.state
    workflow.fire(subject, trigger, actor.role, ctx)
    subject.updated_at = utcnow()
    event = record(
        session,
        actor,
        subject_type,
        subject.id,
        trigger,
        from_state=from_state.value,
        to_state=subject.state.value,
        reason=reason,
        changes=changes,
    )
    subject_id = subject.id  # a failed flush expires the subject: name it before
    try:
        # An effect may flush on its own (a letter names its audit row); that flush is where a lost race shows
        # first, and it must end as the same Conflict. Effects only add rows: nothing has left the transaction.
        for effect in _EFFECTS.get((workflow.name, trigger), []):
            effect(session, subject, actor, event, ctx)
        session.flush()
    except StaleDataError:
        raise _conflict(session, subject_type, subject_id) from None
    return event


def flush(session: Session, subject_type: str, subject_id: int) -> None:
    """Flush, turning a lost optimistic-locking race into a :class:`Conflict` that names the winner."""
    try:
        session.flush()
    except StaleDataError:
        raise _conflict(session, subject_type, subject_id) from None


def _conflict(session: Session, subject_type: str, subject_id: int) -> Conflict:
    # The caller's transaction is doomed; ask a fresh one what was committed meanwhile.
    with Session(session.get_bind()) as fresh:
        last = last_change(fresh, subject_type, subject_id)
    if last is None:
        return Conflict(subject_type, subject_id, "?", None, "?")
    return Conflict(subject_type, subject_id, last.actor_label, last.occurred_at, last.action)
