"""The generic part of every workflow: a table of transitions, one shared state machine, and firing rules.

A workflow is declared as data (:class:`Transition` rows); the `transitions` library runs it. One
:class:`transitions.Machine` per workflow is built once and shared; a subject is bound to it only for the
duration of one action, so no ORM row ever carries machine methods around and the machine never outlives
the database transaction that loads the row.

Nothing here knows about Flask or the database: the back office's write path (``backoffice.audit``) calls
:meth:`Workflow.fire` and persists the outcome.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar

from transitions import EventData, Machine

from workflows.roles import Role

S = TypeVar("S", bound=StrEnum)

#: A guard sees the subject (an application, a registration) and the action's context, and says yes or no.
GuardFn = Callable[[Any, Mapping[str, Any]], bool]


@dataclass(frozen=True)
class Guard:
    """A named precondition; its message tells the user what is missing, in words they can act on."""

    name: str
    check: GuardFn
    message: str
    #: Judged on what the user is about to enter (a code word); a button is still offered before that.
    on_input: bool = False


@dataclass(frozen=True)
class Transition(Generic[S]):
    """One row of a workflow's table: which trigger moves which states where, for whom, under what rules."""

    trigger: str
    sources: tuple[S, ...]
    dest: S
    roles: frozenset[Role]
    guards: tuple[Guard, ...] = ()
    needs_reason: bool = False
    label: str = ""


class WorkflowError(Exception):
    """Base of the errors a trigger can raise; none of them changes anything."""


class IllegalTransition(WorkflowError):
    """The trigger does not exist or cannot fire from the current state."""

    def __init__(self, trigger: str, state: StrEnum, allowed: Sequence[str]) -> None:
        self.trigger, self.state, self.allowed = trigger, state, tuple(allowed)
        listed = ", ".join(allowed) if allowed else "none"
        super().__init__(f"'{trigger}' cannot fire in state '{state.value}'; allowed from there: {listed}")


class RoleNotAllowed(WorkflowError):
    """The trigger exists here, but the acting role may not fire it."""

    def __init__(self, trigger: str, role: Role) -> None:
        self.trigger, self.role = trigger, role
        super().__init__(f"role '{role.value}' may not fire '{trigger}'")


class GuardFailed(WorkflowError):
    """A precondition of the transition is not met; ``guards`` lists which ones."""

    def __init__(self, trigger: str, guards: Sequence[Guard]) -> None:
        self.trigger, self.guards = trigger, tuple(guards)
        super().__init__(f"'{trigger}' is not possible yet: " + "; ".join(g.message for g in guards))


class ReasonRequired(WorkflowError):
    """The transition must be explained (a rejection, a withdrawal): the reason goes to the customer and audit."""

    def __init__(self, trigger: str) -> None:
        self.trigger = trigger
        super().__init__(f"'{trigger}' needs a reason")


@dataclass
class _Binding:
    """What the shared machine holds during one action: the subject, its state and the action's context."""

    subject: Any
    context: Mapping[str, Any]
    state: Any = None


