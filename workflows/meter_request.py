"""A customer's request about one meter: readings taken on site («снятие показаний»), admission into service
(«допуск в эксплуатацию»), or replacement («замена ПУ») (issue 19, item 2).

Staff take it, agree a visit with the customer (asking, the customer replying), and report it done with what was
found or fitted; or refuse with the reason (a meter that is the distribution system operator's to handle).
"""

from __future__ import annotations

from workflows.engine import Transition, Workflow
from workflows.i18n import N_
from workflows.request_states import HAS_TEXT, WITH_STAFF, RequestState, conversation
from workflows.roles import STAFF

R = RequestState

TABLE: tuple[Transition[RequestState], ...] = conversation(
    Transition("report_done", WITH_STAFF, R.ANSWERED, STAFF, (HAS_TEXT,), label=N_("Done: tell the customer"))
)

METER_REQUEST: Workflow[RequestState] = Workflow("meter_request", RequestState, RequestState.RECEIVED, TABLE)
