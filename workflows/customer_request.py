"""A customer's appeal, complaint or request for information, and the staff who answer it (issue 19, item 4).

The customer writes from the cabinet; staff take it into work, answer it, or ask the customer for more; the
customer may reply to either, which puts it back in the staff's hands; staff close it when nothing is left to
say, or refuse it with the reason (an appeal out of the supplier's hands). Every answer, question and reply
carries a text (the thread is what the customer reads), so those moves are guarded by it; taking and closing
need none. One table serves the three kinds: they differ in who reads them and in their deadlines, not in how
they move.
"""

from __future__ import annotations

from workflows.engine import Transition, Workflow
from workflows.i18n import N_
from workflows.request_states import HAS_TEXT, STATE_LABELS, WITH_STAFF, RequestState, conversation
from workflows.roles import STAFF

__all__ = ["CUSTOMER_REQUEST", "STATE_LABELS", "TABLE", "RequestState"]

R = RequestState

TABLE: tuple[Transition[RequestState], ...] = conversation(
    Transition("answer", WITH_STAFF, R.ANSWERED, STAFF, (HAS_TEXT,), label=N_("Answer the customer"))
)

CUSTOMER_REQUEST: Workflow[RequestState] = Workflow("customer_request", RequestState, RequestState.RECEIVED, TABLE)
