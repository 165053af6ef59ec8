"""A customer's appeal, complaint or request for information, and the staff who answer it (issue 19, item 4).

The customer writes from the cabinet; staff take it into work, answer it, or ask the customer for more; the
customer may reply to either, which puts it back in the staff's hands; staff close it when nothing is left to
say. Every answer, question and reply carries a text (the thread is what the customer reads), so those moves are
guarded by it; taking and closing need none. One table serves the three kinds: they differ in who reads them and
in their deadlines, not in how they move.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from workflows.engine import Guard, Transition, Workflow
from workflows.i18n import N_
from workflows.roles import STAFF, Role


class RequestState(StrEnum):
    RECEIVED = "received"  # written by the customer, nobody has taken it yet
    IN_WORK = "in_work"  # staff work on it (taken, or the customer replied)
    WAITING_FOR_CUSTOMER = "waiting_for_customer"  # staff asked the customer for more
    ANSWERED = "answered"  # staff answered; the customer may still reply
    CLOSED = "closed"


STATE_LABELS: dict[RequestState, str] = {
    RequestState.RECEIVED: N_("Received"),
    RequestState.IN_WORK: N_("In work"),
    RequestState.WAITING_FOR_CUSTOMER: N_("Waiting for the customer"),
    RequestState.ANSWERED: N_("Answered"),
    RequestState.CLOSED: N_("Closed"),
}


def _has_text(_subject: Any, context: Mapping[str, Any]) -> bool:
    return bool(str(context.get("text") or "").strip())


HAS_TEXT = Guard("has_text", _has_text, N_("write the text of the message"), on_input=True)

R = RequestState
CUSTOMER = frozenset({Role.CUSTOMER})
OPEN = (R.RECEIVED, R.IN_WORK, R.WAITING_FOR_CUSTOMER, R.ANSWERED)

TABLE: tuple[Transition[RequestState], ...] = (
    Transition("take", (R.RECEIVED,), R.IN_WORK, STAFF, label=N_("Take into work")),
    Transition("answer", (R.RECEIVED, R.IN_WORK), R.ANSWERED, STAFF, (HAS_TEXT,), label=N_("Answer the customer")),
    Transition(
        "ask",
        (R.RECEIVED, R.IN_WORK),
        R.WAITING_FOR_CUSTOMER,
        STAFF,
        (HAS_TEXT,),
        label=N_("Ask the customer for more"),
    ),
    Transition(
        "reply", (R.WAITING_FOR_CUSTOMER, R.ANSWERED), R.IN_WORK, CUSTOMER, (HAS_TEXT,), label=N_("Customer replied")
    ),
    Transition("close", OPEN, R.CLOSED, STAFF, label=N_("Close the request")),
)

CUSTOMER_REQUEST: Workflow[RequestState] = Workflow("customer_request", RequestState, RequestState.RECEIVED, TABLE)
