"""A customer's request about one meter: readings taken on site («снятие показаний»), admission into service
(«допуск в эксплуатацию»), or replacement («замена ПУ») (issue 19, item 2).

Staff take it, agree a visit with the customer (asking, the customer replying), and report it done with what was
found or fitted; or refuse with the reason (a meter that is the distribution system operator's to handle).
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
    Transition("report_done", WITH_STAFF, R.ANSWERED, STAFF, (HAS_TEXT,), label=N_("Done: tell the customer")),
    Transition("close", OPEN, R.CLOSED, STAFF, label=N_("Close the request")),
    REFUSE,
    EXPIRE,
)

METER_REQUEST: Workflow[RequestState] = Workflow("meter_request", RequestState, RequestState.RECEIVED, TABLE)
