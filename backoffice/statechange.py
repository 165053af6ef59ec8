"""The one write path for workflow changes.

Every state change in the product, whoever makes it (an operator's button, the intake, the scheduler, a
customer finishing the registration), goes through :meth:`Flow.fire`: it checks who may act, fires the trigger on the
shared state machine, bumps the version, writes the audit row and the side effects (outbox rows) in the
caller's transaction. Nothing is sent from here; letters leave after commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from backoffice.actors import Actor
from backoffice.audit.models import AuditEvent
from backoffice.audit.trail import last_change, record
from backoffice.errors import BackofficeError
from backoffice.settings import Settings
from backoffice.translation import format_datetime, gettext
from backoffice.types import utcnow
from workflows.engine import Workflow, WorkflowError
from workflows.i18n import N_


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
class Conflict(BackofficeError, WorkflowError):
    """Someone else changed the record since this actor loaded it; nothing was written."""

    subject_type: str
    subject_id: int
    changed_by: str
    changed_at: datetime | None
    action: str
    #: The last change as the user reads it (a msgid: a transition's or an audit action's label).
    action_label: str = ""
    #: What the loser of the race reads, formatted with ``who``, ``when`` and ``action`` (a msgid).
    template: str = N_(
        "%(who)s changed this application at %(when)s (%(action)s) while you were looking at it. "
        "Nothing of yours was saved: check the page and try again."
    )

    def __str__(self) -> str:
        when = self.changed_at.strftime("%Y-%m-%d %H:%M:%S UTC") if self.changed_at else "?"
        return f"{self.subject_type} {self.subject_id} was changed by {self.changed_by} at {when} ({self.action})"

    @property
    def user_message(self) -> str:
        when = "?"
        if self.changed_at is not None:
            when = format_datetime(self.changed_at, "short")
        action = gettext(self.action_label or self.action)
        return str(gettext(self.template, who=self.changed_by, when=when, action=action))


def _anyone(_actor: Actor, _subject: Any) -> None:
    """Every actor the workflow's table admits may touch every subject of this flow."""


@dataclass(frozen=True)
class Flow:
    """One workflow as the back office runs it: its table, the audit trail's name for its subjects, who may touch
    a subject at all, and the words a user reads about its changes.

    Each flow's services declare one (``applications.services.FLOW``, ``selfreg.services.FLOW``) and change
    state only through :meth:`fire`, so a new workflow gets the role check, the version check, the audit row,
    the effects and the conflict handling by declaring its table and this, and nothing else.
    """

    workflow: Workflow[Any]
    subject_type: str
    #: The msgid naming an audit action, a trigger of the table or not ("edit", "claim"): the flow's labels.
    label_of: Callable[[str], str] = str
    #: Raises (``errors.Forbidden``) when the actor may not touch this subject at all.
    check_access: Callable[[Actor, Any], None] = _anyone
    #: What the loser of a race reads (a msgid formatted with ``who``, ``when`` and ``action``).
    conflict_message: str = Conflict.template

    def fire(
        self,
        session: Session,
        subject: Subject,
        trigger: str,
        actor: Actor,
        *,
        settings: Settings,
        reason: str = "",
        context: Mapping[str, Any] | None = None,
        expected_version: int | None = None,
        changes: Mapping[str, Any] | None = None,
    ) -> AuditEvent:
        """Fire ``trigger`` on ``subject`` as ``actor`` and record it, or raise and write nothing.

        Raises ``errors.Forbidden`` when the actor may not touch the subject, the workflow's errors (illegal
        trigger, role not allowed, guard failed, reason missing) before touching anything, and :class:`Conflict`
        when the subject was changed concurrently: after a conflict the caller's transaction must be rolled back.
        ``settings`` (the deployment's) reach the guards and effects in the context, as ``settings_of`` reads them.
        """
        self.check_access(actor, subject)
        self.check_version(session, subject, expected_version)
        ctx = {"settings": settings, **(context or {}), "reason": reason}
        from_state = subject.state
        self.workflow.fire(subject, trigger, actor.role, ctx)
        subject.updated_at = utcnow()
        event = record(
            session,
            actor,
            self.subject_type,
            subject.id,
            trigger,
            from_state=from_state.value,
            to_state=subject.state.value,
            reason=reason,
            changes=changes,
        )
        subject_id = subject.id  # a failed flush expires the subject: name it before
        # An effect may flush on its own (a letter names its audit row); that flush is where a lost race shows
        # first, and it must end as the same Conflict. Effects only add rows: nothing has left the transaction.
        with self._race(session, subject_id):
            for effect in _EFFECTS.get((self.workflow.name, trigger), []):
                effect(session, subject, actor, event, ctx)
            session.flush()
        return event

    def check_version(self, session: Session, subject: Subject, expected_version: int | None) -> None:
        """Refuse a change made from a stale copy (the page showed ``expected_version``), naming who changed it."""
        if expected_version is not None and subject.version != expected_version:
            raise self.conflict(session, subject.id)

    def flush(self, session: Session, subject_id: int) -> None:
        """Flush, turning a lost optimistic-locking race into a :class:`Conflict` that names the winner."""
        with self._race(session, subject_id):
            session.flush()

    @contextmanager
    def _race(self, session: Session, subject_id: int) -> Iterator[None]:
        try:
            yield
        except StaleDataError:
            raise self.conflict(session, subject_id) from None

    def conflict(self, session: Session, subject_id: int) -> Conflict:
        """The error for a lost race on ``subject_id``: who changed it last, when, and how, as committed."""
        # The caller's transaction is doomed; ask a fresh one what was committed meanwhile.
        with Session(session.get_bind()) as fresh:
            last = last_change(fresh, self.subject_type, subject_id)
        if last is None:
            return Conflict(self.subject_type, subject_id, "?", None, "?", template=self.conflict_message)
        return Conflict(
            self.subject_type,
            subject_id,
            last.actor_label,
            last.occurred_at,
            last.action,
            action_label=self.label_of(last.action),
            template=self.conflict_message,
        )


def settings_of(ctx: Mapping[str, Any]) -> Settings:
    """The deployment's settings in an effect's or a guard's context (:meth:`Flow.fire` always puts them there)."""
    settings = ctx.get("settings")
    if not isinstance(settings, Settings):
        raise TypeError("the context carries no settings: fire through Flow.fire with the deployment's settings")
    return settings
