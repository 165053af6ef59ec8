"""A customer's request for e-copies of documents (contract, invoices, reconciliation statement, acts), and the
staff who send them (issue 19, item 5).

Sending the copies is the answer, so it is guarded by the files themselves: a text alone answers nothing here.
Staff may ask the customer to say more (which period, which invoice), and the customer may reply, also after the
copies came (a copy missing); staff close it, or refuse it with the reason (a document the supplier does not hold).
"""

from __future__ import annotations

from workflows.engine import Transition, Workflow
from workflows.i18n import N_
from workflows.request_states import HAS_FILES, WITH_STAFF, RequestState, conversation
from workflows.roles import STAFF

R = RequestState

TABLE: tuple[Transition[RequestState], ...] = conversation(
    Transition("send_copies", WITH_STAFF, R.ANSWERED, STAFF, (HAS_FILES,), label=N_("Send the copies"))
)

DOCUMENT_REQUEST: Workflow[RequestState] = Workflow("document_request", RequestState, RequestState.RECEIVED, TABLE)
