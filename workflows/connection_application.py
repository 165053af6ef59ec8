"""A customer's application for connection to the electric network, to water supply and wastewater, or to heat
supply, and the staff who answer it (issue 19, item 3).

The three utilities ask different questions (their forms) but move alike: staff take it into work, ask the
customer for what is missing (a plan, a document), and answer with the technical conditions, or refuse with the
reason. The answer is a text, with files where staff attach the conditions; the customer may reply to it.
"""

from __future__ import annotations

from workflows.engine import Transition, Workflow
from workflows.i18n import N_
from workflows.request_states import HAS_TEXT, WITH_STAFF, RequestState, conversation
from workflows.roles import STAFF

R = RequestState

TABLE: tuple[Transition[RequestState], ...] = conversation(
    Transition(
        "issue_conditions", WITH_STAFF, R.ANSWERED, STAFF, (HAS_TEXT,), label=N_("Send the technical conditions")
    )
)

CONNECTION_APPLICATION: Workflow[RequestState] = Workflow(
    "connection_application", RequestState, RequestState.RECEIVED, TABLE
)
