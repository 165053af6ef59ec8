"""The tables of every kind of cabinet request, stated again literally: staff take, answer (each kind in its own
words), ask, refuse and close; the customer only replies; the scheduler only closes what waited too long for the
customer; every message needs its text, and copies of documents need their files."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from workflows.connection_application import CONNECTION_APPLICATION
from workflows.customer_request import CUSTOMER_REQUEST
from workflows.document_request import DOCUMENT_REQUEST
from workflows.engine import GuardFailed, IllegalTransition, RoleNotAllowed, Workflow
from workflows.meter_request import METER_REQUEST
from workflows.reading_check import READING_CHECK
from workflows.request_states import STATE_LABELS, RequestState
from workflows.roles import Role

R = RequestState
STAFF = frozenset({Role.OPERATOR, Role.SUPERVISOR})
CUSTOMER = frozenset({Role.CUSTOMER})
SYSTEM = frozenset({Role.SYSTEM})
OPEN = (R.RECEIVED, R.IN_WORK, R.WAITING_FOR_CUSTOMER, R.ANSWERED)
HELD = (R.RECEIVED, R.IN_WORK)
#: The rows every kind that talks with the customer shares: (trigger, sources, destination, roles, guards)
COMMON = {
    ("take", (R.RECEIVED,), R.IN_WORK, STAFF, ()),
    ("ask", HELD, R.WAITING_FOR_CUSTOMER, STAFF, ("has_text",)),
    ("reply", (R.WAITING_FOR_CUSTOMER, R.ANSWERED), R.IN_WORK, CUSTOMER, ("has_text",)),
    ("close", OPEN, R.CLOSED, STAFF, ()),
    ("reject", HELD, R.REJECTED, STAFF, ("has_text",)),
    ("expire", (R.WAITING_FOR_CUSTOMER,), R.CLOSED, SYSTEM, ()),
}
TABLES: dict[str, tuple[Workflow[RequestState], set[tuple[object, ...]]]] = {
    "customer_request": (CUSTOMER_REQUEST, COMMON | {("answer", HELD, R.ANSWERED, STAFF, ("has_text",))}),
    "document_request": (DOCUMENT_REQUEST, COMMON | {("send_copies", HELD, R.ANSWERED, STAFF, ("has_files",))}),
    "connection_application": (
        CONNECTION_APPLICATION,
        COMMON | {("issue_conditions", HELD, R.ANSWERED, STAFF, ("has_text",))},
    ),
    "meter_request": (METER_REQUEST, COMMON | {("report_done", HELD, R.ANSWERED, STAFF, ("has_text",))}),
    "reading_check": (
        READING_CHECK,
        {
            ("take", (R.RECEIVED,), R.IN_WORK, STAFF, ()),
            ("accept_reading", HELD, R.CLOSED, STAFF, ()),
            ("reject", HELD, R.REJECTED, STAFF, ("has_text",)),
        },
    ),
}
EVERYTHING = {"text": "Thank you", "files": 1}


@dataclass
class Request:
    state: RequestState


@pytest.mark.parametrize("name", list(TABLES))
def test_each_table_is_exactly_this(name: str) -> None:
    workflow, expected = TABLES[name]
    declared = {(t.trigger, t.sources, t.dest, t.roles, tuple(g.name for g in t.guards)) for t in workflow.table}
    assert declared == expected
    assert workflow.name == name
    assert workflow.initial == R.RECEIVED
    assert not any(t.needs_reason for t in workflow.table)  # the text is the reason, and the customer reads it
    assert all(t.label for t in workflow.table)
    assert set(STATE_LABELS) == set(R)


@pytest.mark.parametrize("name", list(TABLES))
@pytest.mark.parametrize("state", list(R))
@pytest.mark.parametrize("role", list(Role))
def test_every_trigger_from_every_state_for_every_role(name: str, state: RequestState, role: Role) -> None:
    workflow, _ = TABLES[name]
    for row in workflow.table:
        request = Request(state)
        if state in row.sources and role in row.roles:
            assert workflow.fire(request, row.trigger, role, EVERYTHING) == row.dest
        else:
            with pytest.raises((IllegalTransition, RoleNotAllowed)):
                workflow.fire(request, row.trigger, role, EVERYTHING)
            assert request.state == state


@pytest.mark.parametrize(
    "workflow,trigger,state,role",
    [
        (CUSTOMER_REQUEST, "answer", R.IN_WORK, Role.OPERATOR),
        (CUSTOMER_REQUEST, "ask", R.RECEIVED, Role.SUPERVISOR),
        (CUSTOMER_REQUEST, "reply", R.ANSWERED, Role.CUSTOMER),
        (CONNECTION_APPLICATION, "issue_conditions", R.IN_WORK, Role.OPERATOR),
        (METER_REQUEST, "report_done", R.RECEIVED, Role.OPERATOR),
        (READING_CHECK, "reject", R.IN_WORK, Role.OPERATOR),
        (DOCUMENT_REQUEST, "reject", R.IN_WORK, Role.OPERATOR),
    ],
)
def test_a_message_needs_its_text_but_the_button_still_shows(
    workflow: Workflow[RequestState], trigger: str, state: RequestState, role: Role
) -> None:
    request = Request(state)
    with pytest.raises(GuardFailed, match="write the text"):
        workflow.fire(request, trigger, role, {"text": "   ", "files": 1})
    assert request.state == state
    assert trigger in workflow.available(request, role)


def test_copies_of_documents_are_sent_as_files_not_as_words() -> None:
    request = Request(R.IN_WORK)
    with pytest.raises(GuardFailed, match="attach the files"):
        DOCUMENT_REQUEST.fire(request, "send_copies", Role.OPERATOR, {"text": "Here they are", "files": 0})
    assert request.state == R.IN_WORK
    assert DOCUMENT_REQUEST.fire(request, "send_copies", Role.OPERATOR, {"text": "", "files": 2}) == R.ANSWERED


def test_the_customer_can_only_reply_and_staff_never_reply() -> None:
    assert CUSTOMER_REQUEST.available(Request(R.ANSWERED), Role.CUSTOMER) == ["reply"]
    assert CUSTOMER_REQUEST.available(Request(R.RECEIVED), Role.CUSTOMER) == []
    assert "reply" not in CUSTOMER_REQUEST.available(Request(R.ANSWERED), Role.OPERATOR)
    assert READING_CHECK.available(Request(R.RECEIVED), Role.CUSTOMER) == []
