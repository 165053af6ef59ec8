"""What every request a customer sends from the cabinet has in common: its states, and the guards of the moves
that carry a message.

The kinds of request (appeals, document copies, connection applications, meter work, reading checks) move in
tables of their own (``workflows.customer_request``, ``document_request``, ``connection_application``,
``meter_request``, ``reading_check``), but on one set of states: the back office runs them in one queue, filters
them by one state list, and a customer reads one word for "answered" whatever was asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from workflows.engine import Guard, Transition
from workflows.i18n import N_
from workflows.roles import STAFF, Role


class RequestState(StrEnum):
    RECEIVED = "received"  # written by the customer, nobody has taken it yet
    IN_WORK = "in_work"  # staff work on it (taken, or the customer replied)
    WAITING_FOR_CUSTOMER = "waiting_for_customer"  # staff asked the customer for more
    ANSWERED = "answered"  # staff answered; the customer may still reply
    CLOSED = "closed"
    REJECTED = "rejected"  # refused, with the reason written to the customer


STATE_LABELS: dict[RequestState, str] = {
    RequestState.RECEIVED: N_("Received"),
    RequestState.IN_WORK: N_("In work"),
    RequestState.WAITING_FOR_CUSTOMER: N_("Waiting for the customer"),
    RequestState.ANSWERED: N_("Answered"),
    RequestState.CLOSED: N_("Closed"),
    RequestState.REJECTED: N_("Refused"),
}

R = RequestState
#: States in which staff still owe the customer something, or may still close it.
OPEN = (R.RECEIVED, R.IN_WORK, R.WAITING_FOR_CUSTOMER, R.ANSWERED)
#: States in which the customer waits for staff: the deadline runs only here.
WITH_STAFF = (R.RECEIVED, R.IN_WORK)
FINAL = (R.CLOSED, R.REJECTED)
CUSTOMER = frozenset({Role.CUSTOMER})


def _has_text(_subject: Any, context: Mapping[str, Any]) -> bool:
    return bool(str(context.get("text") or "").strip())


def _has_files(_subject: Any, context: Mapping[str, Any]) -> bool:
    return int(context.get("files") or 0) > 0


HAS_TEXT = Guard("has_text", _has_text, N_("write the text of the message"), on_input=True)
HAS_FILES = Guard("has_files", _has_files, N_("attach the files the customer asked for"), on_input=True)

# -- the rows every conversation with the customer shares: each table adds its own answer to these --------------

TAKE: Transition[RequestState] = Transition("take", (R.RECEIVED,), R.IN_WORK, STAFF, label=N_("Take into work"))
ASK: Transition[RequestState] = Transition(
    "ask", WITH_STAFF, R.WAITING_FOR_CUSTOMER, STAFF, (HAS_TEXT,), label=N_("Ask the customer for more")
)
REPLY: Transition[RequestState] = Transition(
    "reply", (R.WAITING_FOR_CUSTOMER, R.ANSWERED), R.IN_WORK, CUSTOMER, (HAS_TEXT,), label=N_("Customer replied")
)
CLOSE: Transition[RequestState] = Transition("close", OPEN, R.CLOSED, STAFF, label=N_("Close the request"))
#: Every kind of request may be refused while staff hold it, always with the reason the customer reads.
REFUSE: Transition[RequestState] = Transition(
    "reject", WITH_STAFF, R.REJECTED, STAFF, (HAS_TEXT,), label=N_("Refuse, with the reason")
)
#: A request that waited too long for the customer's reply is closed by the scheduler, with a letter.
EXPIRE: Transition[RequestState] = Transition(
    "expire",
    (R.WAITING_FOR_CUSTOMER,),
    R.CLOSED,
    frozenset({Role.SYSTEM}),
    label=N_("Closed: no reply from the customer"),
)


def conversation(answer: Transition[RequestState]) -> tuple[Transition[RequestState], ...]:
    """A request's table: staff take it, answer it in the kind's own way, ask the customer for more; the customer
    replies; staff close or refuse it; the scheduler closes what waited too long for the customer."""
    return (TAKE, answer, ASK, REPLY, CLOSE, REFUSE, EXPIRE)
