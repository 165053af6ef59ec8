"""A meter reading that needs a person's eye before it counts (issue 19, item 2): one the customer confirmed
although it jumped far beyond the meter's usual consumption, or one lower than the last after a rollover or a
replacement the customer declared.

Staff accept it (it then counts as the meter's reading) or refuse it with the reason the customer reads; nothing
else can happen to a reading, so the table is short.
"""

from __future__ import annotations

from workflows.engine import Transition, Workflow
from workflows.i18n import N_
from workflows.request_states import REFUSE, TAKE, WITH_STAFF, RequestState
from workflows.roles import STAFF

R = RequestState

TABLE: tuple[Transition[RequestState], ...] = (
    TAKE,
    Transition("accept_reading", WITH_STAFF, R.CLOSED, STAFF, label=N_("Accept the reading")),
    REFUSE,
)

READING_CHECK: Workflow[RequestState] = Workflow("reading_check", RequestState, RequestState.RECEIVED, TABLE)