@dataclass
class Workflow(Generic[S]):
    """A declared workflow: states, initial state and transition table, run by one shared machine."""

    name: str
    states: type[S]
    initial: S
    table: tuple[Transition[S], ...]
    _machine: Machine = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        triggers = [t.trigger for t in self.table]
        if len(set(triggers)) != len(triggers):
            raise ValueError(f"{self.name}: a trigger is declared twice")
        self._machine = Machine(
            model=None,
            states=list(self.states),
            initial=self.initial,
            auto_transitions=False,
            send_event=True,
            model_attribute="state",
        )
        for row in self.table:
            self._machine.add_transition(
                row.trigger,
                source=list(row.sources),
                dest=row.dest,
                conditions=[_condition(g) for g in row.guards],
            )

    # -- reading the table -------------------------------------------------------------------------------

    def transition(self, trigger: str) -> Transition[S] | None:
        return next((t for t in self.table if t.trigger == trigger), None)

    def triggers_from(self, state: S) -> list[str]:
        """Triggers declared from a state, for anyone (error messages list these)."""
        return [t.trigger for t in self.table if state in t.sources]

    def destination(self, state: S, trigger: str) -> S:
        """Where a trigger leads from a state, by the table alone (replaying the audit trail uses this)."""
        row = self.transition(trigger)
        if row is None or state not in row.sources:
            raise IllegalTransition(trigger, state, self.triggers_from(state))
        return row.dest

    def replay(self, triggers: Iterable[str]) -> S:
        """The state a subject reaches from the initial state by these triggers, by the table alone.

        Replaying an audit trail must give the stored state; if it does not, something wrote state outside
        the write path.
        """
        state = self.initial
        for trigger in triggers:
            state = self.destination(state, trigger)
        return state

    def terminal_states(self) -> frozenset[S]:
        return frozenset(s for s in self.states if not self.triggers_from(s))

    def available(self, subject: Any, role: Role, context: Mapping[str, Any] | None = None) -> list[str]:
        """The triggers this role may fire on this subject now: what the UI offers as buttons.

        Guards that depend on what the user will type (a code word, a reason) are judged by the caller's
        context; with an empty context they are assumed satisfiable so the button still shows.
        """
        ctx = context or {}
        out = []
        for row in self.table:
            if subject.state not in row.sources or role not in row.roles:
                continue
            if all(g.check(subject, ctx) for g in row.guards if not g.on_input):
                out.append(row.trigger)
        return out

    # -- firing --------------------------------------------------------------------------------------------

    def check(self, subject: Any, trigger: str, role: Role, context: Mapping[str, Any]) -> Transition[S]:
        """Raise the error that firing would raise, without changing anything."""
        row = self.transition(trigger)
        if row is None or subject.state not in row.sources:
            raise IllegalTransition(trigger, subject.state, self.triggers_from(subject.state))
        if role not in row.roles:
            raise RoleNotAllowed(trigger, role)
        if row.needs_reason and not str(context.get("reason") or "").strip():
            raise ReasonRequired(trigger)
        failed = [g for g in row.guards if not g.check(subject, context)]
        if failed:
            raise GuardFailed(trigger, failed)
        return row

    def fire(self, subject: Any, trigger: str, role: Role, context: Mapping[str, Any] | None = None) -> S:
        """Move ``subject`` by ``trigger`` and return its new state; raise and change nothing otherwise.

        The subject's ``state`` attribute is written only after the machine accepted the move.
        """
        ctx = dict(context or {})
        self.check(subject, trigger, role, ctx)
        binding = _Binding(subject=subject, context=ctx)
        with self._lock:
            self._machine.add_model(binding, initial=subject.state)
            try:
                moved = binding.trigger(trigger)  # type: ignore[attr-defined]
            finally:
                self._machine.remove_model(binding)
        if not moved:  # a guard changed its mind between check() and the machine: report it honestly
            failed = [g for g in self.transition(trigger).guards if not g.check(subject, ctx)]  # type: ignore[union-attr]
            raise GuardFailed(trigger, failed)
        subject.state = binding.state
        return binding.state  # type: ignore[no-any-return]

    def mermaid(self, highlight: S | None = None) -> str:
        """The state diagram in Mermaid syntax, drawn from the same table the machine runs."""
        lines = ["stateDiagram-v2", f"    [*] --> {self.initial.value}"]
        for row in self.table:
            for source in row.sources:
                lines.append(f"    {source.value} --> {row.dest.value}: {row.trigger}")
        for state in sorted(self.terminal_states(), key=lambda s: s.value):
            lines.append(f"    {state.value} --> [*]")
        if highlight is not None:
            lines.append("    classDef current fill:#ffd54f,stroke:#f57f17,stroke-width:3px")
            lines.append(f"    class {highlight.value} current")
        return "\n".join(lines) + "\n"

    def edges(self) -> Iterable[tuple[S, S, str]]:
        for row in self.table:
            for source in row.sources:
                yield source, row.dest, row.trigger


def _condition(guard: Guard) -> Callable[[EventData], bool]:
    def condition(event: EventData) -> bool:
        binding = event.model
        assert isinstance(binding, _Binding)
        return guard.check(binding.subject, binding.context)

    condition.__name__ = guard.name
    return condition
