"""The generic part of every workflow: a table of transitions, one shared state machine, and firing rules.

A workflow is declared as data (:class:`Transition` rows with their :class:`Guard` objects and labels); the
`transitions` library runs it and is the one judge of every move. Each row becomes a transition of the machine
whose conditions are the row's rules (the acting role, the reason when one is needed, the guards); a trigger not
declared from the current state is the machine's own invalid-source error. Declaring a new workflow is writing
its states, table, guards and labels: nothing else decides what it allows.

One :class:`transitions.Machine` per workflow is built once and shared; a subject is bound to it only for the
duration of one action, so no ORM row ever carries machine methods around and the machine never outlives
the database transaction that loads the row.

Nothing here knows about Flask or the database: the back office's one write path
(:func:`backoffice.statechange.fire`) calls :meth:`Workflow.fire` and persists the outcome.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar

from transitions import EventData, Machine, MachineError

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
    """What the shared machine holds during one action: the subject, who acts, the action's context.

    The machine's conditions read it, and the first one that says no leaves here the error to raise. In a
    preview (which buttons to offer) rules judged on what the user is about to enter are taken as satisfiable.
    """

    subject: Any
    role: Role
    context: Mapping[str, Any]
    preview: bool = False
    state: Any = None
    refusal: WorkflowError | None = None


#: A rule of a transition: the error that refuses the move, or ``None`` when the move may go ahead.
_Rule = Callable[[_Binding], WorkflowError | None]


@dataclass
class Workflow(Generic[S]):
    """A declared workflow: states, initial state and transition table, run by one shared machine.

    The machine is the one judge of a move: a trigger not declared from the subject's state, a role not
    listed, a missing reason and unmet guards are all its conditions and its invalid-source error. The table is
    read directly only for what it declares beside the rules (labels, which triggers want a reason) and for
    drawing the diagram.
    """

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
                row.trigger, source=list(row.sources), dest=row.dest, conditions=[*_rules(row)]
            )

    # -- reading the table -------------------------------------------------------------------------------

    def transition(self, trigger: str) -> Transition[S] | None:
        """The declared row of a trigger: its label and whether it wants a reason, for the UI."""
        return next((t for t in self.table if t.trigger == trigger), None)

    def label_of(self, action: str, others: Mapping[str, str]) -> str:
        """The untranslated words for an action in a subject's history: a row's label, else the flow's words for
        the actions that are not transitions (``others``: editing, taking into work), else the action itself."""
        row = self.transition(action)
        return row.label if row else others.get(action, action)

    def triggers_from(self, state: S) -> list[str]:
        """Triggers declared from a state, for anyone (error messages list these)."""
        return list(self._machine.get_triggers(state))

    def destination(self, state: S, trigger: str) -> S:
        """Where a trigger leads from a state, whoever fires it (replaying the audit trail uses this)."""
        moves = self._machine.get_transitions(trigger, source=state)
        if not moves:
            raise IllegalTransition(trigger, state, self.triggers_from(state))
        return self.states[str(moves[0].dest)]

    def replay(self, triggers: Iterable[str]) -> S:
        """The state a subject reaches from the initial state by these triggers.

        Replaying an audit trail must give the stored state; if it does not, something wrote state outside
        the write path.
        """
        state = self.initial
        for trigger in triggers:
            state = self.destination(state, trigger)
        return state

    def terminal_states(self) -> frozenset[S]:
        return frozenset(s for s in self.states if not self.triggers_from(s))

    # -- judging and firing -----------------------------------------------------------------------------------

    def available(self, subject: Any, role: Role, context: Mapping[str, Any] | None = None) -> list[str]:
        """The triggers this role may fire on this subject now: what the UI offers as buttons.

        The machine's own answer (``may_trigger``), with the rules that depend on what the user will type (a
        code word, a reason) taken as satisfiable, so the button still shows.
        """
        with self._bound(_Binding(subject, role, context or {}, preview=True)) as binding:
            return [t for t in self.triggers_from(subject.state) if binding.may_trigger(t)]  # type: ignore[attr-defined]

    def fire(self, subject: Any, trigger: str, role: Role, context: Mapping[str, Any] | None = None) -> S:
        """Move ``subject`` by ``trigger`` and return its new state; raise and change nothing otherwise.

        The subject's ``state`` attribute is written only after the machine accepted the move.
        """
        if trigger not in self._machine.events:
            raise IllegalTransition(trigger, subject.state, self.triggers_from(subject.state))
        with self._bound(_Binding(subject, role, dict(context or {}))) as binding:
            try:
                moved = binding.trigger(trigger)  # type: ignore[attr-defined]
            except MachineError:  # the trigger is not declared from this state
                raise IllegalTransition(trigger, subject.state, self.triggers_from(subject.state)) from None
        if not moved:
            assert binding.refusal is not None, "a condition refused without saying why"
            raise binding.refusal
        subject.state = binding.state
        return binding.state  # type: ignore[no-any-return]

    @contextmanager
    def _bound(self, binding: _Binding) -> Iterator[_Binding]:
        """Hold ``binding`` on the shared machine for one action, in the subject's state."""
        with self._lock:
            self._machine.add_model(binding, initial=binding.subject.state)
            try:
                yield binding
            finally:
                self._machine.remove_model(binding)

    def mermaid(self, highlight: S | None = None) -> str:
        """The state diagram in Mermaid syntax, drawn from the same table the machine runs."""
        lines = ["stateDiagram-v2", f"    [*] --> {self.initial.value}"]
        for row in self.table:
            for source in row.sources:
                lines.append(f"    {source.value} --> {row.dest.value}: {row.trigger}")
        # Only states a subject can reach end the drawing: a table on shared states (the cabinet's requests)
        # leaves some of them out, and those are not ends, only unused.
        reachable = {self.initial} | {row.dest for row in self.table}
        for state in sorted(self.terminal_states() & reachable, key=lambda s: s.value):
            lines.append(f"    {state.value} --> [*]")
        if highlight is not None:
            lines.append("    classDef current fill:#ffd54f,stroke:#f57f17,stroke-width:3px")
            lines.append(f"    class {highlight.value} current")
        return "\n".join(lines) + "\n"

    def edges(self) -> Iterable[tuple[S, S, str]]:
        for row in self.table:
            for source in row.sources:
                yield source, row.dest, row.trigger


