"""The customer request's table, stated again literally: staff take, answer, ask and close; the customer only
replies; every message needs its text."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from workflows.customer_request import CUSTOMER_REQUEST, STATE_LABELS, RequestState
from workflows.engine import GuardFailed, IllegalTransition, RoleNotAllowed
from workflows.roles import Role

R = RequestState
STAFF = frozenset({Role.OPERATOR, Role.SUPERVISOR})
#: (trigger, sources, destination, roles, needs a reason, guards)
TABLE = {
    ("take", (R.RECEIVED,), R.IN_WORK, STAFF, False, ()),
    ("answer", (R.RECEIVED, R.IN_WORK), R.ANSWERED, STAFF, False, ("has_text",)),
    ("ask", (R.RECEIVED, R.IN_WORK), R.WAITING_FOR_CUSTOMER, STAFF, False, ("has_text",)),
    ("reply", (R.WAITING_FOR_CUSTOMER, R.ANSWERED), R.IN_WORK, frozenset({Role.CUSTOMER}), False, ("has_text",)),
    ("close", (R.RECEIVED, R.IN_WORK, R.WAITING_FOR_CUSTOMER, R.ANSWERED), R.CLOSED, STAFF, False, ()),
}


@dataclass
class Request:
    state: RequestState


def test_the_table_is_exactly_this() -> None:
    declared = {
        (t.trigger, t.sources, t.dest, t.roles, t.needs_reason, tuple(g.name for g in t.guards))
        for t in CUSTOMER_REQUEST.table
    }
    assert declared == TABLE
    assert CUSTOMER_REQUEST.initial == R.RECEIVED
    assert CUSTOMER_REQUEST.terminal_states() == {R.CLOSED}
    assert set(STATE_LABELS) == set(R)
    assert all(t.label for t in CUSTOMER_REQUEST.table)


@pytest.mark.parametrize("state", list(R))
@pytest.mark.parametrize("role", list(Role))
def test_every_trigger_from_every_state_for_every_role(state: RequestState, role: Role) -> None:
    for row in CUSTOMER_REQUEST.table:
        request = Request(state)
        if state in row.sources and role in row.roles:
            assert CUSTOMER_REQUEST.fire(request, row.trigger, role, {"text": "Thank you"}) == row.dest
        else:
            with pytest.raises((IllegalTransition, RoleNotAllowed)):
                CUSTOMER_REQUEST.fire(request, row.trigger, role, {"text": "Thank you"})
            assert request.state == state


@pytest.mark.parametrize(
    "trigger,state,role",
    [
        ("answer", R.IN_WORK, Role.OPERATOR),
        ("ask", R.RECEIVED, Role.SUPERVISOR),
        ("reply", R.ANSWERED, Role.CUSTOMER),
    ],
)
def test_a_message_needs_its_text_but_the_button_still_shows(trigger: str, state: RequestState, role: Role) -> None:
    request = Request(state)
    with pytest.raises(GuardFailed, match="write the text"):
        CUSTOMER_REQUEST.fire(request, trigger, role, {"text": "   "})
    assert request.state == state
    assert trigger in CUSTOMER_REQUEST.available(request, role)


def test_the_customer_can_only_reply_and_staff_never_reply() -> None:
    assert CUSTOMER_REQUEST.available(Request(R.ANSWERED), Role.CUSTOMER) == ["reply"]
    assert CUSTOMER_REQUEST.available(Request(R.RECEIVED), Role.CUSTOMER) == []
    assert "reply" not in CUSTOMER_REQUEST.available(Request(R.ANSWERED), Role.OPERATOR)
