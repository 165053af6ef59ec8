"""A customer's application for connection to the electric network, to water supply and wastewater, or to heat
supply, and the staff who answer it (issue 19, item 3).

The three utilities ask different questions (their forms) but move alike: staff take it into work, ask the
customer for what is missing (a plan, a document), and answer with the technical conditions, or refuse with the
reason. The answer is a text, with files where staff attach the conditions; the customer may reply to it.
"""

from __future__ import annotations

from workflows.engine import Transition, Workflow
from workflows.i18n import N_
from workflows.request_states import CUSTOMER, EXPIRE, HAS_TEXT, OPEN, REFUSE, WITH_STAFF, RequestState
from workflows.roles import STAFF

R = RequestState

TABLE: tuple[Transition[RequestState], ...] = (
    Transition("take", (R.RECEIVED,), R.IN_WORK, STAFF, label=N_("Take into work")),
    Transition("ask", WITH_STAFF, R.WAITING_FOR_CUSTOMER, STAFF, (HAS_TEXT,), label=N_("Ask the customer for more")),
    Transition(
        "reply", (R.WAITING_FOR_CUSTOMER, R.ANSWERED), R.IN_WORK, CUSTOMER, (HAS_TEXT,), label=N_("Customer replied")
    ),
    Transition(
        "issue_conditions", WITH_STAFF, R.ANSWERED, STAFF, (HAS_TEXT,), label=N_("Send the technical conditions")
    ),
    Transition("close", OPEN, R.CLOSED, STAFF, label=N_("Close the request")),
    REFUSE,
    EXPIRE,
)

CONNECTION_APPLICATION: Workflow[RequestState] = Workflow(
    "connection_application", RequestState, RequestState.RECEIVED, TABLE
)