def _rules(row: Transition[Any]) -> list[Callable[[EventData], bool]]:
    """The machine's conditions for one row, in the order their errors are reported: who, why, what is missing."""

    def role_listed(binding: _Binding) -> WorkflowError | None:
        return None if binding.role in row.roles else RoleNotAllowed(row.trigger, binding.role)

    def reason_given(binding: _Binding) -> WorkflowError | None:
        if binding.preview or str(binding.context.get("reason") or "").strip():
            return None
        return ReasonRequired(row.trigger)

    def guards_hold(binding: _Binding) -> WorkflowError | None:
        # All guards are judged, not only up to the first that fails: the user is told everything missing at once.
        judged = [g for g in row.guards if not (binding.preview and g.on_input)]
        failed = [g for g in judged if not g.check(binding.subject, binding.context)]
        return GuardFailed(row.trigger, failed) if failed else None

    rules: list[_Rule] = [role_listed]
    if row.needs_reason:
        rules.append(reason_given)
    if row.guards:
        rules.append(guards_hold)
    return [_condition(rule) for rule in rules]


def _condition(rule: _Rule) -> Callable[[EventData], bool]:
    """A rule as a condition of the machine: it says yes or no, and leaves its error on the binding."""

    def condition(event: EventData) -> bool:
        binding = event.model
        assert isinstance(binding, _Binding)
        binding.refusal = rule(binding)
        return binding.refusal is None

    condition.__name__ = rule.__name__
    return condition
